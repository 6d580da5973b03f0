"""The pytest route: ``pytest --grade PATH`` grades a submission, one test item per check.

Each check becomes a test that passes or fails with the grader's own message, and
carries its points as user properties (``--junitxml`` writes them). The grading runs
once, in this process, the first time an item runs; student code runs in the grader's
children.

With ``--grade``, what the graded repository holds cannot change the grading: its
conftest.py files are never loaded, and pytest refuses to start when a configuration
file adds options or import paths (``addopts``, ``pythonpath``), when PYTEST_ADDOPTS or
PYTEST_PLUGINS is set, or when a plugin was loaded from outside the Python installation.
The README gives the command for a workflow in a student's repository, which reads no
configuration file at all.
"""
from __future__ import annotations

import os
import site
import sys
import sysconfig
import types
from pathlib import Path

import pytest

from . import environment, paths, specs
from .spec import load_hidden

_REPORT = pytest.StashKey[dict]()
RUN_IT_SO = ("run it with no configuration file and no plugin but this one: PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "
             "python -I -m pytest -c /dev/null -p gdgrader -p no:cacheprovider --grade PATH")


def pytest_addoption(parser):
    group = parser.getgroup("gdgrader", "grading a submission")
    group.addoption("--grade", metavar="PATH", type=Path,
                    help="grade a submission (a folder laid out like exercises/, or one exercise file): "
                         "one test per check")
    group.addoption("--grade-exercise", metavar="ID", help="grade PATH as this exercise")
    group.addoption("--grade-public", action="store_true",
                    help="public cases only (a student's self-check; no reference solutions needed)")
    group.addoption("--grade-course", metavar="DIR", type=Path,
                    help=f"the course (default: ${paths.ENV}, else the first folder from here upwards that holds "
                         "exercises/ and reference/)")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config):
    """With --grade: no conftest.py is ever loaded, and foreign configuration or plugins are refused."""
    if early_config.known_args_namespace.grade is None:
        return
    early_config.known_args_namespace.noconftest = True
    _refuse_foreign(early_config)


def _refuse_foreign(config) -> None:
    reasons = [f"{config.inipath or 'the configuration'} sets {key}" for key in ("addopts", "pythonpath")
               if config.getini(key)]
    reasons += [f"${name} is set" for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS") if os.environ.get(name)]
    foreign = _foreign_plugins(config.pluginmanager)
    if foreign:
        reasons.append(f"plugins from outside the Python installation are loaded ({', '.join(foreign)})")
    if reasons:
        raise pytest.UsageError(f"--grade grades the same way whatever the repository holds, so it does not run "
                                f"when {'; '.join(reasons)}: {RUN_IT_SO}")


def _foreign_plugins(pluginmanager) -> list[str]:
    """The plugins whose code lies outside the Python installation (a repository's own, say), by name."""
    installed = [Path(p).resolve() for p in (*site.getsitepackages(), site.getusersitepackages(),
                                             *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib",
                                                                                  "purelib", "platlib")))]
    found = []
    for name, plugin in pluginmanager.list_name_plugin():
        if plugin is None or plugin is sys.modules[__name__]:
            continue
        module = plugin if isinstance(plugin, types.ModuleType) else sys.modules.get(type(plugin).__module__)
        file = getattr(module, "__file__", None)
        if not file or not any(Path(file).resolve().is_relative_to(folder) for folder in installed):
            found.append(str(name))
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    config = session.config
    path = config.getoption("grade")
    if path is None:
        return None
    problem = environment.problem()
    if problem:
        raise pytest.UsageError(problem)
    _refuse_foreign(config)  # again: a plugin can register another after start-up
    exercise = config.getoption("grade_exercise")
    hidden = not config.getoption("grade_public")
    if not path.exists():
        raise pytest.UsageError(f"--grade: no such file or folder: {path}")
    course = _course(config.getoption("grade_course"), hidden)
    ids = _exercise_ids(path, exercise)
    items = [CheckItem.from_parent(session, name=f"{ex.id}::{item.name}", nodeid=f"{ex.id}::{item.name}",
                                   path=path, exercise=ex.id,
                                   check=item.name, points=item.points, hidden=item.hidden)
             for ex in map(specs.exercise, ids)
             for item in ex.items(load_hidden(course.hidden, ex.id) if hidden else {})]
    config.stash[_REPORT] = {"path": path, "exercise": exercise, "hidden": hidden, "ids": ids, "course": course,
                             "results": None}
    config.hook.pytest_collectreport(report=pytest.CollectReport("", "passed", None, items))
    config.hook.pytest_collection_modifyitems(session=session, config=config, items=items)
    session.items = items
    session.testscollected = len(items)
    config.hook.pytest_collection_finish(session=session)
    return True


def _course(given: Path | None, hidden: bool) -> paths.Course:
    """The course (see ``paths.find``); a public self-check of an installed release needs none."""
    try:
        course = paths.find(given, required=hidden or not paths.EXPECTED.exists()) or paths.DEFAULT
    except paths.CourseNotFound as exc:
        raise pytest.UsageError(f"--grade: {exc}") from None
    if hidden and not course.has_reference:
        raise pytest.UsageError(f"--grade needs the reference solutions, and {course.root} has no reference/ "
                                "(a student release): add --grade-public to run the public cases")
    return course


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
    from .grade import Grader, GraderError  # NumPy: imported once grading starts, not when pytest loads plugins
    from .protocol import Limits
    from .runner import template

    state = config.stash[_REPORT]
    if state["results"] is None:
        try:
            runner = template(Limits(), [specs.exercise(id) for id in state["ids"] or specs.IDS], many=False,
                              course=state["course"] or paths.DEFAULT)
            grader = Grader(hidden=state["hidden"], exercises=state["ids"], course=state["course"], runner=runner)
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
        if isinstance(results, Exception):
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
