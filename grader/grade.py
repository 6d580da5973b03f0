"""Grading: run a submission in children, compare with the reference, score each item.

The reference's results are taken once, before any student code runs, and reused
for every submission a ``Grader`` grades. Scores are decided here, in the grading
process, from validated plain data only.
"""
from __future__ import annotations

import ast
import re
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from . import paths, sources, specs
from .compare import as_array, compare
from .guard import Guard, SharedLock
from .results import CheckResult, Curve, ExerciseResult, Report
from .runner import Reply, Runner
from .worker import Task
from .sandbox import Limits
from .spec import Exercise, Item

INF = float("inf")


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
                 reference: Path = paths.REFERENCE, expected: Path = paths.EXPECTED, isolate: bool = True):
        self.hidden = hidden
        self.limits = limits
        self.exercises = tuple(specs.exercise(id) for id in (exercises or specs.IDS))
        self.runner = Runner(limits, isolate=isolate)
        # Children that cannot be isolated (not root) could write into the grader's files: keep a copy.
        self.guard = None if isolate and os.geteuid() == 0 else Guard(paths.REFERENCE, paths.PACKAGE)
        self._lock = SharedLock()
        self.reference = {ex.id: _read_text(reference / ex.filename) for ex in self.exercises}
        self.expected = self._expected(expected)

    def items(self, ex: Exercise) -> tuple[Item, ...]:
        return ex.items(hidden=self.hidden)

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
        runs = self.runner.run(tasks, hidden=self.hidden, deadline=time.monotonic() + 600)
        expected, broken = {}, []
        for ex in self.exercises:
            replies = runs[ex.id].replies
            broken += [f"{ex.id} {item.name}: {replies[item.index].error or replies[item.index].problems}"
                       for item in self.items(ex) if replies[item.index].error or replies[item.index].problems]
            expected[ex.id] = {item.name: replies[item.index] for item in self.items(ex)}
        if broken:
            raise GraderError("the reference fails its own checks: " + "; ".join(broken))
        return expected

    def files(self, path: str | Path, exercise: str | None = None) -> dict[str, Path | None]:
        """The file of each exercise in a submission: a folder laid out like exercises/, or one file."""
        path = Path(path)
        if path.is_dir():
            return {ex.id: sources.find(path, ex.id) for ex in self.exercises}
        if path.is_file():
            id = exercise or path.stem
            if id not in {ex.id for ex in self.exercises}:
                raise GraderError(f"{path.name}: no exercise called '{id}' (see `python -m grader list`); "
                                  "name the file after its exercise or pass --exercise")
            return {id: path}
        raise GraderError(f"no such file or folder: {path}")

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

    def _grade(self, path, files: dict[str, Path | None]) -> Report:
        """Read the files, run every exercise's items in one child, judge each item."""
        graded = [ex for ex in self.exercises if ex.id in files]
        read, results = {}, {}
        for ex in graded:
            items = self.items(ex)
            if files[ex.id] is None:
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(
                    _zero(item, "not submitted", f"{ex.filename} was not submitted") for item in items))
                continue
            try:
                read[ex.id] = sources.read(files[ex.id])
            except sources.Unreadable as exc:
                results[ex.id] = ExerciseResult(ex.id, ex.title, tuple(_zero(item, "error", str(exc))
                                                                       for item in items), files[ex.id].name)
        tasks = [Task(id, source.text, source.filename, tuple(i.index for i in self.items(specs.exercise(id))),
                      self.reference[id] if self.swaps else None) for id, source in read.items()]
        runs = self.runner.run(tasks, hidden=self.hidden) if tasks else {}
        for ex in graded:
            if ex.id in runs:
                run, source = runs[ex.id], read[ex.id]
                checks = tuple(judge(item, self.expected[ex.id][item.name], run.replies[item.index], source,
                                     own_helpers=not self.swaps) for item in self.items(ex))
                results[ex.id] = ExerciseResult(ex.id, ex.title, checks, source.filename, source.locate(run.output),
                                                run.sandbox)
        return Report(str(path), tuple(results[ex.id] for ex in graded))


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


def _zero(item: Item, status: str, message: str) -> CheckResult:
    return CheckResult(item.name, 0.0, item.points, False, item.hidden, message, status, INF)


