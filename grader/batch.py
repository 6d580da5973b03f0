"""Grading a whole class: every student folder (or file) in a folder, resumably, in parallel.

Each student's JSON report (and Gradescope results.json) is written atomically as
soon as that student is graded, with a fingerprint of what was graded. A rerun
skips every student whose report matches their files, so an interrupted run (Ctrl-C,
kill -9) finishes the rest without regrading or duplicating anything. The CSV of all
scores, and a picture of the class (summary.png), are rebuilt from the reports at the end.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import gradescope, intake, text
from .grade import Grader, GraderError

REPORTS, GRADESCOPE, CSV, SUMMARY = "reports", "gradescope", "scores.csv", "summary.png"


@dataclass
class Summary:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # grader errors: not the student's fault
    interrupted: bool = False


def submissions(folder: Path, out: Path | None, exercise: str | None) -> dict[str, Path]:
    """Student name -> their folder or file, for every entry of a class folder (see ``intake.students``)."""
    try:
        return intake.students(folder, out=out, single_files=exercise is not None)
    except intake.NotASubmission as exc:
        raise GraderError(str(exc)) from None


def refuse_class(path: Path) -> None:
    """Raise a GraderError when ``path``, given as one submission, is a folder of student folders."""
    found = intake.student_folders(path)
    if found:
        raise GraderError(f"{path} holds {len(found)} student folders ({', '.join(found[:3])}"
                          f"{', ...' if len(found) > 3 else ''}): grade them with --out DIR")


def fingerprint(grader: Grader, path: Path, exercise: str | None) -> str:
    """A digest of the files that grading this submission reads."""
    digest = hashlib.sha256()
    for id, file in sorted(grader.files(path, exercise).items()):
        digest.update(id.encode())
        digest.update(file.read_bytes() if file is not None else b"\0missing")
    digest.update(b"hidden" if grader.hidden else b"public")
    return digest.hexdigest()


def grade_class(grader: Grader, folder: Path, out: Path, *, exercise: str | None = None, jobs: int = 1,
                force: bool = False, progress=None) -> Summary:
    """Grade every submission in ``folder`` into ``out``; see the module's docstring."""
    students = submissions(folder, out, exercise)
    (out / REPORTS).mkdir(parents=True, exist_ok=True)
    for leftover in out.rglob(".*.tmp"):  # half-written by a run that was killed
        leftover.unlink()
    summary, todo = Summary(), {}
    for name, path in students.items():
        mark = fingerprint(grader, path, exercise)
        if not force and _done(out, name, mark):
            summary.skipped.append(name)
        else:
            todo[name] = (path, mark)
    bar = progress or Progress(len(students), len(summary.skipped))
    stop = threading.Event()

    def one(name: str) -> None:
        path, mark = todo[name]
        report = grader.grade(path, exercise=exercise)
        if stop.is_set():
            return  # interrupted: whatever came back may be cut short, so it is not kept
        write_json(out / REPORTS / f"{name}.json", {**report.to_dict(), "student": name, "fingerprint": mark})
        write_json(out / GRADESCOPE / name / "results.json", gradescope.results(report))
        summary.graded.append(name)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        pending = {pool.submit(one, name): name for name in todo}
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                name = pending.pop(future)
                error = future.exception()
                if error is not None:
                    summary.failed[name] = f"{type(error).__name__}: {error}"
                bar.step(name, failed=error is not None)
    except KeyboardInterrupt:
        stop.set()
        summary.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        grader.runner.close()  # ends the children of the submissions in flight
    else:
        pool.shutdown()
    bar.close()
    reports = read_reports(out)
    write_csv(out, reports)
    if reports:
        from .plots import class_figure, png  # matplotlib, once per run

        write_bytes(out / SUMMARY, png(class_figure(list(reports.values())), dpi=100))
    return summary


def _done(out: Path, name: str, mark: str) -> bool:
    try:
        return json.loads((out / REPORTS / f"{name}.json").read_text(encoding="utf-8")).get("fingerprint") == mark
    except (OSError, ValueError, AttributeError):
        return False


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader, or a rerun after a crash, never sees half a file."""
    write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_reports(out: Path) -> dict[str, dict]:
    """Every student's report in out/reports, by file name."""
    reports = {}
    for path in sorted((out / REPORTS).glob("*.json")):
        try:
            reports[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return reports


def write_csv(out: Path, reports: dict[str, dict]) -> None:
    """scores.csv: a row per student, a column per exercise and per check, then the report's warnings.

    Text that came from a submission (a name, a warning) is cleaned, and never starts a
    spreadsheet formula."""
    rows, columns = [], {}
    for name, report in reports.items():
        row = {"student": report.get("student", name), "score": report["score"], "max_score": report["max_score"]}
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
