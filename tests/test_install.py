"""A real install: the grader's wheel in a fresh virtual environment, used from folders that have nothing
to do with the repository; the course found from --course, $GDGRADER_COURSE or the folders above; the
notebook test cells of a plain install (a JupyterHub image); and an installed student release."""
import csv
import os
import shutil
import subprocess

import pytest

from grader import __version__, paths

pytestmark = pytest.mark.slow


def course_copy(folder):
    """The course as an instructor keeps it, away from the repository and the package."""
    for part in ("exercises", "reference", "hidden"):
        shutil.copytree(paths.ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def gdgrader(venv, *args, cwd, env=None):
    environ = {k: v for k, v in os.environ.items() if k != paths.ENV}
    return subprocess.run([str(venv / "bin" / "gdgrader"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**environ, **(env or {})})


def solved_notebook(folder, exercise="minibatch"):
    """The nbgrader source notebook of an exercise (its solutions in place) saved as a student would."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.ROOT / "course" / "source" / exercise / f"{exercise}.ipynb", folder / f"{exercise}.ipynb")
    return folder


def test_the_installed_command_grades_the_sample_class_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = gdgrader(installed, "grade", paths.ROOT / "samples" / "class", "--out", tmp_path / "out", "--jobs", "2",
                    "--course", paths.ROOT, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "scores.csv", newline="") as f:
        scores = {row["student"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    assert sorted(scores) == ["ada", "ben", "cy", "dee", "eve"]
    assert scores["ada"][0] == scores["ada"][1] > scores["ben"][0] > 0 == scores["dee"][0]
    assert gdgrader(installed, "--version", cwd=elsewhere).stdout == f"gdgrader {__version__}\n"
    assert gdgrader(installed, "--help", cwd=elsewhere).stdout.startswith("usage: gdgrader ")
    module = subprocess.run([str(installed / "bin" / "python"), "-m", "grader", "--help"], cwd=elsewhere,
                            capture_output=True, text=True)
    assert module.stdout.startswith("usage: python -m grader ")


def test_without_a_course_every_command_says_where_it_looked(installed, tmp_path):
    for command in (("grade", "."), ("check",), ("release", "out"), ("gradescope", "a.zip"), ("notebooks",)):
        done = gdgrader(installed, *command, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == "", (command, done.stderr)
        assert done.stderr.count("\n") == 1 and "no course found" in done.stderr, done.stderr
        assert f"{tmp_path} and every folder above it" in done.stderr and "pass --course DIR" in done.stderr


def test_the_course_from_the_environment_or_from_the_folders_above(installed, tmp_path):
    course = course_copy(tmp_path / "course")
    (course / "submissions").mkdir()
    shutil.copytree(paths.ROOT / "samples" / "class" / "ben", course / "submissions" / "ben")
    here = gdgrader(installed, "grade", paths.ROOT / "samples" / "class" / "ben", "--quiet", "--course", paths.ROOT,
                    cwd=tmp_path)
    assert here.returncode == 0 and here.stdout.startswith("Total: "), here.stderr
    below = gdgrader(installed, "grade", "ben", "--quiet", cwd=course / "submissions")
    assert below.returncode == 0 and below.stdout == here.stdout, below.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    named = gdgrader(installed, "grade", course / "submissions" / "ben", "--quiet", cwd=elsewhere,
                     env={paths.ENV: str(course)})
    assert named.returncode == 0 and named.stdout == below.stdout, named.stderr


def test_notebook_test_cells_of_a_plain_install(installed, tmp_path):
    """A JupyterHub image with the grader installed: a test cell finds the course from the notebook's folder
    (nbgrader runs it inside the course) or from $GDGRADER_COURSE, and grades the hidden cases there."""
    course = course_copy(tmp_path / "course")
    cells = "from grader.notebook import check\ncheck('minibatch', 'forward')\ncheck('minibatch', 'forward [hidden 1]')"
    for folder, env in ((solved_notebook(course / "autograded" / "ada" / "minibatch"), {}),
                        (solved_notebook(tmp_path / "hub" / "ada"), {paths.ENV: str(course)})):
        environ = {**{k: v for k, v in os.environ.items() if k != paths.ENV}, **env}
        done = subprocess.run([str(installed / "bin" / "python"), "-c", cells], cwd=folder, capture_output=True,
                              text=True, timeout=600, env=environ)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["passed: forward (1 / 1)", "passed: forward [hidden 1] (1 / 1)"]
    alone = subprocess.run([str(installed / "bin" / "python"), "-c", cells], cwd=solved_notebook(tmp_path / "alone"),
                           capture_output=True, text=True, timeout=600,
                           env={k: v for k, v in os.environ.items() if k != paths.ENV})
    assert alone.returncode == 1 and "CheckFailed: the grader cannot check this notebook" in alone.stderr
    assert f"set {paths.ENV} to the course folder" in alone.stderr


def test_an_installed_student_release_checks_a_notebook_or_a_file_anywhere(installed_release, tmp_path):
    """A student's JupyterHub image or laptop with the release installed: no course around, the public cases
    checked against the release's own expected values."""
    folder = solved_notebook(tmp_path / "hub" / "me")
    cells = "from grader.notebook import check\ncheck('minibatch', 'forward')\ncheck('minibatch', 'forward [hidden 1]')"
    done = subprocess.run([str(installed_release / "bin" / "python"), "-c", cells], cwd=folder, capture_output=True,
                          text=True, timeout=600, env={k: v for k, v in os.environ.items() if k != paths.ENV})
    assert done.stdout.splitlines() == ["passed: forward (1 / 1)"]
    assert "CheckFailed: forward [hidden 1]: this check runs only when your instructor grades" in done.stderr
    shutil.copy(paths.REFERENCE / "minibatch.py", tmp_path / "minibatch.py")
    checked = gdgrader(installed_release, "check", tmp_path / "minibatch.py", cwd=tmp_path)
    total = checked.stdout.splitlines()[-1].split()
    assert checked.returncode == 0 and total[0] == "Total:" and total[1] == total[3], checked.stdout + checked.stderr
