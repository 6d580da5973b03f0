"""The real nbgrader round trip, from its command line: generate_assignment, autograde,
generate_feedback, export; and the same scores from the grader (what `python -m grader grade` runs)."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from conftest import code_of, leaks
from grader import exercises, paths

IDS = [ex.id for ex in exercises()]
MISTAKES = [("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)"),  # in minibatch's criterion
            ("batch_size=batch_size)", "batch_size=batch_size, shuffle=True)")]  # and in train_minibatch
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=ENV, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def submit(course: Path, student: str, exercise: str, *, solved: bool, replace=(), drop_test: str = "") -> Path:
    """A student's submission made from the released notebook, solution cells filled from the source."""
    released = json.loads((course / "release" / exercise / f"{exercise}.ipynb").read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"]
                 for c in cells(course / "source" / exercise / f"{exercise}.ipynb")
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    kept = []
    for cell in released["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if solved and meta.get("solution"):
            source = "\n".join(line for line in solutions[meta["grade_id"]].splitlines() if "### " not in line)
            for old, new in replace:
                source = source.replace(old, new)
            cell["source"] = source
        if meta.get("grade_id") != drop_test:
            kept.append(cell)
    released["cells"] = kept
    path = course / "submitted" / student / exercise / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(released))
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course taken through nbgrader: every exercise released and autograded."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(paths.ROOT / "course", course, dirs_exist_ok=True)
    for exercise in IDS:
        nbgrader(course, "generate_assignment", exercise, "--force")
        submit(course, "perfect", exercise, solved=True)
        submit(course, "untouched", exercise, solved=False)
    submit(course, "slip", "minibatch", solved=True, replace=MISTAKES, drop_test="test-forward")
    for exercise in IDS:
        nbgrader(course, "autograde", exercise)
    nbgrader(course, "generate_feedback", "minibatch")
    nbgrader(course, "export")
    return course


def scores(course: Path) -> dict[tuple[str, str], tuple[float, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="gdgrader") as gradebook:
        return {(s.student.id, s.assignment.name): (s.score, s.max_score)
                for a in gradebook.assignments for s in a.submissions}


@pytest.mark.parametrize("exercise", IDS)
def test_the_release_has_stubs_and_no_solution_or_hidden_test(course, exercise):
    released = course / "release" / exercise / f"{exercise}.ipynb"
    source = released.read_text()
    assert "raise NotImplementedError()" in source
    assert "BEGIN SOLUTION" not in source and "HIDDEN TESTS" not in source and "[hidden" not in source
    code = "\n\n".join("".join(c["source"]) for c in cells(released) if c["cell_type"] == "code")
    assert leaks(exercise, {released.name: code_of(code)}) == []


@pytest.mark.parametrize("exercise", IDS)
def test_the_reference_gets_full_marks_and_the_untouched_release_zero(course, exercise):
    graded = scores(course)
    score, max_score = graded[("perfect", exercise)]
    assert score == max_score > 0
    assert graded[("untouched", exercise)][0] == 0


def test_typical_mistakes_get_partial_credit_and_their_messages_and_plots_in_the_feedback(course, grader):
    score, max_score = scores(course)[("slip", "minibatch")]
    assert 0 < score < max_score
    report = grader.grade(course / "submitted" / "slip" / "minibatch" / "minibatch.ipynb")
    lost = {c.name.split(" [")[0] for e in report.exercises for c in e.checks if not c.passed}
    assert lost == {"criterion", "train_minibatch"}  # the deleted test cell came back, and passed
    feedback = (course / "feedback" / "slip" / "minibatch" / "minibatch.html").read_text()
    words = " ".join(feedback.split())  # the known mistakes each failed check matches, however the lines wrap
    assert "with the squared errors summed instead of averaged" in words and "when its DataLoader shuffles the points" \
        in words
    assert feedback.count("data:image/png;base64,") >= 3  # each batch size's histories, drawn
    assert "### BEGIN HIDDEN TESTS" not in feedback and "[hidden 1]&#39;)" not in feedback


def test_export_writes_every_score(course):
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(f)}
    graded = {key: score for key, (score, _) in scores(course).items()}
    assert {key: score for key, score in rows.items() if key in graded} == graded
    assert all(score == 0 for key, score in rows.items() if key not in graded)  # assignments never submitted


def test_python_m_grader_gives_the_same_score_on_the_same_notebooks(course, grader):
    for (student, exercise), (score, max_score) in scores(course).items():
        report = grader.grade(course / "submitted" / student / exercise / f"{exercise}.ipynb")
        assert (report.score, report.max_score) == (score, max_score), (student, exercise)
