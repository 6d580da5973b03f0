"""Grading a whole class: every student folder (or file) in a folder, resumably, in parallel.

Each student's JSON report (and Gradescope results.json) is written atomically as
soon as that student is graded, with a fingerprint of what was graded. A rerun
skips every student whose report matches their files, so an interrupted run (Ctrl-C,
kill -9) finishes the rest without regrading or duplicating anything. The CSV of all
scores, and a picture of the class (summary.png), are rebuilt from the reports at the end.

Who grades is an executor: ``Threads`` (threads of this process sharing one Grader) or
``cluster.Dask`` (the workers of a Dask cluster). Either yields each student's outcome as
plain data as it comes; this module alone writes the files.
"""
from __future__ import annotations

import csv
import hashlib
import importlib
import io
import json
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

from . import gradescope, intake, text
from .grade import Grader, GraderError
from .results import Report
from .sources import MAX_NOTEBOOK, Unreadable, read_bytes

REPORTS, GRADESCOPE, CSV, SUMMARY = "reports", "gradescope", "scores.csv", "summary.png"


@dataclass
class Summary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # grader errors: not the student's fault
    interrupted: bool = False
    seconds: dict[str, float] = field(default_factory=dict)  # how long each graded student took, where graded


@dataclass(frozen=True)
class Graded:
    """One student's outcome as plain data: their report and Gradescope results, or why the grader failed."""

    name: str
    report: dict | None = None
    gradescope: dict | None = None
    error: str | None = None
    seconds: float = 0.0


def graded(name: str, report: Report, seconds: float) -> Graded:
    return Graded(name, report.to_dict(), gradescope.results(report), seconds=seconds)


class Executor(Protocol):
    """Grades students, yielding each outcome as it comes, in any order; closing the iterator early
    (an interruption) ends the grading in flight."""

    hidden: bool

    def files(self, path: Path, exercise: str | None = None) -> dict[str, Path | None]: ...

    def grade(self, todo: dict[str, Path], exercise: str | None) -> Iterator[Graded]: ...


class Threads:
    """Students graded by ``jobs`` threads of this process, sharing one Grader (its fork server and the
    reference's results)."""

    def __init__(self, grader: Grader, jobs: int = 1):
        self.grader, self.jobs = grader, max(1, jobs)
        self.hidden = grader.hidden

    def files(self, path: Path, exercise: str | None = None) -> dict[str, Path | None]:
        return self.grader.files(path, exercise)

    def grade(self, todo: dict[str, Path], exercise: str | None) -> Iterator[Graded]:
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        pending = {pool.submit(self._one, name, path, exercise): name for name, path in todo.items()}
        finished = False
        try:
            while pending:
                done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    name, error = pending.pop(future), future.exception()
                    yield future.result() if error is None else Graded(name, error=f"{type(error).__name__}: {error}")
            finished = True
        finally:
            pool.shutdown(wait=finished, cancel_futures=not finished)
            if not finished:
                self.grader.runner.close()  # ends the children of the submissions in flight

    def _one(self, name: str, path: Path, exercise: str | None) -> Graded:
        start = time.monotonic()
        report = self.grader.grade(path, exercise=exercise)
        return graded(name, report, time.monotonic() - start)


def submissions(folder: Path, out: Path | None, exercise: str | None) -> dict[str, Path]:
    """Student name -> their folder or file, for every entry of a class folder (see ``intake.students``)."""
    try:
        return intake.students(folder, out=out, single_files=exercise is not None)
    except intake.NotASubmission as exc:
        raise GraderError(str(exc)) from None


def fingerprint(grader: Grader | Executor, path: Path, exercise: str | None) -> str:
    """A digest of the files that grading this submission reads (read as grading reads them: no link followed,
    no pipe waited on, at most what the grader takes)."""
    digest = hashlib.sha256()
    files = grader.files(path, exercise)
    for id, file in sorted(files.items()):
        digest.update(id.encode())
        try:
            digest.update(read_bytes(file, files.folder, MAX_NOTEBOOK + 1) if file is not None else b"\0missing")
        except Unreadable as exc:
            digest.update(f"\0unreadable: {exc}".encode())
    digest.update(b"hidden" if grader.hidden else b"public")
    return digest.hexdigest()


