"""The real nbgrader round trip, from its command line (generate_assignment, autograde, generate_feedback,
export), with the course's pipeline: scores decided by the grader, no kernel. The gradebook must hold
what `python -m grader grade` gives on the submissions as handed in, hostile ones included."""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tinycss2
from bs4 import BeautifulSoup
import nbformat
from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import Gradebook

from conftest import all_items, code_of, leaks
from grader import assignments, exercises, paths
from grader.preprocessors.grade_cells import cells_and_items, outputs
from grader.results import CheckResult

IDS = [ex.id for ex in exercises()]
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
FORWARD = "return w * X + b"  # the body of minibatch's forward, in its solution cell
MISTAKES = [("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)"),  # in minibatch's criterion
            ("batch_size=batch_size)", "batch_size=batch_size, shuffle=True)")]  # and in train_minibatch
PATCH_CHECK = """
try:  # every test cell then prints a pass, in a kernel
    import grader.jupyter
    grader.jupyter.check = lambda *args, **kwargs: print("passed")
except Exception:
    pass
"""
REWRITE = """
import glob, json, os
def _rewrite(course):
    try:
        solved = json.load(open(os.path.join(course, "source", "minibatch", "minibatch.ipynb")))
    except Exception:
        solved = None
    found = glob.glob(os.path.join(course, "submitted", "*", "*", "*.ipynb")) + glob.glob("../../../submitted/*/*/*.ipynb")
    for path in found:
        try:
            with open(path, "w") as f:
                json.dump(solved if "rewriter" in path and solved else {"cells": []}, f)
        except Exception:
            pass
    try:
        open(os.path.join(course, "gradebook.db"), "w").close()
    except Exception:
        pass
_rewrite(COURSE)
"""
CLASS = {  # student: {exercise: how their notebook differs from the released one}
    "perfect": {exercise: {"solved": True} for exercise in IDS},
    "stub": {exercise: {"solved": False} for exercise in IDS},
    "partial": {"minibatch": {"solved": True, "replace": MISTAKES, "drop_test": "test-forward"}},
    "patcher": {"minibatch": {"solved": ("forward",), "after": {"forward": PATCH_CHECK}}},
    "rewriter": {"minibatch": {"solved": False, "after": {"forward": REWRITE}}},
    "scratch": {"minibatch": {"solved": True, "scratch": "print('trying things'"}},
    "crasher": {"minibatch": {"solved": True, "replace": [(FORWARD, "import ctypes\n    ctypes.string_at(0)")]}},
    "locked": {"minibatch": {"solved": True, "after": {"given-1": "del torch  # a locked cell, changed"}}},
}
RESTORED = {("locked", "minibatch")}  # nbgrader puts the locked cell back before anything is graded


def nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=ENV, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def submit(course: Path, student: str, exercise: str, *, solved=True, replace=(), drop_test="", after=None,
           scratch="") -> Path:
    """A student's notebook made from the released one: solution cells filled from the source (all of them, or
    those named in ``solved``), each (old, new) of ``replace`` applied, code added ``after`` solution cells, a
    test cell dropped, a scratch cell added at the end."""
    released = json.loads((course / "release" / exercise / f"{exercise}.ipynb").read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"]
                 for c in cells(course / "source" / exercise / f"{exercise}.ipynb")
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    kept = []
    for cell in released["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and (solved is True or grade_id in (solved or ())):
            cell["source"] = "\n".join(line for line in solutions[grade_id].splitlines() if "### " not in line)
            for old, new in replace:
                cell["source"] = cell["source"].replace(old, new)
        if grade_id in (after or {}):
            cell["source"] = "".join(cell["source"]) + "\n" + after[grade_id]
        if grade_id != drop_test:
            kept.append(cell)
    if scratch:
        kept.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": scratch})
    released["cells"] = kept
    path = course / "submitted" / student / exercise / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(released))
    return path


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course taken through nbgrader with the class above; a copy of submitted/ as handed in
    (nbgrader's layout: <student>/<exercise>/<exercise>.ipynb) is graded with `python -m grader grade --out`."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(paths.ROOT / "course", course, dirs_exist_ok=True)
    nbgrader(course, "generate_assignment", "*")
    for student, work in CLASS.items():
        for exercise, how in work.items():
            if "after" in how:  # the attack knows where the course is
                how = {**how, "after": {k: v.replace("COURSE", repr(str(course))) for k, v in how["after"].items()}}
            submit(course, student, exercise, **how)
    handed_in = tmp_path_factory.mktemp("handed_in") / "submitted"
    shutil.copytree(course / "submitted", handed_in)
    before = digests(course / "submitted")
    nbgrader(course, "autograde", "*")
    course.joinpath("after-autograde.json").write_text(json.dumps(
        {"before": before, "after": digests(course / "submitted")}))
    nbgrader(course, "generate_feedback", "minibatch")
    nbgrader(course, "export")
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(handed_in), "--out", str(course / "cli"),
                           "--quiet"], cwd=paths.ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return course


def gradebook(course: Path) -> dict[tuple[str, str], dict[str, float]]:
    """Each (student, assignment)'s autograded score of every test cell, by grade_id."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="gdgrader") as book:
        return {(s.student.id, s.assignment.name): {g.name: g.auto_score for nb in s.notebooks for g in nb.grades
                                                    if g.cell.cell_type == "code"}
                for a in book.assignments for s in a.submissions}


def scores(course: Path) -> dict[tuple[str, str], tuple[float, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="gdgrader") as book:
        return {(s.student.id, s.assignment.name): (s.score, s.max_score) for a in book.assignments
                for s in a.submissions}


def graded(course: Path) -> dict[tuple[str, str], dict[str, float]]:
    """What `python -m grader grade` gave each (student, exercise) handed in: every item's score, by grade_id."""
    found = {}
    for report in (course / "cli" / "reports").glob("*.json"):
        data = json.loads(report.read_text())
        for ex in data["exercises"]:
            if ex["file"]:
                ids = {item.name: assignments.grade_id(item) for item in all_items(ex["exercise"])}
                found[data["student"], ex["exercise"]] = {ids[c["name"]]: c["score"] for c in ex["checks"]}
    return found


@pytest.mark.parametrize("exercise", IDS)
def test_the_release_has_stubs_and_no_solution_or_hidden_test(course, exercise):
    released = course / "release" / exercise / f"{exercise}.ipynb"
    source = released.read_text()
    assert "raise NotImplementedError()" in source
    assert "BEGIN SOLUTION" not in source and "HIDDEN TESTS" not in source and "[hidden" not in source
    code = "\n\n".join("".join(c["source"]) for c in cells(released) if c["cell_type"] == "code")
    assert leaks(exercise, {released.name: code_of(code)}) == []


def test_the_gradebook_holds_what_python_m_grader_grade_gives_on_the_notebooks_as_handed_in(course):
    book, cli = gradebook(course), graded(course)
    assert set(book) == {(student, exercise) for student, work in CLASS.items() for exercise in work}
    assert {k: v for k, v in book.items() if k not in RESTORED} == {k: v for k, v in cli.items() if k not in RESTORED}


def test_a_notebook_is_graded_as_nbgrader_hands_it_over_with_its_locked_cells_put_back(course):
    """Handed in, the changed cell breaks the code after it; put back, the solution earns full marks (a result
    graded ahead from the file as handed in is not used for code that differs)."""
    score, max_score = scores(course)[("locked", "minibatch")]
    assert score == max_score
    assert sum(graded(course)[("locked", "minibatch")].values()) < max_score


@pytest.mark.parametrize("exercise", IDS)
def test_the_reference_gets_full_marks_and_the_stub_zero(course, exercise):
    graded = scores(course)
    score, max_score = graded[("perfect", exercise)]
    assert score == max_score > 0
    assert graded[("stub", exercise)][0] == 0


def test_typical_mistakes_get_partial_credit_and_their_messages_and_plots_in_the_feedback(course):
    score, max_score = scores(course)[("partial", "minibatch")]
    assert 0 < score < max_score
    lost = {name for name, points in gradebook(course)[("partial", "minibatch")].items() if points == 0}
    assert {name.split("-")[1] for name in lost} == {"criterion", "train_minibatch"}  # test-forward came back
    feedback = (course / "feedback" / "partial" / "minibatch" / "minibatch.html").read_text()
    words = " ".join(feedback.split())  # the known mistakes each failed check matches, however the lines wrap
    assert "with the squared errors summed instead of averaged" in words and "when its DataLoader shuffles the points" \
        in words
    assert feedback.count("data:image/png;base64,") >= 3  # each batch size's histories, drawn
    assert "### BEGIN HIDDEN TESTS" not in feedback and "[hidden 1]&#39;)" not in feedback


def test_the_hint_in_the_feedback_wraps_at_the_page_edge(course):
    html = (course / "feedback" / "partial" / "minibatch" / "minibatch.html").read_text()
    for hint in ("shuffles the points (shuffle=True)", "summed instead of averaged"):
        assert_wraps(html, hint)


def test_a_solution_cell_that_replaces_the_check_earns_only_what_its_code_earns(course):
    earned = gradebook(course)[("patcher", "minibatch")]
    assert {name for name, points in earned.items() if points > 0} == {"test-forward", "test-forward-hidden-1"}


def test_code_that_rewrites_the_submissions_changes_nothing_and_earns_nothing(course):
    files = json.loads((course / "after-autograde.json").read_text())
    assert files["after"] == files["before"]  # its own notebook and its classmates'
    assert scores(course)[("rewriter", "minibatch")][0] == 0
    assert scores(course)[("perfect", "minibatch")][0] == scores(course)[("perfect", "minibatch")][1]


def test_code_that_crashes_costs_only_the_checks_of_the_function_that_crashed(course):
    earned = gradebook(course)[("crasher", "minibatch")]
    assert {name for name, points in earned.items() if points == 0} == {"test-forward", "test-forward-hidden-1"}


def test_a_broken_scratch_cell_costs_nothing(course):
    """A cell that does not compile and defines nothing: every check still counts (cells compile one by one)."""
    score, max_score = scores(course)[("scratch", "minibatch")]
    assert score == max_score


def test_export_writes_every_score(course):
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(f)}
    graded = {key: score for key, (score, _) in scores(course).items()}
    assert {key: score for key, score in rows.items() if key in graded} == graded
    assert all(score == 0 for key, score in rows.items() if key not in graded)  # assignments never submitted


