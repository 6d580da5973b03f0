"""Where things are: the grader package, and the course it grades.

A course is a folder holding ``exercises/`` (the stubs), ``reference/`` (the solutions),
``hidden/`` (the hidden cases) and ``mistakes/`` (the code of typical mistakes, wrong
solutions that name a failed answer's cause); a student release holds only ``exercises/``. The
grader finds it from ``--course DIR``, else the ``GDGRADER_COURSE`` environment
variable, else the first folder from the working directory upwards that holds one,
else the folder around the package (a clone of the repository, or a student release).
Standard library only: this module is read before anything checks that NumPy is there.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
EXPECTED = PACKAGE / "expected.json"  # public expected values, written into a student release
ENV = "GDGRADER_COURSE"


class CourseNotFound(Exception):
    """No course where the grader looked; the message says where that was."""


@dataclass(frozen=True)
class Course:
    root: Path

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def hidden(self) -> Path:
        """Hidden cases: read by the grading process only."""
        return self.root / "hidden"

    @property
    def mistakes(self) -> Path:
        """The code of typical mistakes, mistakes/<exercise>/<name>.py: read by the grading process only."""
        return self.root / "mistakes"

    @property
    def nbgrader(self) -> Path:
        """The nbgrader course directory, generated from exercises/ and reference/."""
        return self.root / "course"

    @property
    def has_reference(self) -> bool:
        return self.reference.is_dir()


def is_course(folder: Path) -> bool:
    """Whether ``folder`` holds the stubs or the solutions of an exercise this grader knows."""
    from .specs import IDS  # standard library only, like this module

    return any((folder / part / f"{id}.py").is_file() for part in ("exercises", "reference") for id in IDS)


def find(given: str | os.PathLike | None = None, *, start: str | os.PathLike | None = None,
         required: bool = True) -> Course | None:
    """The course to grade: ``given`` (--course), else $GDGRADER_COURSE, else the first course from ``start``
    (the working directory) upwards, else the folder around the package. CourseNotFound when the course named
    is none, or when nothing was named and none was found, unless not ``required`` (then None)."""
    if given is not None:
        return _named(Path(given), "--course")
    if os.environ.get(ENV):
        return _named(Path(os.environ[ENV]), f"${ENV}")
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_course(folder):
            return Course(folder)
    if is_course(ROOT):
        return Course(ROOT)
    if not required:
        return None
    raise CourseNotFound(
        f"no course found: a course is a folder holding exercises/ and reference/ (a student release: exercises/ "
        f"only); looked in --course (not given), ${ENV} (not set), {here} and every folder above it, and {ROOT} "
        f"(where the grader is installed); pass --course DIR or set {ENV}=DIR")


def _named(folder: Path, how: str) -> Course:
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise CourseNotFound(f"{how} {folder}: no such folder")
    if not is_course(folder):
        raise CourseNotFound(f"{how} {folder} is not a course: it holds no exercises/ or reference/ with an "
                             f"exercise's file in it (such as exercises/minibatch.py)")
    return Course(folder)


def _default() -> Course:
    named = os.environ.get(ENV)
    return Course(Path(named).expanduser().resolve()) if named else Course(ROOT)


DEFAULT = _default()  # the course named by the environment, else the folder around the package
EXERCISES, REFERENCE, HIDDEN, MISTAKES = DEFAULT.exercises, DEFAULT.reference, DEFAULT.hidden, DEFAULT.mistakes