def grade_class(executor: Executor, folder: Path, out: Path, *, exercise: str | None = None, force: bool = False,
                progress=None) -> Summary:
    """Grade every submission in ``folder`` into ``out``; see the module's docstring."""
    students = submissions(folder, out, exercise)
    (out / REPORTS).mkdir(parents=True, exist_ok=True)
    for leftover in out.rglob(".*.tmp"):  # half-written by a run that was killed
        leftover.unlink()
    summary, todo, marks = Summary(), {}, {}
    for name, path in students.items():
        marks[name] = fingerprint(executor, path, exercise)
        if not force and _done(out, name, marks[name]):
            summary.skipped.append(name)
        else:
            todo[name] = path
    bar = progress or Progress(len(students), len(summary.skipped))
    outcomes = executor.grade(todo, exercise)
    try:
        for outcome in outcomes:
            name = outcome.name
            if outcome.error is None:
                write_json(out / REPORTS / f"{name}.json", {**outcome.report, "student": name, "fingerprint": marks[name]})
                write_json(out / GRADESCOPE / name / "results.json", outcome.gradescope)
                if not summary.graded:
                    _load_in_background("grader.plots")  # for summary.png; never before the first report
                summary.graded.append(name)
                summary.seconds[name] = outcome.seconds
            else:
                summary.failed[name] = outcome.error
            bar.step(name, failed=outcome.error is not None)
    except KeyboardInterrupt:
        summary.interrupted = True  # what was in flight may be cut short, so it is not kept
    finally:
        outcomes.close()
    bar.close()
    reports = read_reports(out)
    write_csv(out, reports)
    if reports:
        from .plots import class_figure, png  # matplotlib, once per run

        write_bytes(out / SUMMARY, png(class_figure(list(reports.values())), dpi=100))
    return summary


def _load_in_background(module: str) -> None:
    """Import a module in a thread of its own, so that it is ready when needed; an import that fails here
    fails again, with its message, where the module is used."""
    threading.Thread(target=lambda: _try_import(module), daemon=True).start()


def _try_import(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception:
        pass


def _done(out: Path, name: str, mark: str) -> bool:
    try:
        return json.loads((out / REPORTS / f"{name}.json").read_text(encoding="utf-8")).get("fingerprint") == mark
    except (OSError, ValueError, AttributeError):
        return False


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader, or a rerun after the run was killed, never sees half a file. (Not
    synced to disk, which would bound a class run at a few dozen reports a second: after a power cut, a
    report that did not reach the disk whole does not read as JSON, and a rerun grades that student again.)"""
    write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def read_reports(out: Path) -> dict[str, dict]:
    """Every student's scores in out/reports, by file name: each report with only what the CSV and the
    summary read (student, score, max_score, exercises[] with their checks' name, score and max_score),
    its names and numbers shared between students: about a third of the memory of whole reports."""
    reports, shared = {}, {}
    keep = lambda value: shared.setdefault((type(value), value), value)  # noqa: E731 - one object per value
    for path in sorted((out / REPORTS).glob("*.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            reports[path.stem] = {
                "student": report.get("student", path.stem), "score": report["score"], "max_score": report["max_score"],
                "warnings": report.get("warnings", []),
                "exercises": [{"exercise": keep(e["exercise"]), "score": keep(e["score"]), "checks": [
                    {"name": keep(c["name"]), "score": keep(c["score"]), "max_score": keep(c["max_score"])}
                    for c in e["checks"]]} for e in report["exercises"]]}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return reports


def write_csv(out: Path, reports: dict[str, dict]) -> None:
    """scores.csv: a row per student, a column per exercise and per check, then the report's warnings.

    Text that came from a submission (a name, a warning) is cleaned, and never starts a
    spreadsheet formula."""
    rows, columns = [], {}
    for name, report in reports.items():
        row = {"student": report["student"], "score": report["score"], "max_score": report["max_score"]}
        for e in report["exercises"]:
            row[e["exercise"]] = e["score"]
            columns.setdefault(e["exercise"], None)
            for c in e["checks"]:
                key = f"{e['exercise']}: {c['name']}"
                row[key] = c["score"]
                columns.setdefault(key, None)
        row["warnings"] = "; ".join(report.get("warnings", []))
        rows.append({text.cell(key): text.cell(text.clean(value, one_line=True)) if isinstance(value, str) else value
                     for key, value in row.items()})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [text.cell(c) for c in ("student", "score", "max_score", *columns, "warnings")],
                            restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / CSV, buffer.getvalue())


class Progress:
    """A progress bar on a terminal; one line per student elsewhere (logs, CI)."""

    def __init__(self, total: int, done: int = 0, stream=None):
        self.total, self.done, self.stream = total, done, stream or sys.stderr
        self.start = time.monotonic()
        self.tty = self.stream.isatty()
        if done:
            self.stream.write(f"{done} of {total} already graded; grading the rest\n")

    def step(self, name: str, failed: bool = False) -> None:
        self.done += 1
        if not self.tty:
            self.stream.write(f"[{self.done}/{self.total}] {name}{' (grader error)' if failed else ''}\n")
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self.start
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                          f"{elapsed:5.0f}s  {name[:30]:<30}")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
