"""nbgrader configuration for the course: run nbgrader from this folder."""
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import AssignLatePenalties, ClearHiddenTests, GetGrades, LimitOutput, SaveAutoGrades

from grader.preprocessors import GradeCells, WrapMessages

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "gdgrader"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Autograde runs no kernel: GradeCells grades each notebook with the grader (student code runs in
# its sandboxed children) and writes every test cell's outcome into the cell, where nbgrader's
# SaveAutoGrades reads the score. The rest is nbgrader's own list without Execute, IgnorePattern
# (no kernel output to filter) and the second CheckCellMetadata (only outputs changed since the
# first, when nbgrader sanitized the submission).
c.Autograde.autograde_preprocessors = [GradeCells, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties]
# The grader's limits on each notebook's code (these are the defaults).
c.GradeCells.seconds_per_check = 10
c.GradeCells.seconds_per_submission = 120
c.GradeCells.memory_mb = 1024

# A student who deletes a test cell gets it back, with its points, at autograde.
c.OverwriteCells.add_missing_cells = True

# Feedback shows no hidden test source, and its messages wrap at the page's edge.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, WrapMessages]

# `nbgrader validate` still runs a notebook in a kernel, where each test cell runs the grader:
# the first one starts it (a few seconds), and warnings on stderr must not fail a cell.
c.Execute.timeout = 300
c.IgnorePattern.pattern = r"(?s).*Warning"
