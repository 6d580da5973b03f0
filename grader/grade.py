"""Grading: run a submission in children, compare with the reference, score each item.

The reference's results are taken once, before any student code runs, and reused
for every submission a ``Grader`` grades. Scores are decided here, in the grading
process, from validated plain data only.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from . import intake, paths, specs, text
from .guard import Guard, SharedLock
from .judge import judge, zero
from .results import ExerciseResult, Report
from .runner import Reply, Runner
from .worker import Task
from .sandbox import Limits
from .spec import Exercise, Item, load_hidden


class GraderError(Exception):
    """The grader cannot grade at all (usage, or a broken course); never a student's fault."""


class Grader:
    """Grades submissions against the reference, reusing one runner and one set of expected values.

    ``hidden=False`` grades the public cases only (a student's self-check). Without
    reference solutions (a student release) the expected values come from the
    release's expected.json, public cases only, and each function runs with the
    student's own helpers.
    """

    def __init__(self, *, hidden: bool = True, limits: Limits = Limits(), exercises: Iterable[str] | None = None,
                 course: paths.Course = paths.DEFAULT, expected: Path = paths.EXPECTED, isolate: bool = True):
        self.hidden = hidden
        self.course = course
        self.limits = limits
        self.exercises = tuple(specs.exercise(id) for id in (exercises or specs.IDS))
        self.hidden_cases = {ex.id: dict(load_hidden(course.hidden, ex.id)) if hidden else {} for ex in self.exercises}
        self.runner = Runner(limits, isolate=isolate)
        # Children that cannot be isolated (not root) could write into the grader's files: keep a copy.
        self.guard = None if isolate and os.geteuid() == 0 else Guard(paths.REFERENCE, paths.PACKAGE)
        self._lock = SharedLock()
        self.reference = {ex.id: _read_text(course.reference / ex.filename) for ex in self.exercises}
        self.expected = self._expected(expected)

    def items(self, ex: Exercise) -> tuple[Item, ...]:
        return ex.items(self.hidden_cases[ex.id])

    @property
    def swaps(self) -> bool:
        """Whether functions run with the reference's helpers (only where the reference is here)."""
        return all(self.reference.values())

    def _expected(self, expected_file: Path) -> dict[str, dict[str, Reply]]:
        if self.swaps:
            return self._run_reference()
        if self.hidden:
            raise GraderError("grading needs the reference solutions (reference/), which are not here; "
                              "in a student release use `check`, which runs the public cases")
        if not expected_file.exists():
            raise GraderError(f"no reference solutions and no expected values ({expected_file}) to check against")
        table = json.loads(expected_file.read_text(encoding="utf-8"))
        return {ex.id: {name: Reply(outputs=outputs) for name, outputs in table.get(ex.id, {}).items()}
                for ex in self.exercises}

    def _run_reference(self) -> dict[str, dict[str, Reply]]:
        tasks = [Task(ex.id, self.reference[ex.id], ex.filename, tuple(i.index for i in self.items(ex)))
                 for ex in self.exercises]
        runs = self.runner.run(tasks, hidden=self.hidden_cases, deadline=time.monotonic() + 600)
        expected, broken = {}, []
        for ex in self.exercises:
            replies = runs[ex.id].replies
            broken += [f"{ex.id} {item.name}: {replies[item.index].error or replies[item.index].problems}"
                       for item in self.items(ex) if replies[item.index].error or replies[item.index].problems]
            expected[ex.id] = {item.name: replies[item.index] for item in self.items(ex)}
        if broken:
            raise GraderError("the reference fails its own checks: " + "; ".join(broken))
        return expected

    def files(self, path: str | Path, exercise: str | None = None) -> intake.Layout:
        """The file of each exercise in a submission: a folder (laid out like exercises/, or nbgrader's
        <student>/<exercise>/<exercise>.ipynb), or one file; see ``intake``."""
        try:
            return intake.layout(Path(path), [ex.id for ex in self.exercises], exercise=exercise,
                                 stubs=self.course.exercises)
        except intake.NotASubmission as exc:
            raise GraderError(str(exc)) from None

    def grade(self, path: str | Path, *, exercise: str | None = None) -> Report:
        """Grade a submission folder (laid out like exercises/) or one exercise file."""
        files = self.files(path, exercise)
        with self._lock.shared():
            report = self._grade(path, files)
        if self.guard is None or not self.guard.changed():
            return report
        with self._lock.alone():  # the grader's files changed: grade this one alone to see if it is the cause
            self.guard.restore()
            report = self._grade(path, files)
            changed = self.guard.changed()
            if changed:
                self.guard.restore()
                return _tampered(report, changed)
            return report

    def _grade(self, path, files: intake.Layout) -> Report:
        """Read the files, run every exercise's items in one child, judge each item."""
        graded = [ex for ex in self.exercises if ex.id in files]
        read, results = {}, {}
        for ex in graded:
            items = self.items(ex)
            if files[ex.id] is None:
                status, message = (("error", files.refused[ex.id]) if ex.id in files.refused else
                                   ("not submitted", f"{files.expected.get(ex.id, ex.filename)} was not submitted"))
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(zero(item, status, message) for item in items),
                                                files.shown.get(ex.id, ""))
                continue
            try:
                read[ex.id] = files.read(ex.id)
            except intake.Unreadable as exc:
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(zero(item, "error", str(exc))
                                                                       for item in items), files[ex.id].name)
        tasks = [Task(id, source.text, source.filename, tuple(i.index for i in self.items(specs.exercise(id))),
                      self.reference[id] if self.swaps else None) for id, source in read.items()]
        runs = self.runner.run(tasks, hidden=self.hidden_cases) if tasks else {}
        for ex in graded:
            if ex.id in runs:
                run, source = runs[ex.id], read[ex.id]
                checks = tuple(judge(item, self.expected[ex.id][item.name], run.replies[item.index], source,
                                     own_helpers=not self.swaps, stubs=self.course.exercises) for item in self.items(ex))
                results[ex.id] = ExerciseResult(ex.id, ex.title, checks, source.filename, source.locate(run.output),
                                                run.sandbox)
        return text.clean_report(Report(str(path), tuple(results[ex.id] for ex in graded), files.warnings))


def _tampered(report: Report, changed: list[str]) -> Report:
    names = ", ".join(str(Path(p).relative_to(paths.ROOT)) if Path(p).is_relative_to(paths.ROOT) else p
                      for p in changed[:5])
    message = f"your code changed the grader's files ({names}); they were put back, and this submission scores 0"
    exercises = tuple(replace(e, checks=tuple(replace(c, score=0.0, passed=False, status="error", message=message)
                                              for c in e.checks)) for e in report.exercises)
    return replace(report, exercises=exercises, warnings=(*report.warnings, message))


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


