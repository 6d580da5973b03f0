"""The test cells' side: ``check(exercise, item)`` inside a Jupyter kernel.

A test cell grades the notebook file as saved, exactly as ``python -m grader grade``
would: the code runs in the grader's sandboxed children, not in the kernel. The
first call grades every item of the notebook once; later calls (and reruns while
the file is unchanged) read the result. A passing item prints a line; a failing
one shows the histories that went wrong as a picture, then raises ``CheckFailed``
with the grader's message, which nbgrader records as 0 for that cell.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import paths
from .grade import Grader, GraderError
from .results import CheckResult

_graders: dict[tuple[str, paths.Course | None], Grader] = {}
_results: dict[tuple[str, str], dict[str, CheckResult]] = {}


class CheckFailed(AssertionError):
    """A check did not pass; the message says what was checked and where it went wrong."""


def check(exercise: str, item: str, notebook: str | os.PathLike | None = None) -> None:
    """Grade (once) the saved notebook of ``exercise`` and report on ``item``."""
    _message_only()
    path = Path(notebook) if notebook else locate(exercise)
    result = results(exercise, path).get(item)
    if result is None:
        raise CheckFailed(f"{item}: this check runs only when your instructor grades (it needs the hidden cases)")
    if not result.passed:
        _plot(exercise, result)
        raise CheckFailed(f"{result.score:g} / {result.max_score:g}\n{result.message}")
    print(f"passed: {item} ({result.score:g} / {result.max_score:g})")


def _message_only() -> None:
    """In IPython, show a failed check as its message alone: no traceback, so no test cell source."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and CheckFailed not in shell.custom_exceptions:
        shell.set_custom_exc((CheckFailed,), _show)


def _plot(exercise: str, result: CheckResult) -> None:
    """In a notebook, show a failed history as a picture above the message (feedback keeps it)."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if result.curves and get_ipython() is not None:
        from .plots import history_figure, png

        display(Image(png(history_figure(f"{exercise}: {result.name}", result.curves))))


def _show(shell, etype, value, tb, tb_offset=None):
    shell.showtraceback((etype, value, tb), exception_only=True)


def locate(exercise: str) -> Path:
    """The notebook being graded: <exercise>.ipynb in the working directory, or the session's notebook."""
    here = Path(f"{exercise}.ipynb")
    if here.exists():
        return here.resolve()
    session = os.environ.get("JPY_SESSION_NAME")
    if session and Path(session).exists():
        return Path(session)
    raise CheckFailed(f"cannot find {here} in {Path.cwd()}: save the notebook under that name and run again")


def results(exercise: str, path: Path) -> dict[str, CheckResult]:
    """Every item's result for this version of the file, graded once."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    key = (exercise, digest)
    if key not in _results:
        report = grader(exercise, path.parent).grade(path, exercise=exercise)
        _results[key] = {c.name: c for e in report.exercises for c in e.checks}
    return _results[key]


def grader(exercise: str, folder: Path) -> Grader:
    """One Grader per exercise, course and kernel: hidden cases where the course's reference is there (the
    course found from the notebook's folder, see ``paths.find``), public ones otherwise (a student's release)."""
    try:
        course = paths.find(start=folder, required=False)
    except paths.CourseNotFound as exc:
        raise CheckFailed(f"the grader cannot check this notebook: {exc}") from None
    key = (exercise, course)
    if key not in _graders:
        try:
            _graders[key] = Grader(hidden=course is not None and (course.reference / f"{exercise}.py").exists(),
                                   exercises=(exercise,), course=course or paths.DEFAULT)
        except GraderError as exc:
            raise CheckFailed(f"the grader cannot check this notebook: {exc} (looked for the course from "
                              f"{folder}; set {paths.ENV} to the course folder)") from None
    return _graders[key]
