"""Grading: run a submission in children, compare with the reference, score each item.

The reference's results are taken once, before any student code runs, and reused
for every submission a ``Grader`` grades. Scores are decided here, in the grading
process, from validated plain data only.

Which child holds what is decided here. A child holds one submission's code and the
items of one group, and nothing else: all the public items together (their parameters
are public), or the items of one hidden scenario (the parameters they share; see
spec.load_hidden), never another scenario's. Every item first runs with the student's own
helpers. A function graded on its own (a training loop that calls the student's
``forward``) runs again with the reference's definition of a helper only when the
student's helper has failed its own check: a reference definition never enters a child
of a submission that has not already lost that definition's points. Helpers are judged
before the functions that call them, level by level.
"""
from __future__ import annotations

import ast
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from . import cache, intake, known, paths, sources, specs, text
from .errors import GraderError
from .judge import judge, wrap, zero
from .protocol import Code, Job, Limits, Reply, Task
from .reruns import Reruns
from .results import CheckResult, ExerciseResult, Report
from .runner import Budget, Runner, template
from .spec import Check, Exercise, Item, load_hidden


@dataclass
class _Submission:
    """One submission while it is graded: its code, and each item's latest reply."""

    codes: dict  # exercise -> Code
    sources: dict  # exercise -> sources.Source
    replies: dict  # (exercise, item index) -> Reply
    runs: list  # the Runs of public items only, for what the code printed
    sandbox: dict = None  # the protections in force
    judged: dict = field(default_factory=dict)  # (exercise, item index) -> CheckResult, for the latest reply
    known: dict = field(default_factory=dict)  # (exercise, item index) -> the known mistake a failed item matches
    steps: dict = field(default_factory=dict)  # (exercise, item index) -> what redoing its updates says


