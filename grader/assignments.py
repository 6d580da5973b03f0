"""nbgrader assignments generated from exercises/ and reference/, never written by hand.

Each exercise becomes one notebook in nbgrader's source format: the instructions in
markdown; the given code in read-only cells; one solution cell per graded function
(the reference's body between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, the
stub's hints kept above it); after it, one locked test cell per graded item, worth
the item's points, hidden items inside ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``. A test cell's nbgrader ``grade_id`` names its item (``grade_id(item)``):
at autograde the grader's score for that item is written into that cell; in a
student's kernel the cell runs the same check on the saved notebook.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from . import paths, specs
from .spec import Exercise, Item, load_hidden

NBFORMAT = {"nbformat": 4, "nbformat_minor": 5}
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def notebook_path(exercise_id: str, course: paths.Course = paths.DEFAULT) -> Path:
    return course.nbgrader / "source" / exercise_id / f"{exercise_id}.ipynb"


def build(ex: Exercise, course: paths.Course = paths.DEFAULT) -> dict:
    """The nbgrader source notebook of one exercise."""
    reference = (course.reference / ex.filename).read_text(encoding="utf-8")
    stub = (course.exercises / ex.filename).read_text(encoding="utf-8")
    ref_tree, stub_tree = ast.parse(reference), ast.parse(stub)
    stub_nodes = {n.name: n for n in stub_tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    cells = [_markdown("instructions", _instructions(ex, ast.get_docstring(ref_tree) or ""))]
    given: list = []  # a run of top-level statements that are not graded

    def flush():
        if given:
            cells.append(_code(f"given-{len(cells)}", _lines(reference, given[0].lineno, given[-1].end_lineno),
                               locked=True))
            given.clear()

    for node in ref_tree.body:
        if _is_docstring(node):
            continue
        name = getattr(node, "name", None)
        if name not in ex.targets:
            given.append(node)
            continue
        flush()
        cells.append(_code(name, _solution(reference, node, stub, stub_nodes[name]), solution=True))
        cells += [_test(item) for item in ex.items(load_hidden(course.hidden, ex.id)) if item.check.target == name]
    flush()
    for number, cell in enumerate(cells):
        cell["id"] = f"{ex.id}-{number:02d}"
    return {"cells": cells, "metadata": METADATA, **NBFORMAT}


def write(course: paths.Course = paths.DEFAULT) -> list[Path]:
    """Write every exercise's notebook under course/source; returns the paths written."""
    written = []
    for ex in specs.exercises():
        path = notebook_path(ex.id, course)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(build(ex, course)), encoding="utf-8")
        written.append(path)
    return written


def drift(course: paths.Course = paths.DEFAULT) -> list[str]:
    """The exercises whose committed notebook differs from what the sources give."""
    return [ex.id for ex in specs.exercises()
            if not notebook_path(ex.id, course).exists()
            or notebook_path(ex.id, course).read_text(encoding="utf-8") != dumps(build(ex, course))]


def dumps(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _lines(source: str, first: int, last: int) -> str:
    return "\n".join(source.splitlines()[first - 1:last])


def _instructions(ex: Exercise, docstring: str) -> str:
    body = docstring.split("\n\n", 1)[1] if "\n\n" in docstring else docstring  # the title says the first line
    return (f"# {ex.title}\n\n{body}\n\n"
            "Replace each `# YOUR CODE HERE` / `raise NotImplementedError()` with your code. The cells after each "
            "function check it the way your instructor's grader does, on the public cases. They grade the "
            "notebook as saved: save it (Ctrl-S) before running them; a check tells you when the saved notebook "
            "is not the code you ran. Hidden cells hold more cases, run when your work is graded.")


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _solution(reference: str, node, stub: str, stub_node) -> str:
    """A definition with each graded body between solution markers, the stub's hints above them."""
    lines = _lines(reference, node.lineno, node.end_lineno).splitlines()
    first = node.lineno
    functions = [node] if isinstance(node, ast.FunctionDef) else [
        n for n in node.body if isinstance(n, ast.FunctionDef)]
    stub_functions = {f.name: f for f in ([stub_node] if isinstance(stub_node, ast.FunctionDef) else
                                          [n for n in stub_node.body if isinstance(n, ast.FunctionDef)])}
    for function in reversed(functions):  # bottom up, so earlier line numbers stay valid
        body = function.body[1:] if _is_docstring(function.body[0]) else function.body
        start, end = body[0].lineno - first, function.end_lineno - first
        indent = re.match(r"\s*", lines[start]).group(0)
        hints = _comments(stub, stub_functions[function.name])
        lines[start:end + 1] = [*hints, f"{indent}### BEGIN SOLUTION", *lines[start:end + 1],
                                f"{indent}### END SOLUTION"]
    return "\n".join(lines)


def _comments(source: str, function) -> list[str]:
    """The comment lines of a stub's body (its hints)."""
    body = function.body[1:] if _is_docstring(function.body[0]) else function.body
    lines = source.splitlines()[body[0].lineno - 1 - _leading(source, body[0]):function.end_lineno]
    return [line for line in lines if line.strip().startswith("#")]


def _leading(source: str, statement) -> int:
    """How many comment lines stand right above a statement."""
    lines, count = source.splitlines(), 0
    while lines[statement.lineno - 2 - count].strip().startswith("#"):
        count += 1
    return count


def _markdown(name: str, text: str) -> dict:
    return {"cell_type": "markdown", "metadata": _meta(name, locked=True), "source": text}


def _code(name: str, source: str, *, locked: bool = False, solution: bool = False, points: float | None = None,
          grade: bool = False) -> dict:
    return {"cell_type": "code", "execution_count": None, "outputs": [], "source": source,
            "metadata": _meta(name, locked=locked, solution=solution, grade=grade, points=points)}


def _meta(name: str, *, locked=False, solution=False, grade=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": _slug(name), "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def grade_id(item: Item) -> str:
    """The grade_id of an item's test cell."""
    return _slug(f"test {item.name}")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def _test(item: Item) -> dict:
    call = f"from grader.jupyter import check\ncheck({item.exercise!r}, {item.name!r})"
    points = f"{item.points:g} point{'' if item.points == 1 else 's'}"
    if item.hidden:
        source = f"# A hidden check ({points}), run when your work is graded.\n" \
                 f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
    else:
        source = f"# Checks {item.check.about or item.check.target} ({points}).\n{call}"
    return _code(grade_id(item), source, locked=True, grade=True, points=item.points)
