"""Auto-graded exercises on linear regression by gradient descent.

The public surface: ``Grader`` grades submissions (``Grader().grade(path)`` returns
a ``Report``); ``exercises()`` lists the exercises. The command line (``python -m
grader``), the pytest plugin (``pytest --grade PATH``) and the nbgrader test cells
are thin adapters over it.
"""
from .results import CheckResult, ExerciseResult, Report
from .specs import exercise, exercises

__version__ = "0.1.0"
__all__ = ["Grader", "GraderError", "Report", "ExerciseResult", "CheckResult", "exercise", "exercises"]


def __getattr__(name: str):
    """``Grader`` and ``GraderError``, imported on first use: ``import grader`` alone needs no NumPy, so that
    the command line can say in one line what this Python lacks (see ``environment``)."""
    if name in ("Grader", "GraderError"):
        from . import grade

        return getattr(grade, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
