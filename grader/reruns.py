"""Trusted runs for failed items only: the outputs of known mistakes, and training loops' updates redone.

A known mistake's outputs on a case come from the reference, run like the reference's own
results in a child (the same Job and runner), with the mistake applied: the definitions
of mistakes/<exercise>/<name>.py run after the reference's, in its module, so that they
take their place; or the case's parameters changed; or both. They are computed the first
time an item of that case fails, one child per code they need, and kept on disk
(``cache``, kind "mistakes") for every later submission: a class that fails nothing
computes nothing. A mistake in how outputs are recorded needs no run: it is computed
here from the reference's outputs.

Replays (``steps``) send a student's recorded states to a child running the reference's
loop; they depend on the student's numbers, so they are not kept.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Mapping

from . import cache, paths, steps
from .protocol import Code, Job, Reply, Task
from .runner import Budget, Runner
from .spec import Item, Mistake

SECONDS = 600.0  # for one round of trusted runs
TRUSTED = 1 << 30  # bytes of results: trusted runs have no cap to speak of


class Reruns:
    """Known mistakes' outputs and replays, for the items that failed; thread-safe."""

    def __init__(self, runner: Runner, course: paths.Course, reference: Mapping[str, str | None]):
        self.runner, self.course, self.reference = runner, course, reference
        self._lock = threading.Lock()
        self._tables: dict[str, dict] = {}  # exercise -> item name -> mistake name -> outputs (None: not applicable)
        self._digests: dict[str, str] = {}

    # Known mistakes.

    def mistakes(self, items: list[Item], expected: Mapping[str, Mapping[str, Reply]]) -> dict[tuple, dict]:
        """(exercise, item index) -> mistake name -> its Reply on the item's case (None where it does not apply or
        cannot be had), for every mistake the items' checks declare."""
        with self._lock:
            self._run_missing(items)
            found = {}
            for item in items:
                ran = self._table(item.exercise).get(item.name, {})
                reference = expected[item.exercise][item.name]
                found[item.exercise, item.index] = {
                    m.name: _recorded(m, _reply(ran.get(m.name)) if m.runs else reference, self._params(m, item))
                    for m in item.check.mistakes}
            return found

    def _params(self, mistake: Mistake, item: Item) -> Mapping | None:
        return mistake.params(dict(item.params)) if mistake.params else dict(item.params)

    def _available(self, exercise: str, mistake: Mistake) -> bool:
        return bool(self.reference.get(exercise)) and (not mistake.code or self._file(exercise, mistake).is_file())

    def _file(self, exercise: str, mistake: Mistake) -> Path:
        return self.course.mistakes / exercise / f"{mistake.name}.py"

    def _table(self, exercise: str) -> dict:
        if exercise not in self._tables:
            self._digests[exercise] = cache.key(self.course, exercise, "mistakes")
            self._tables[exercise] = cache.load(exercise, self._digests[exercise], "mistakes") or {}
        return self._tables[exercise]

    def _run_missing(self, items: list[Item]) -> None:
        """Run, and keep, the outputs of the mistakes the items need and that are not known yet."""
        wanted: dict[tuple[str, str], list[tuple[Item, Mistake, Mapping]]] = {}  # (exercise, code) -> asked
        for item in items:
            ran = self._table(item.exercise).setdefault(item.name, {})
            for mistake in item.check.mistakes:
                if not mistake.runs or mistake.name in ran or not self._available(item.exercise, mistake):
                    continue
                params = self._params(mistake, item)
                if params is None:
                    ran[mistake.name] = None
                else:
                    code = mistake.name if mistake.code else ""
                    wanted.setdefault((item.exercise, code), []).append((item, mistake, params))
        if not wanted:
            return
        jobs = [Job((self._code(exercise, name),), tuple(Task(i, exercise, item.check.name, dict(params))
                                                          for i, (item, _, params) in enumerate(asked)))
                for (exercise, name), asked in wanted.items()]
        back = self.runner.run_all(jobs, time.monotonic() + SECONDS, Budget(TRUSTED))
        for ((exercise, _), asked), run in zip(wanted.items(), back):
            for i, (item, mistake, _) in enumerate(asked):
                reply = run.replies.get((exercise, i))
                self._tables[exercise][item.name][mistake.name] = None if reply is None or reply.failure else \
                    {"outputs": reply.outputs, "problems": reply.problems}
        for exercise in {exercise for exercise, _ in wanted}:
            cache.store(exercise, self._digests[exercise], self._tables[exercise], "mistakes")

    def _code(self, exercise: str, mistake: str) -> Code:
        """The reference's code; with a mistake's, its definitions run after the reference's, in its place."""
        reference = self.reference[exercise]
        chunks = [(1, reference, ())]
        if mistake:
            text = (self.course.mistakes / exercise / f"{mistake}.py").read_text(encoding="utf-8")
            chunks.append((reference.count("\n") + 2, text, ()))
        return Code(exercise, f"mistakes/{exercise}/{mistake}.py" if mistake else f"reference/{exercise}.py",
                    tuple(chunks))

    # Replays.

    def steps(self, failed: list[tuple[Item, Reply, Reply]]) -> dict[tuple, str]:
        """(exercise, item index) -> what redoing each recorded update from the student's own state says ("" when
        nothing), for failed items (with the reference's reply and the student's) of checks with a replay."""
        said, pending, dialogues = {}, {}, {}
        for item, expected, got in failed:
            if self.reference.get(item.exercise):
                dialogues[item.exercise, item.index] = (item, steps.replay(item, expected, got))
        for key, (item, dialogue) in dialogues.items():
            _advance(key, dialogue, None, pending, said)
        while pending:
            keys = list(pending)
            exercises = tuple(dict.fromkeys(exercise for exercise, _ in keys))
            tasks = tuple(Task(i, exercise, f"{dialogues[exercise, index][0].check.name} replay",
                               {**dialogues[exercise, index][0].params,
                                "runs": [[[float(v) for v in state], start, stop]
                                         for state, start, stop in pending[exercise, index]]})
                          for i, (exercise, index) in enumerate(keys))
            run = self.runner.run(Job(tuple(self._code(exercise, "") for exercise in exercises), tasks),
                                  time.monotonic() + SECONDS, Budget(TRUSTED))
            asked, pending = pending, {}
            for i, key in enumerate(keys):
                reply = run.replies.get((key[0], i))
                results = _results(reply, len(asked[key]))
                if results is None:
                    dialogues[key][1].close()
                    said[key] = ""
                else:
                    _advance(key, dialogues[key][1], results, pending, said)
        return said


def _advance(key, dialogue, results, pending: dict, said: dict) -> None:
    try:
        pending[key] = dialogue.send(results)
    except StopIteration as done:
        said[key] = done.value or ""


def _results(reply: Reply | None, count: int) -> list | None:
    """A replay's (next state, loss) per run, or None if it did not come back whole."""
    if reply is None or reply.failure or reply.problems:
        return None
    nexts, losses = reply.outputs.get("next"), reply.outputs.get("loss")
    if not (isinstance(nexts, list) and isinstance(losses, list) and len(nexts) == len(losses) == count):
        return None
    return list(zip(nexts, losses))


def _reply(kept: Mapping | None) -> Reply | None:
    return None if kept is None else Reply(outputs=kept["outputs"], problems=kept["problems"])


def _recorded(mistake: Mistake, reply: Reply | None, params: Mapping | None) -> Reply | None:
    """A mistake's reply, its outputs recorded as it records them."""
    if reply is None or params is None:
        return None
    if mistake.outputs is None:
        return reply
    outputs = mistake.outputs(reply.outputs, params)
    return None if outputs is None else Reply(outputs=dict(outputs), problems=reply.problems)
