"""Autograde without a kernel: the grader scores the notebook, each test cell gets its item's outcome.

nbgrader scores a test cell from its outputs: an error gives no points, a result that
reads as a number gives that many, anything else gives full points. ``outputs`` turns
the grader's result for an item into exactly those outputs, so the gradebook holds
the grader's score, partial credit included.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Int, Unicode

from .. import assignments, paths, specs
from ..grade import Grader
from ..jupyter import failure_text, passed_line, picture
from ..results import CheckResult
from ..protocol import Limits
from .ahead import Ahead, private_copy, read, results_of

DEFAULT = Limits()
_graders: dict[tuple, tuple[Grader, Ahead]] = {}  # per course, limits and lookahead: for the whole run


class GradeCells(NbGraderPreprocessor):
    """Grades the notebook as nbgrader hands it over and writes each test cell's outcome into the cell.

    The notebook is ``<exercise>.ipynb``; its code runs in the grader's sandboxed
    children, never in a kernel and never in this process. Each test cell's
    ``grade_id`` names the item it holds (``assignments.grade_id``); a test cell
    that names none, or whose points differ from its item's, stops the notebook
    with an error (the course's notebooks are out of date).
    """

    course = Unicode("", help="The grader's course: a folder with exercises/, reference/ and hidden/ (default: "
                              "$GDGRADER_COURSE, else the first course from nbgrader's folder upwards, else the "
                              "one the grader is installed with)").tag(config=True)
    seconds_per_check = Float(DEFAULT.seconds_per_check, help="Wall-clock seconds one check may take").tag(config=True)
    seconds_per_submission = Float(DEFAULT.seconds_per_submission,
                                   help="Wall-clock seconds one notebook may take").tag(config=True)
    memory_mb = Int(DEFAULT.memory_mb, help="Memory the code may take, in MB").tag(config=True)
    ahead = Int(8, help="Submitted notebooks graded ahead of nbgrader's own work on each, in the background "
                        "(0: each when nbgrader hands it over); the grader runs as many children at once as "
                        "there are cores, however many").tag(config=True)
    plots = Bool(True, help="Draw each failed history, the student's against the expected one").tag(config=True)

    def preprocess(self, nb, resources):
        exercise = resources["nbgrader"]["notebook"]
        if exercise not in specs.IDS:
            raise ValueError(f"{exercise}.ipynb: no exercise called '{exercise}' (see `python -m grader list`)")
        grader, ahead = self.grader()
        tests = cells_and_items(nb, exercise, grader)
        upcoming = self.upcoming(resources)
        ahead.plan(upcoming)
        with private_copy(nbformat.writes(nb).encode("utf-8"), exercise) as path:
            results = ahead.take(upcoming[0][1], read(path)) if upcoming else None
            self.log.debug("%s: graded %s", exercise, "ahead" if results is not None else "now")
            if results is None:
                results = results_of(grader.grade(path, exercise=exercise))
        for cell, item in tests:
            cell.outputs = outputs(exercise, results[item.name], plots=self.plots)
        return nb, resources

    def grader(self) -> tuple[Grader, Ahead]:
        """The grader for this course and these limits, started once per process."""
        limits = Limits(seconds_per_check=self.seconds_per_check, seconds_per_submission=self.seconds_per_submission,
                        memory_mb=self.memory_mb)
        course = paths.find(self.course or None)  # nbgrader runs this from its course folder
        key = (course, limits, self.ahead)
        if key not in _graders:
            self.log.info("Starting the grader: the reference's results on every case")
            grader = Grader(hidden=True, limits=limits, course=course)
            _graders[key] = grader, Ahead(grader, self.ahead)
        return _graders[key]

    def upcoming(self, resources) -> list[tuple[str, str]]:
        """This notebook and the ones nbgrader will autograde after it, as (exercise, submitted path), in order.

        Read from nbgrader's Autograde converter (this preprocessor's exporter's parent);
        empty if there is none, which only means nothing is graded ahead. Without
        ``--force`` nbgrader skips a notebook it has autograded already: so does this.
        """
        converter = getattr(self.parent, "parent", None)
        listed, coursedir = getattr(converter, "assignments", None), getattr(converter, "coursedir", None)
        if not isinstance(listed, dict) or coursedir is None:
            return []
        about = resources["nbgrader"]
        here = os.path.abspath(os.path.join(
            coursedir.format_path(coursedir.submitted_directory, about["student"], about["assignment"]),
            f"{about['notebook']}.ipynb"))
        order = [os.path.abspath(path) for folder in sorted(listed) for path in sorted(listed[folder])]
        if here not in order:
            return []
        later = [path for path in order[order.index(here) + 1:] if getattr(converter, "force", False)
                 or not _autograded(coursedir, path)]
        return [(Path(path).stem, path) for path in [here, *later] if Path(path).stem in specs.IDS]


def _autograded(coursedir, path: str) -> bool:
    """Whether nbgrader has autograded this submitted notebook already (in its usual folder layout)."""
    try:
        relative = Path(path).relative_to(os.path.abspath(os.path.join(coursedir.root, coursedir.submitted_directory)))
    except ValueError:
        return False
    return Path(coursedir.root, coursedir.autograded_directory, relative).exists()


def cells_and_items(nb, exercise: str, grader: Grader) -> list[tuple]:
    """Each test cell with the item it holds; an error for a test cell that holds none of the grader's."""
    items = {assignments.grade_id(item): item for item in grader.items(specs.exercise(exercise))}
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            continue
        grade_id, points = cell.metadata.nbgrader["grade_id"], float(cell.metadata.nbgrader["points"])
        item = items.get(grade_id)
        if item is None or item.points != points:
            raise ValueError(f"{exercise}: test cell {grade_id} ({points:g} points) is not one of the grader's "
                             "items: regenerate the course's notebooks (`python -m grader notebooks`), then "
                             "`nbgrader generate_assignment` again")
        found.append((cell, item))
    return found


def outputs(exercise: str, result: CheckResult, *, plots: bool = True) -> list:
    """A test cell's outputs that nbgrader scores as ``result.score``.

    Full points: the pass line. Otherwise the failed histories as a picture, the
    score as the cell's result when it is above 0 (nbgrader's partial credit reads
    the first result, before the error), and an error carrying the message.
    """
    if result.score >= result.max_score:
        return [new_output("stream", name="stdout", text=passed_line(result) + "\n")]
    shown = []
    if plots and result.curves:
        image = base64.b64encode(picture(exercise, result)).decode("ascii")
        shown.append(new_output("display_data", data={"image/png": image,
                                                      "text/plain": f"<the histories of {result.name}>"}))
    if result.score > 0:
        shown.append(new_output("execute_result", data={"text/plain": repr(result.score)}, execution_count=None))
    text = failure_text(result)
    shown.append(new_output("error", ename="CheckFailed", evalue=text, traceback=[f"CheckFailed: {text}"]))
    return shown
