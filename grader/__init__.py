"""Auto-graded exercises on linear regression by gradient descent.

The public surface: ``Grader`` grades submissions (``Grader().grade(path)`` returns
a ``Report``); ``exercises()`` lists the exercises. The command line (``python -m
grader``), the pytest plugin (``pytest --grade PATH``) and the nbgrader test cells
are thin adapters over it.
"""
from .grade import Grader, GraderError
from .results import CheckResult, ExerciseResult, Report
from .specs import exercise, exercises

__all__ = ["Grader", "GraderError", "Report", "ExerciseResult", "CheckResult", "exercise", "exercises"]