@pytest.mark.parametrize("score", [0.0, 0.25, 1.5, 2.0])
def test_nbgrader_reads_each_score_from_the_outputs_written(score):
    """Partial credit included: nbgrader's own scoring of a test cell gives the grader's score exactly."""
    result = CheckResult("train [hidden 1]", score, 2.0, score == 2.0, True, "Checked train.\nHint: look.", "failed")
    cell = from_dict({"cell_type": "code", "source": "", "execution_count": None,
                      "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 2.0}},
                      "outputs": outputs("minibatch", result)})
    assert utils.determine_grade(cell) == (score, 2.0)
    shown = "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)
    assert ("Hint: look." in shown) == (score < 2.0)


@pytest.mark.parametrize("change", [{"points": 5.0}, {"grade_id": "test-mine"}])
def test_a_test_cell_that_holds_none_of_the_graders_items_stops_its_notebook(grader, change):
    nb = nbformat.reads(assignments.notebook_path("minibatch").read_text(), as_version=4)
    assert len(cells_and_items(nb, "minibatch", grader)) == len(all_items("minibatch"))
    next(c for c in nb.cells if c.metadata.nbgrader["grade_id"] == "test-forward").metadata.nbgrader.update(change)
    with pytest.raises(ValueError, match="is not one of the grader's items"):
        cells_and_items(nb, "minibatch", grader)


NOWRAP = {"pre", "nowrap"}


def matches(soup, selector: str, element) -> bool:
    try:
        return any(found is element for found in soup.select(selector))
    except Exception:  # noqa: BLE001 (a selector soupsieve cannot read: vendor pseudo-elements, no element)
        return False


def assert_wraps(html: str, text: str) -> None:
    """``text`` is on the page, and no element around it keeps lines from wrapping: a <pre> (by default) or a
    white-space rule that does not wrap, unless an !important rule that wraps applies to it and none that does not."""
    soup = BeautifulSoup(html, "html.parser")
    node = soup.find(string=lambda s: s is not None and text in s)
    assert node is not None, f"{text!r} is not on the page"
    rules = []  # (selector, white-space value, important)
    for style in soup.find_all("style"):
        for rule in tinycss2.parse_stylesheet(style.string or "", skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue
            for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
                if declaration.type == "declaration" and declaration.lower_name == "white-space":
                    rules.append((tinycss2.serialize(rule.prelude).strip(),
                                  tinycss2.serialize(declaration.value).strip(), declaration.important))
    for element in node.parents:
        if element.name == "[document]":
            break
        assert "white-space" not in element.get("style", ""), element.get("style")
        applied = [(value, important) for selector, value, important in rules if matches(soup, selector, element)]
        important = {value for value, flagged in applied if flagged}
        keeps = element.name == "pre" or any(value in NOWRAP for value, _ in applied)
        assert not important & NOWRAP, f"<{element.name}> around {text!r} is kept from wrapping"
        assert not keeps or important, f"<{element.name} class={element.get('class')}> around {text!r} does not wrap"
