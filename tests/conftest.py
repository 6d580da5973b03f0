"""Shared fixtures: one Grader (fork server and reference results) for the whole session."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader import Grader, paths
from grader.results import ExerciseResult

MARGINS: dict[str, float] = {}


@pytest.fixture(scope="session")
def grader():
    g = Grader()
    yield g
    g.runner.close()


def mutate(exercise: str, *replacements: tuple[str, str]) -> str:
    """The reference of ``exercise`` with each (old, new) replaced; each old must occur exactly once."""
    source = (paths.REFERENCE / f"{exercise}.py").read_text(encoding="utf-8")
    for old, new in replacements:
        assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times in reference/{exercise}.py"
        source = source.replace(old, new)
    return source


@pytest.fixture
def grade_source(grader, tmp_path):
    """Grade one exercise's source text as a submission; returns its ExerciseResult."""

    def grade(exercise: str, source: str, suffix: str = ".py") -> ExerciseResult:
        folder = tmp_path / f"submission{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / f"{exercise}{suffix}").write_text(source, encoding="utf-8")
        report = grader.grade(folder)
        return next(e for e in report.exercises if e.exercise == exercise)

    return grade


def failed(result: ExerciseResult) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def pytest_terminal_summary(terminalreporter):
    if MARGINS:
        terminalreporter.section("tolerance margins (deviation / tolerance)")
        for name, value in MARGINS.items():
            terminalreporter.write_line(f"{name}: {value:.3g}")
