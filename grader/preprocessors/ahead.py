"""Grading the next submissions while nbgrader records the current one.

nbgrader autogrades one notebook after another, and its own work on each (sanitizing,
writing, the gradebook) takes about as long as grading it. ``Ahead`` grades the next
submitted notebooks in the background, in the grader's sandboxed children, so that
the two overlap. A result made ahead is used only for a notebook whose code, as
nbgrader hands it over, is exactly the code graded ahead (nbgrader restores locked
cells a student changed, for one): otherwise that notebook is graded again.
"""
from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from .. import sources
from ..grade import Grader
from ..results import CheckResult, Report

Results = dict[str, CheckResult]


class Ahead:
    """Up to ``size`` notebooks graded in the background, taken by the path they were submitted at.

    However many are under way, the grader runs only as many children at once as it has
    slots (the number of cores): a notebook waiting for one costs a thread, not a core.
    """

    def __init__(self, grader: Grader, size: int):
        self.grader = grader
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="grade-ahead") if size > 0 else None
        self._graded: dict[str, Future] = {}

    def plan(self, upcoming: list[tuple[str, str]]) -> None:
        """Grade the first ``size`` of ``upcoming`` ((exercise, path) pairs, in nbgrader's order); drop the rest."""
        wanted = {os.path.abspath(path): exercise for exercise, path in upcoming[:self.size]}
        for key in [key for key in self._graded if key not in wanted]:
            self._graded.pop(key).cancel()  # skipped by nbgrader; one already running just finishes
        for key, exercise in wanted.items():
            if self._pool is not None and key not in self._graded:
                self._graded[key] = self._pool.submit(_grade_file, self.grader, Path(key), exercise)

    def take(self, path: str | os.PathLike, source: sources.Source | None) -> Results | None:
        """The results graded ahead for ``path`` if they are for exactly ``source``'s code; else None."""
        future = self._graded.pop(os.path.abspath(path), None)
        if future is None or source is None:
            return None
        try:
            ahead, results = future.result()
        except Exception:  # noqa: BLE001 (whatever failed ahead is graded again, in the open)
            return None
        return results if ahead == source else None


@contextmanager
def private_copy(data: bytes, exercise: str) -> Iterator[Path]:
    """``data`` as ``<exercise>.ipynb`` in a folder of its own that only this user can enter."""
    with tempfile.TemporaryDirectory(prefix="gdgrader-nb-") as folder:
        path = Path(folder) / f"{exercise}.ipynb"
        path.write_bytes(data)
        yield path


def read(path: Path) -> sources.Source | None:
    """The code the grader reads in a notebook, under its file name only; None if it cannot be read."""
    try:
        source = sources.read(path)
    except sources.Unreadable:
        return None
    return replace(source, path=Path(path.name))


def results_of(report: Report) -> Results:
    return {check.name: check for e in report.exercises for check in e.checks}


def _grade_file(grader: Grader, path: Path, exercise: str) -> tuple[sources.Source | None, Results]:
    with private_copy(path.read_bytes(), exercise) as copy:
        return read(copy), results_of(grader.grade(copy, exercise=exercise))
