"""Where things are: the grader package, and the course it grades.

A course is a folder holding ``exercises/`` (the stubs), ``reference/`` (the solutions)
and ``hidden/`` (the hidden cases); a student release holds only ``exercises/``. In the
repository the course is the folder around the package.
"""
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
EXPECTED = PACKAGE / "expected.json"  # public expected values, written into a student release


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


DEFAULT = Course(ROOT)
EXERCISES, REFERENCE, HIDDEN = DEFAULT.exercises, DEFAULT.reference, DEFAULT.hidden
