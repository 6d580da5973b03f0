"""The student release: no solution and no hidden case inside; checking works offline inside it."""
import json
import shutil
import subprocess
import sys

import pytest

from conftest import code_of, leaks
from grader import exercises, paths, release

IDS = [ex.id for ex in exercises()]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return release.build(tmp_path_factory.mktemp("r") / "course")


def run(cwd, *args):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_release_holds_stubs_grader_and_public_expected_values_only(built):
    assert not (built / "reference").exists() and not (built / "grader" / "hidden").exists()
    assert sorted(p.name for p in (built / "exercises").glob("*.py")) == sorted(f"{id}.py" for id in IDS)
    expected = json.loads((built / "grader" / "expected.json").read_text())
    assert set(expected) == set(IDS)
    public = {id: {i.name for i in next(e for e in exercises() if e.id == id).items()} for id in IDS}
    assert {id: set(items) for id, items in expected.items()} == public


def test_no_solution_body_leaks_into_the_release(built):
    released = {str(path.relative_to(built)): code_of(path.read_text()) for path in built.rglob("*.py")}
    assert [leak for exercise in IDS for leak in leaks(exercise, released)] == []


def test_a_perfect_student_gets_full_marks_on_the_public_cases_offline(built, tmp_path):
    student = tmp_path / "student"
    shutil.copytree(built, student)
    for exercise in IDS:
        shutil.copy(paths.REFERENCE / f"{exercise}.py", student / "exercises" / f"{exercise}.py")
    which = run(student, "-c", "import grader; print(grader.__file__)")
    assert which.stdout.strip() == str(student / "grader" / "__init__.py")
    done = run(student, "-m", "grader", "check", "--json", "report.json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((student / "report.json").read_text())
    assert set(report) >= {"submission", "score", "max_score", "exercises"}
    assert report["score"] == report["max_score"] > 0
    assert not any(c["hidden"] for e in report["exercises"] for c in e["checks"])
    tests = run(student, "-m", "pytest", "--grade", "exercises", "--grade-public", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and " failed" not in tests.stdout, tests.stdout[-2000:]


def test_the_untouched_release_checks_to_zero_and_grading_needs_the_reference(built):
    done = run(built, "-m", "grader", "check")
    assert done.returncode == 1 and "Total: 0 /" in done.stdout
    graded = run(built, "-m", "grader", "grade", "exercises")
    assert graded.returncode == 2 and "needs the reference solutions" in graded.stderr
