"""nbgrader configuration for the course: run nbgrader from this folder."""
import os

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "gdgrader"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The test cells run the grader, which forks the code into a sandbox: the first cell of a
# notebook starts it (a few seconds); a generous per-cell limit keeps slow machines safe.
c.Execute.timeout = 300

# Warnings on stderr (torch, matplotlib, deprecations) must not zero a correct answer:
# nbgrader fails a test cell on any stderr text unless it is dropped here.
c.IgnorePattern.pattern = r"(?s).*Warning"

# A student who deletes a test cell gets it back, with its points, at autograde.
c.OverwriteCells.add_missing_cells = True

# Feedback must not show the source of hidden test cells.
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
