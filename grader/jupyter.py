"""The test cells' side: ``check(exercise, item)`` inside a student's Jupyter kernel.

A test cell grades the notebook file as saved, exactly as ``python -m grader grade``
would: the code runs in the grader's sandboxed children, not in the kernel. The
first call grades every item of the notebook once; later calls (and reruns while
the file is unchanged) read the result. Before grading, the check compares the
definition of the function it grades, as this kernel last ran it, with the one in
the saved file: when they differ it asks the student to save, rather than grade
code they no longer see. A passing item prints a line; a failing one shows the
histories that went wrong as a picture, then raises ``CheckFailed`` with the
grader's message.

Scores never come from here: at autograde, nbgrader runs no kernel and the grader's
results are written into the test cells (``grader.preprocessors``), in the words
``passed_line`` and ``failure_text`` give both routes.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path

from . import paths, sources, specs
from .grade import Grader, GraderError
from .results import CheckResult

_graders: dict[tuple[str, paths.Course | None], Grader] = {}
_results: dict[tuple[str, str], dict[str, CheckResult]] = {}


class CheckFailed(AssertionError):
    """A check did not pass; the message says what was checked and where it went wrong."""


def check(exercise: str, item: str, notebook: str | os.PathLike | None = None) -> None:
    """Grade (once) the saved notebook of ``exercise`` and report on ``item``."""
    shell = _shell()
    if shell is not None and CheckFailed not in shell.custom_exceptions:
        shell.set_custom_exc((CheckFailed,), _show)  # a failed check shows its message alone, not the cell's source
    path = Path(notebook) if notebook else locate(exercise)
    target = _target(exercise, item)
    if shell is not None and target and unsaved(shell, path, target):
        raise CheckFailed(f"{target}: the notebook as saved is not the code this kernel ran last.\n"
                          f"Run the cell of {target}, save the notebook (Ctrl-S), then run this check again.")
    result = results(exercise, path).get(item)
    if result is None:
        raise CheckFailed(f"{item}: this check runs only when your instructor grades (it needs the hidden cases)")
    if not result.passed:
        if shell is not None and result.curves:
            from IPython.display import Image, display

            display(Image(picture(exercise, result)))
        raise CheckFailed(failure_text(result))
    print(passed_line(result))


def passed_line(result: CheckResult) -> str:
    return f"passed: {result.name} ({result.score:g} / {result.max_score:g})"


def failure_text(result: CheckResult) -> str:
    return f"{result.score:g} / {result.max_score:g}\n{result.message}"


def picture(exercise: str, result: CheckResult) -> bytes:
    """The failed histories of a result as a PNG (matplotlib only when there is one to draw)."""
    from .plots import history_figure, png

    return png(history_figure(f"{exercise}: {result.name}", result.curves))


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _show(shell, etype, value, tb, tb_offset=None):
    shell.showtraceback((etype, value, tb), exception_only=True)


def unsaved(shell, path: Path, name: str) -> bool:
    """Whether the kernel's last run definition of ``name`` differs from the saved notebook's.

    Both sides go through the kernel's own input transformation, so magics read the same;
    a definition never run in this kernel is not compared (the saved one is what counts).
    """
    ran = _last_definition(getattr(shell.history_manager, "input_hist_parsed", ()), name)
    if ran is None:
        return False
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        saved = [shell.input_transformer_manager.transform_cell(_text(cell.get("source", "")))
                 for cell in cells if cell.get("cell_type") == "code" and not sources.is_test_cell(cell)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False  # unreadable: grading says so
    found = _last_definition(saved, name)
    if found is None and any(_parse(cell) is None for cell in saved):
        return False  # maybe in a cell that does not compile: grading says so
    return found != ran


def _parse(cell: str) -> ast.Module | None:
    try:
        return ast.parse(cell)
    except (SyntaxError, ValueError):
        return None


def _last_definition(cells, name: str) -> str | None:
    """The last top-level definition of ``name`` in code cells run in order, as a comparable dump."""
    found = None
    for tree in map(_parse, cells):
        for node in tree.body if tree else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = ast.dump(node)
    return found


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _target(exercise: str, item: str) -> str | None:
    """The function (or class) ``item`` grades."""
    try:
        ex = specs.exercise(exercise)
    except KeyError:
        return None
    return next((check.target for check in ex.checks if item == check.name or item.startswith(f"{check.name} [")),
                None)


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