class Grader:
    """Grades submissions against the reference, reusing one runner and one set of expected values.

    ``hidden=False`` grades the public cases only (a student's self-check). Without
    reference solutions (a student release) the expected values come from the
    release's expected.json, public cases only, and each function runs with the
    student's own helpers. ``unsafe``: grade even where children cannot be isolated.
    """

    def __init__(self, *, hidden: bool = True, limits: Limits = Limits(), exercises: Iterable[str] | None = None,
                 course: paths.Course = paths.DEFAULT, expected: Path = paths.EXPECTED, isolate: bool = True,
                 unsafe: bool = False, runner: Runner | None = None):
        self.hidden = hidden
        self.course = course
        self.limits = limits
        self.unsafe = unsafe
        self.exercises = tuple(specs.exercise(id) for id in (exercises or specs.IDS))
        self.hidden_cases = {ex.id: dict(load_hidden(course.hidden, ex.id)) if hidden else {} for ex in self.exercises}
        self.runner = runner or template(limits, self.exercises, isolate=isolate, course=course)
        self.reference = {ex.id: _read_text(course.reference / ex.filename) for ex in self.exercises}
        self._items = {ex.id: ex.items(self.hidden_cases[ex.id]) for ex in self.exercises}
        self.expected = self._expected(expected)
        self.reruns = Reruns(self.runner, course, self.reference)  # for failed items only: known mistakes, replays

    def items(self, ex: Exercise) -> tuple[Item, ...]:
        return self._items[ex.id]

    @property
    def swaps(self) -> bool:
        """Whether functions run with the reference's helpers where the student's fail (where the reference is)."""
        return all(self.reference.values())

    def protections(self) -> dict:
        """How children are isolated here; raises GraderError when grading needs isolation that is not there."""
        isolation = self.runner.isolation()
        if "none" in isolation and self.hidden and not self.unsafe:
            raise GraderError(
                f"student code cannot be isolated here ({isolation['none']}): grading other people's code needs "
                "Linux with root or unprivileged user namespaces; pass --unsafe to grade without isolation")
        return isolation

    # Expected values.

    def _expected(self, expected_file: Path) -> dict[str, dict[str, Reply]]:
        if self.swaps:
            return self._reference_outputs()
        if self.hidden:
            raise GraderError("grading needs the reference solutions (reference/), which are not here; "
                              "in a student release use `check`, which runs the public cases")
        if not expected_file.exists():
            raise GraderError(f"no reference solutions and no expected values ({expected_file}) to check against")
        table = json.loads(expected_file.read_text(encoding="utf-8"))
        return {ex.id: {name: Reply(outputs=outputs) for name, outputs in table.get(ex.id, {}).items()}
                for ex in self.exercises}

    def _reference_outputs(self) -> dict[str, dict[str, Reply]]:
        """The reference's outputs on every item, from the cache, or run now (on every case, hidden ones
        included, whatever this Grader grades) and kept for next time."""
        found, missing = {}, {}
        for ex in self.exercises:
            digest = cache.key(self.course, ex.id)
            outputs = cache.load(ex.id, digest)
            if outputs is not None and all(item.name in outputs for item in self.items(ex)):
                found[ex.id] = outputs
            else:
                missing[ex.id] = digest
        if missing:
            every = {id: specs.exercise(id).items(load_hidden(self.course.hidden, id)) for id in missing}
            jobs = [Job((_code(id, f"reference/{id}.py", ((1, self.reference[id], ()),)),),
                        tuple(_task(item) for item in every[id])) for id in missing]
            broken = []
            runs = self.runner.run_all(jobs, time.monotonic() + 600, Budget(1 << 30))  # trusted: no cap to speak of
            for (id, digest), run in zip(missing.items(), runs):
                replies = {item.name: run.replies[id, item.index] for item in every[id]}
                broken += [f"{id} {name}: {reply.failure.message if reply.failure else reply.problems}"
                           for name, reply in replies.items() if reply.failure or reply.problems]
                found[id] = {name: reply.outputs for name, reply in replies.items()}
                if not broken:
                    cache.store(id, digest, found[id])
            if broken:
                raise GraderError("the reference fails its own checks: " + "; ".join(broken))
        return {ex.id: {item.name: Reply(outputs=found[ex.id][item.name]) for item in self.items(ex)}
                for ex in self.exercises}

    # Grading.

    def files(self, path: str | Path, exercise: str | None = None) -> intake.Layout:
        """The file of each exercise in a submission: a folder (laid out like exercises/, or nbgrader's
        <student>/<exercise>/<exercise>.ipynb), or one file; see ``intake``."""
        try:
            return intake.layout(Path(path), [ex.id for ex in self.exercises], exercise=exercise,
                                 stubs=self.course.exercises)
        except intake.NotASubmission as exc:
            raise GraderError(str(exc)) from None

    def grade(self, path: str | Path, *, exercise: str | None = None,
              refused: dict[str, tuple[str, str]] | None = None) -> Report:
        """Grade a submission folder (laid out like exercises/) or one exercise file. ``refused``: exercise ->
        (its file as handed in, why it is not read), for files refused where the submission was read."""
        files = self.files(path, exercise)
        if refused:
            refused = {id: why for id, why in refused.items() if id in files}
            files = replace(files, files={**files.files, **dict.fromkeys(refused)},
                            refused={**files.refused, **{id: why for id, (_, why) in refused.items()}},
                            shown={**files.shown, **{id: shown for id, (shown, _) in refused.items()}})
        protections = self.protections()
        graded = [ex for ex in self.exercises if ex.id in files]
        results: dict[str, ExerciseResult] = {}
        submission = _Submission({}, {}, {}, [])
        for ex in graded:
            if files[ex.id] is None:
                status, message = (("error", files.refused[ex.id]) if ex.id in files.refused else
                                   ("not submitted", f"{files.expected.get(ex.id, ex.filename)} was not submitted"))
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(zero(item, status, message)
                                                                       for item in self.items(ex)),
                                                files.shown.get(ex.id, ""))
                continue
            try:
                source = files.read(ex.id)
            except intake.Unreadable as exc:
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(zero(item, "error", str(exc))
                                                                       for item in self.items(ex)), files[ex.id].name)
                continue
            submission.sources[ex.id] = source
            submission.codes[ex.id] = _code(ex.id, source.filename, _chunks(source))
        if submission.codes:
            self._run(submission, protections)
            self._name_causes(submission)
        for ex in graded:
            if ex.id in submission.codes:
                results[ex.id] = self._result(ex, submission)
        return text.clean_report(Report(str(path), tuple(results[ex.id] for ex in graded), files.warnings))

    def _run(self, submission: _Submission, protections: dict) -> None:
        """Run every item, own helpers first; then, level by level, the failed items whose helpers failed."""
        deadline, budget = time.monotonic() + self.limits.seconds_per_submission, Budget()
        isolated = "none" not in protections
        items = [item for id in submission.codes for item in self.items(specs.exercise(id))]
        trace = () if self.swaps else tuple(sorted({name for item in items for name in item.check.swap}))
        self._round(submission, items, {}, isolated, deadline, budget, trace)
        if not self.swaps:
            return
        for level in range(1, 1 + max((_level(item.check, specs.exercise(item.exercise)) for item in items),
                                      default=0)):
            failed = self._failed_targets(submission)
            redo = {}
            for item in items:
                swap = tuple(name for name in item.check.swap if (item.exercise, name) in failed)
                if swap and _level(item.check, specs.exercise(item.exercise)) == level and \
                        not self._passed(item, submission) and not _untouched(item, submission):
                    redo[item.exercise, item.index] = swap
            if redo:
                self._round(submission, [self._items[id][i] for id, i in redo], redo, isolated, deadline, budget, ())

    def _round(self, submission: _Submission, items: list[Item], swaps: dict, isolated: bool, deadline: float,
               budget: Budget, trace: tuple[str, ...]) -> None:
        """Run ``items`` in children, grouped so that each child holds only what its items share."""
        groups: dict[tuple, list[Item]] = {}
        for item in items:
            swap = swaps.get((item.exercise, item.index), ())
            if not isolated:
                key = (item.exercise, item.hidden, swap)  # nothing to keep apart: few children, for speed
            elif item.hidden:
                key = (item.exercise, item.case.scenario, swap)  # one hidden scenario's parameters, alone
            else:
                key = ("public", swap)  # public parameters
            groups.setdefault(key, []).append(item)  # each group with the same reference definitions
        jobs = []
        for (*_, swap), group in groups.items():
            ids = tuple(dict.fromkeys(item.exercise for item in group))
            jobs.append(Job(tuple(submission.codes[id] for id in ids), tuple(_task(item) for item in group),
                            helpers={id: self._helpers(id, swap) for id in ids if swap},
                            swap={id: swap for id in ids if swap}, trace=trace))
        for job, run in zip(jobs, self.runner.run_all(jobs, deadline, budget)):
            submission.replies.update(run.replies)
            for key in run.replies:
                submission.judged.pop(key, None)
            submission.sandbox = submission.sandbox or run.sandbox
            if not any(self._item(task).hidden for task in job.tasks):  # what the code printed on a hidden case
                submission.runs.append(run)  # stays unseen

    def _item(self, task: Task) -> Item:
        return self._items[task.exercise][task.key]

    def _failed_targets(self, submission: _Submission) -> set[tuple[str, str]]:
        """(exercise, target) for every target with a check that lost points, by the latest replies."""
        return {(item.exercise, item.check.target) for id in submission.codes for item in self.items(specs.exercise(id))
                if not self._passed(item, submission)}

    def _passed(self, item: Item, submission: _Submission) -> bool:
        return self._judge(item, submission).passed

    def _judge(self, item: Item, submission: _Submission) -> CheckResult:
        key = item.exercise, item.index
        if key not in submission.judged:
            submission.judged[key] = judge(item, self.expected[item.exercise][item.name], submission.replies[key],
                                           submission.sources[item.exercise], stubs=self.course.exercises,
                                           known=submission.known.get(key), steps=submission.steps.get(key, ""))
        return submission.judged[key]

    def _name_causes(self, submission: _Submission) -> None:
        """For the items that failed (and only those), in trusted children: the known mistake each matches, and
        what redoing each recorded update from the student's own state says. Scores do not change."""
        failed = [item for id in submission.codes for item in self.items(specs.exercise(id))
                  if (item.check.mistakes or item.check.replay) and not self._passed(item, submission)
                  and not submission.replies[item.exercise, item.index].failure]
        if not failed:
            return
        declared = [item for item in failed if item.check.mistakes]
        outputs = self.reruns.mistakes(declared, self.expected)
        for item in declared:
            key = (item.exercise, item.index)
            found = known.match(item, self.expected[item.exercise][item.name], submission.replies[key], outputs[key])
            if found is None or found.mistake is not None or self.swaps:  # without the reference, the code-level
                submission.known[key] = found  # mistakes are not there to try: "none matches" would say too much
        submission.steps.update(self.reruns.steps([
            (item, self.expected[item.exercise][item.name], submission.replies[item.exercise, item.index])
            for item in failed if item.check.replay]))
        for item in failed:
            submission.judged.pop((item.exercise, item.index), None)

    def _result(self, ex: Exercise, submission: _Submission) -> ExerciseResult:
        checks = tuple(self._judge(item, submission) for item in self.items(ex))
        checks = _own_helpers_note(ex, checks, [submission.replies[ex.id, item.index] for item in self.items(ex)],
                                   self.items(ex)) if not self.swaps else checks
        output = "".join(run.output.get(ex.id, "") for run in submission.runs)
        return ExerciseResult(ex.id, ex.title, checks, submission.sources[ex.id].filename,
                              submission.sources[ex.id].locate(output), submission.sandbox or {})

    def _helpers(self, exercise_id: str, swap: tuple[str, ...]) -> str:
        """The reference's source with only its given code and the definitions of ``swap``: no other answer."""
        ex = specs.exercise(exercise_id)
        tree = ast.parse(self.reference[exercise_id])
        others = set(ex.targets) - set(swap)
        tree.body = [node for node in tree.body
                     if not (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in others)]
        return ast.unparse(tree)


