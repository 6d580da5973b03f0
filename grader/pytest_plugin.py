"""The pytest route: ``pytest --grade PATH`` grades a submission, one test item per check.

Each check becomes a test that passes or fails with the grader's own message, and
carries its points as user properties (``--junitxml`` writes them), so the command
works as a GitHub Classroom-style autograding step. The grading runs once, in this
process, the first time an item runs; student code runs in the grader's children.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from . import paths, specs
from .grade import Grader, GraderError
from .spec import load_hidden

_REPORT = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("gdgrader", "grading a submission")
    group.addoption("--grade", metavar="PATH", type=Path,
                    help="grade a submission (a folder laid out like exercises/, or one exercise file): "
                         "one test per check")
    group.addoption("--grade-exercise", metavar="ID", help="grade PATH as this exercise")
    group.addoption("--grade-public", action="store_true",
                    help="public cases only (a student's self-check; no reference solutions needed)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    config = session.config
    path = config.getoption("grade")
    if path is None:
        return None
    exercise = config.getoption("grade_exercise")
    hidden = not config.getoption("grade_public")
    if not path.exists():
        raise pytest.UsageError(f"--grade: no such file or folder: {path}")
    ids = _exercise_ids(path, exercise)
    items = [CheckItem.from_parent(session, name=f"{ex.id}::{item.name}", nodeid=f"{ex.id}::{item.name}",
                                   path=path, exercise=ex.id,
                                   check=item.name, points=item.points, hidden=item.hidden)
             for ex in map(specs.exercise, ids)
             for item in ex.items(load_hidden(paths.HIDDEN, ex.id) if hidden else {})]
    config.stash[_REPORT] = {"path": path, "exercise": exercise, "hidden": hidden, "ids": ids, "results": None}
    config.hook.pytest_collection_modifyitems(session=session, config=config, items=items)
    session.items = items
    session.testscollected = len(items)
    config.hook.pytest_collection_finish(session=session)
    return True


def _exercise_ids(path: Path, exercise: str | None) -> tuple[str, ...]:
    if path.is_dir() and not exercise:
        return specs.IDS
    name = exercise or path.stem
    if name not in specs.IDS:
        raise pytest.UsageError(f"--grade: no exercise called '{name}'; name the file after its exercise "
                                "or pass --grade-exercise")
    return (name,)


def _results(config) -> dict:
    """Grade the submission once; every item then reads its own result."""
    state = config.stash[_REPORT]
    if state["results"] is None:
        try:
            grader = Grader(hidden=state["hidden"], exercises=state["ids"])
            report = grader.grade(state["path"], exercise=state["exercise"])
        except GraderError as exc:
            state["results"] = exc
        else:
            state["results"] = {(e.exercise, c.name): c for e in report.exercises for c in e.checks}
            state["total"] = (report.score, report.max_score)
    return state["results"]


class CheckFailed(Exception):
    """A check did not pass; its message is the report."""


class CheckItem(pytest.Item):
    def __init__(self, *, exercise: str, check: str, points: float, hidden: bool, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.check = exercise, check
        self.user_properties += [("points", points), ("hidden", hidden)]

    def runtest(self):
        results = _results(self.config)
        if isinstance(results, GraderError):
            raise CheckFailed(f"the grader could not run: {results}")
        result = results[(self.exercise, self.check)]
        self.user_properties.append(("score", result.score))
        if not result.passed:
            raise CheckFailed(f"{result.score:g} / {result.max_score:g}: {result.message}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.exercise}::{self.check}"


def pytest_terminal_summary(terminalreporter, config):
    state = config.stash.get(_REPORT, None)
    if state and "total" in state:
        score, max_score = state["total"]
        terminalreporter.write_line(f"gdgrader score: {score:g} / {max_score:g}", bold=True)
