"""The nbgrader assignments: generated from the Python sources, and never drifting from them."""
import json

import pytest

from conftest import all_items
from grader import assignments, exercises

IDS = [ex.id for ex in exercises()]


def test_committed_notebooks_match_the_sources():
    assert assignments.drift() == [], "run `python -m grader notebooks` and commit the result"


@pytest.mark.parametrize("exercise", IDS)
def test_one_solution_cell_per_function_then_one_test_cell_per_item(exercise):
    ex = next(e for e in exercises() if e.id == exercise)
    items = {item.name: item for item in all_items(exercise)}
    cells = json.loads(assignments.notebook_path(exercise).read_text())["cells"]
    solutions, tested, current = [], [], None
    for cell in cells:
        meta = cell["metadata"]["nbgrader"]
        if meta["solution"]:
            current = meta["grade_id"]
            solutions.append(current)
            assert "### BEGIN SOLUTION" in cell["source"] and "### END SOLUTION" in cell["source"]
        elif meta["grade"]:
            name = next(n for n in items if f"check({exercise!r}, {n!r})" in cell["source"])
            item = items[name]
            assert item.check.target == current, f"{name} follows the cell of {item.check.target}"
            assert meta["points"] == item.points and meta["locked"]
            assert meta["grade_id"] == assignments.grade_id(item), "autograde finds the item by its cell's grade_id"
            assert ("### BEGIN HIDDEN TESTS" in cell["source"]) == item.hidden
            tested.append(name)
    assert sorted(solutions) == sorted(ex.targets)
    assert sorted(tested) == sorted(items)
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells]
    assert len(set(ids)) == len(ids), "grade ids are unique"