def judge(item: Item, expected: Reply, got: Reply, source: sources.Source, *, own_helpers: bool = False) -> CheckResult:
    """Score one item from the reference's reply and the student's."""
    check = item.check
    if got.error:
        status, text = _error_text(got.error, item, source)
        return _zero(item, status, text)
    verdicts = [compare(output, expected.outputs.get(output.name), got.outputs.get(output.name),
                        problem=got.problems.get(output.name, "" if output.name in got.outputs else "missing"),
                        params=item.params)
                for output in check.outputs]
    deviation = max((v.deviation for v in verdicts), default=0.0)
    failed = [v.message for v in verdicts if not v.passed]
    if not failed:
        return CheckResult(item.name, item.points, item.points, True, item.hidden, "passed", "passed", deviation)
    lines = [f"Checked {check.about or check.target}{_case_text(item)}."] + failed
    if own_helpers and check.swap:
        lines.append(_own_helpers_note(check))
    curves = tuple(_curve(output, expected.outputs.get(output.name), got.outputs.get(output.name), v, item.params)
                   for output, v in zip(check.outputs, verdicts) if not v.passed and v.index is not None)
    return CheckResult(item.name, 0.0, item.points, False, item.hidden, "\n".join(lines), "failed", deviation,
                       tuple(c for c in curves if c))


def _curve(output, expected, got, verdict, params) -> Curve | None:
    """The history to plot, when both sides are lists of numbers (or of rows of numbers)."""
    e, g = as_array(expected), as_array(got)
    if e is None or g is None or e.ndim not in (1, 2) or e.ndim != g.ndim or e.shape[1:] != g.shape[1:]:
        return None
    return Curve(output.name, output.about, e.tolist(), g.tolist(), verdict.index, verdict.where, output.columns,
                 _unit(output, len(e), params))


def _unit(output, n: int, params) -> str:
    """What a history counts, when its names end in the entry's own number ("epoch 3", "update 7")."""
    found = re.search(r"(\w+) \d+\)?$", output.history(0, params))
    unit = found.group(1) if found else ""
    ok = unit and all(re.search(rf"\b{unit} {i}\)?$", output.history(i, params)) for i in {1, n // 2, n - 1} if i > 0)
    return unit if ok else "entry"


def _case_text(item: Item) -> str:
    if not item.case.params:
        return ""
    return " with " + ", ".join(f"{k}={v}" for k, v in item.case.params.items())


def _own_helpers_note(check) -> str:
    return (f"Note: this self-check runs {check.target} with your own {', '.join(check.swap)}; "
            f"when your instructor grades, it runs with correct ones, so only {check.target} itself counts.")


STATUS = {"not attempted": "not attempted", "missing": "failed", "limit": "limit"}


def _error_text(error: dict, item: Item, source: sources.Source) -> tuple[str, str]:
    kind, message = error.get("kind", "error"), error.get("message", "")
    where = source.locate(error.get("where", ""))
    if kind == "not attempted":
        inside = where.split(", in ")[-1] if where else ""
        if inside != item.check.target and inside in specs.exercise(item.exercise).targets:
            message += f" ({inside} raises NotImplementedError)"
        return STATUS[kind], message
    if kind == "syntax":
        return "error", f"syntax error{' at ' + where if where else ''}: {message}"
    if kind == "signature":
        stub = stub_signature(item.exercise, item.check.target)
        return "error", message + (f"; the exercise defines it as {stub}" if stub else "")
    text = f"Checked {item.check.about or item.check.target}{_case_text(item)}.\n{message}"
    if where:
        text += f" ({where})"
    trace = source.locate(error.get("trace", ""))
    if trace and kind in ("exception", "return", "limit", "exit"):
        text += "\n" + trace.rstrip()
    return STATUS.get(kind, "error"), text


def stub_signature(exercise: str, name: str) -> str:
    """How the stub in exercises/ defines ``name``, e.g. 'forward(X, w, b)'."""
    try:
        tree = ast.parse((paths.EXERCISES / f"{exercise}.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            node = init or node
            return f"{name}({ast.unparse(init.args).replace('self, ', '').replace('self', '')})" if init else name
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return f"{name}({ast.unparse(node.args)})"
    return ""