def _own_helpers_note(ex: Exercise, checks: tuple[CheckResult, ...], replies: list[Reply], items) -> tuple:
    """In a self-check with the student's own helpers: say once, on the first failed function that called a helper
    that failed its own check, that its result may come from that helper."""
    from dataclasses import replace

    failed = {item.check.target for item, check in zip(items, checks) if not check.passed}
    for i, (item, check, reply) in enumerate(zip(items, checks, replies)):
        culprits = [name for name in reply.called if name in failed and name != item.check.target]
        if not check.passed and culprits:
            note = (f"Note: {item.check.target} called your own {', '.join(culprits)}, which "
                    f"{'fails its' if len(culprits) == 1 else 'fail their'} own check; when your instructor grades, "
                    f"{item.check.target} runs with correct ones, so only its own mistakes count.")
            return checks[:i] + (replace(check, message=f"{check.message}\n{wrap(note)}"),) + checks[i + 1:]
    return checks


def _untouched(item: Item, submission: _Submission) -> bool:
    """Whether the item's own function is still the stub (it raised NotImplementedError itself): other helpers
    would not change that."""
    failure = submission.replies[item.exercise, item.index].failure
    return failure is not None and failure.kind == "not attempted" and failure.function == item.check.target


def _level(check: Check, ex: Exercise) -> int:
    """0 for a check that swaps in nothing; else one more than the deepest check of what it swaps in."""
    below = [c for c in ex.checks if c.target in check.swap and c is not check]
    return 1 + max((_level(c, ex) for c in below), default=0) if check.swap else 0


def _task(item: Item) -> Task:
    return Task(item.index, item.exercise, item.check.name, dict(item.params))


def _code(exercise: str, filename: str, chunks) -> Code:
    return Code(exercise, filename, tuple(chunks))


def _chunks(source: sources.Source) -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """The code to compile and run piece by piece (each notebook cell on its own, a file whole): its first line,
    its code, and the names it appears to define."""
    return tuple((chunk.line, chunk.code, chunk.defines) for chunk in source.chunks)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
