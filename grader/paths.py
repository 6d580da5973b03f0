"""Where the course's files are: next to the grader package, in the repository or a release."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
EXERCISES = ROOT / "exercises"
REFERENCE = ROOT / "reference"
HIDDEN = ROOT / "hidden"  # hidden cases: read by the grading process only
EXPECTED = PACKAGE / "expected.json"  # public expected values, written into a student release
