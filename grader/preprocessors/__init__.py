"""nbgrader preprocessors: scores decided by the grader, outside any kernel.

``GradeCells`` takes the place of nbgrader's ``Execute`` in
``Autograde.autograde_preprocessors``: it grades the submitted notebook with the
grader (student code runs in the grader's sandboxed children) and writes each test
cell's outcome into that cell, so that nbgrader's own ``SaveAutoGrades``, formgrader,
``generate_feedback`` and ``export`` record the grader's scores. ``WrapMessages``
styles the feedback HTML so that messages wrap at the page's edge.
"""
from .feedback import WrapMessages
from .grade_cells import GradeCells

__all__ = ["GradeCells", "WrapMessages"]
