"""The student release: no solution and no hidden case inside; checking works offline inside it, quietly, on
Linux, macOS and Windows set-ups that install the newest torch each one has."""
import json
import re
import shutil
import subprocess
import sys
import tomllib

from packaging.requirements import Requirement

from conftest import code_of, leaks
from grader import exercises, paths

IDS = [ex.id for ex in exercises()]


def run(cwd, *args):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_release_holds_stubs_grader_and_public_expected_values_only(student_release):
    built = student_release
    assert not (built / "reference").exists() and not (built / "hidden").exists()
    assert not (built / "mistakes").exists(), "typical mistakes are wrong solutions: they stay with the course"
    assert not (built / "grader" / "hidden").exists() and not (built / "constraints.txt").exists()
    assert sorted(p.name for p in (built / "exercises").glob("*.py")) == sorted(f"{id}.py" for id in IDS)
    expected = json.loads((built / "grader" / "expected.json").read_text())
    assert set(expected) == set(IDS)
    public = {id: {i.name for i in next(e for e in exercises() if e.id == id).items()} for id in IDS}
    assert {id: set(items) for id, items in expected.items()} == public


def test_no_solution_body_leaks_into_the_release(student_release):
    released = {str(path.relative_to(student_release)): code_of(path.read_text())
                for path in student_release.rglob("*.py")}
    assert [leak for exercise in IDS for leak in leaks(exercise, released)] == []


def test_torch_is_a_range_that_admits_the_newest_wheel_of_every_platform(student_release):
    """Intel Macs stop at torch 2.2.2 (built against NumPy 1); elsewhere the newest release must do."""
    requirements = [Requirement(line) for line in (student_release / "grader" / "requirements.txt").read_text()
                    .splitlines() if line.strip() and not line.startswith("#")]
    torch = next(r for r in requirements if r.name == "torch")
    assert torch.specifier.contains("2.2.2") and torch.specifier.contains("2.15.0") and \
        torch.specifier.contains("3.1")
    intel_mac = {"sys_platform": "darwin", "platform_machine": "x86_64"}
    numpy = [r for r in requirements if r.name == "numpy" and (r.marker is None or r.marker.evaluate(intel_mac))]
    assert all(r.specifier.contains("1.26.4") for r in numpy)
    assert not all(r.specifier.contains("2.0.0") for r in numpy)
    assert 'dependencies = { file = ["grader/requirements.txt"] }' in (student_release / "pyproject.toml").read_text()


def test_a_copy_of_the_grader_installs_like_the_project(student_release):
    """The release's pyproject.toml gives the same command, plugin, packages and requirements as the project's."""
    ours, theirs = (tomllib.loads(path.read_text()) for path in (paths.ROOT / "pyproject.toml",
                                                                 student_release / "pyproject.toml"))
    for table, key in (("project", "scripts"), ("project", "entry-points"), ("project", "dynamic"),
                       ("project", "requires-python"), ("tool", "setuptools"), ("build-system", "requires")):
        assert theirs[table][key] == ours[table][key], (table, key)
    assert (student_release / "grader" / "requirements.txt").read_text() == \
        (paths.PACKAGE / "requirements.txt").read_text()


def test_the_readme_sets_up_and_checks_on_linux_macos_and_windows(student_release):
    readme = (student_release / "README.md").read_text()
    sections = re.split(r"\n(?=Linux|macOS|Windows \(PowerShell\))", readme.split("## Set up once")[1])
    setup = {part.split(":")[0]: part for part in sections[1:4]}
    assert ".venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu" in setup["Linux"]
    assert ".venv/bin/pip install torch\n" in setup["macOS"]
    assert "py -m venv .venv" in setup["Windows (PowerShell)"]
    assert ".venv\\Scripts\\pip install torch --index-url https://download.pytorch.org/whl/cpu" in \
        setup["Windows (PowerShell)"]
    assert ".venv\\Scripts\\gdgrader check exercises\\minibatch.py" in readme
    assert ".venv/bin/gdgrader check exercises/minibatch.py" in readme


def test_a_perfect_student_gets_full_marks_on_the_public_cases_offline(student_release, tmp_path):
    student = shutil.copytree(student_release, tmp_path / "student")
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
    tests = run(student, "-m", "pytest", "--grade", "exercises", "--grade-public", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and " failed" not in tests.stdout, tests.stdout[-2000:]
    public = sum(1 for ex in exercises() for _ in ex.items())
    assert f"collected {public} items" in tests.stdout, "the pytest route counts its items"
    assert "Warning" not in tests.stdout + tests.stderr, "no configuration warning in the release"


def test_the_untouched_release_checks_to_zero_and_grading_needs_the_reference(student_release):
    done = run(student_release, "-m", "grader", "check")
    assert done.returncode == 1 and "Total: 0 /" in done.stdout
    graded = run(student_release, "-m", "grader", "grade", "exercises")
    assert graded.returncode == 2 and "needs the reference solutions" in graded.stderr
