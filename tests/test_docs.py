"""docs/adding-an-exercise.md: its example, written into a copy of the repository, grades as the page says."""
import csv
import json
import re
import shutil
import subprocess
import sys

from grader import paths

DOC = paths.ROOT / "docs" / "adding-an-exercise.md"
BLOCK = re.compile(r"^```(?:python|json) (\S+)\n(.*?)^```", re.M | re.S)  # a code block headed by its file
FILES = {"exercises/one_dim.py", "reference/one_dim.py", "grader/specs/one_dim.py", "hidden/one_dim.json",
         "mistakes/one_dim/no_two.py", "tests/test_one_dim.py"}


def run(*args, cwd):
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_walk_through_builds_an_exercise_that_grades(tmp_path):
    files = dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert set(files) == FILES
    repo = tmp_path / "repo"
    for folder in ("grader", "exercises", "reference", "hidden", "mistakes"):
        shutil.copytree(paths.ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "tests").mkdir()
    shutil.copy(paths.ROOT / "tests" / "conftest.py", repo / "tests")
    shutil.copy(paths.ROOT / "pyproject.toml", repo)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")

    # the page's own tests: its mistakes and styles, graded by the real Grader
    out = run("-m", "pytest", "tests/test_one_dim.py", "-q", "-p", "no:cacheprovider", cwd=repo)
    assert "5 passed" in out, out

    # an instructor grades a class: a correct solution and one with the factor 2 forgotten
    solution = files["reference/one_dim.py"]
    for student, text in (("right", solution), ("wrong", solution.replace("2 * (x - 3)", "(x - 3)"))):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "one_dim.py").write_text(text, encoding="utf-8")
    run("-m", "grader", "grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--quiet", cwd=repo)
    with open(tmp_path / "out" / "scores.csv", encoding="utf-8", newline="") as f:
        scores = {row["student"]: row for row in csv.DictReader(f)}
    report = json.loads((tmp_path / "out" / "reports" / "wrong.json").read_text(encoding="utf-8"))
    checks = {c["name"]: c for e in report["exercises"] if e["exercise"] == "one_dim" for c in e["checks"]}
    assert {name for name, c in checks.items() if not c["passed"]} == {
        "derivative", "derivative [x=4.5]", "derivative [hidden 1]"}  # descend runs with the right derivative
    assert "Known mistake: you get what derivative gives when the derivative leaves out its 2" in \
        " ".join(checks["derivative"]["message"].split())
    assert float(scores["right"]["one_dim"]) == 9 and float(scores["wrong"]["one_dim"]) == 6

    # and the notebook for nbgrader
    run("-m", "grader", "notebooks", cwd=repo)
    notebook = (repo / "course" / "source" / "one_dim" / "one_dim.ipynb").read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" in notebook and "### BEGIN HIDDEN TESTS" in notebook
