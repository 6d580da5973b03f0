"""Gradescope: a submission's results.json, and an autograder that Gradescope runs as is.

``results(report)`` is Gradescope's results.json for one report: a test per check with
its points, its status and the grader's message; hidden checks show once the grades
are published, and until then the student does not see the total. With ``plots``, a
failed history is drawn under its message as an inline PNG, in Gradescope's "html"
output format. The message is escaped there, never read as HTML; Gradescope sanitizes
HTML without saying which images it keeps, so if it drops one, the message still stands.

``write_autograder(zip, course)`` writes the zip Gradescope asks for: ``setup.sh``
installs the grader with CPU torch into a virtual environment, once, when Gradescope
builds the image; ``run_autograder`` grades /autograder/submission with the hidden
cases into /autograder/results/results.json (``AUTOGRADER_ROOT`` moves /autograder,
to try it elsewhere). The zip holds the course: stubs, solutions, hidden cases, typical mistakes.
"""
from __future__ import annotations

import base64
import html
import os
import stat
import tempfile
import zipfile
from pathlib import Path

from . import installable, paths
from .errors import GraderError
from .results import Report

MAX_PLOTS = 8  # drawn per submission: each takes a fraction of a second and about 70 KB of results.json

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: a Python of 3.11 or
# newer, a virtual environment with torch's CPU build (no GPU there; the default build brings
# several GB of CUDA), and the grader installed from source/.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    apt-get update && apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
# Debian and Ubuntu ship venv apart from Python.
"$PYTHON" -m venv "$ROOT/venv" || { apt-get install -y "$PYTHON-venv" && "$PYTHON" -m venv --clear "$ROOT/venv"; }
"$ROOT/venv/bin/pip" install --quiet torch --index-url https://download.pytorch.org/whl/cpu
"$ROOT/venv/bin/pip" install --quiet "$ROOT/source"
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it, hidden cases included, into results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT"
mkdir -p "$ROOT/results"
# The solutions and hidden cases are for the grading process (root) alone; the submission's code
# runs as another user.
chmod go= "$ROOT/source" "$ROOT/results"
"$ROOT/venv/bin/gdgrader" grade "$ROOT/submission" --course "$ROOT/source" \\
    --gradescope "$ROOT/results/results.json"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    printf '{"score": 0, "output": "The autograder could not grade this submission (exit status %s); your instructor sees why in its output."}\\n' "$status" >"$ROOT/results/results.json"
fi
"""


def results(report: Report, *, plots: bool = False) -> dict:
    """The report in Gradescope's results.json format; see the module's docstring."""
    drawn = 0
    tests = []
    for e in report.exercises:
        for c in e.checks:
            test = {"name": f"{e.exercise}: {c.name}", "score": c.score, "max_score": c.max_score,
                    "status": "passed" if c.passed else "failed", "output": c.message,
                    "visibility": "after_published" if c.hidden else "visible"}
            if plots and c.curves and drawn < MAX_PLOTS:
                test.update(output=_with_plot(f"{e.exercise}: {c.name}", c), output_format="html")
                drawn += 1
            tests.append(test)
    found = {"score": report.score, "visibility": "visible", "tests": tests}
    if report.warnings:
        found["output"] = "\n".join(report.warnings)
        found["output_format"] = "text"
    return found


def _with_plot(title: str, check) -> str:
    from .plots import history_figure, png  # matplotlib only when a history is drawn

    image = base64.b64encode(png(history_figure(title, check.curves), dpi=60)).decode("ascii")
    return (f"<pre>{html.escape(check.message)}</pre>\n"
            f'<img src="data:image/png;base64,{image}" alt="{html.escape(title)}: yours against the expected '
            f'history">')


def write_autograder(target: Path, course: paths.Course, *, force: bool = False) -> Path:
    """Write the autograder zip for ``course`` (which must hold its solutions) to ``target``."""
    target = Path(target)
    if not course.has_reference:
        raise GraderError(f"an autograder needs the reference solutions, and {course.root} has no reference/")
    if target.exists() and not force:
        raise GraderError(f"{target} exists; choose another name (or pass --force to replace it)")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder)
        installable.copy(source)
        files = {path.relative_to(source).as_posix(): path for path in sorted(source.rglob("*")) if path.is_file()}
        for part in (course.exercises, course.reference, course.hidden, course.mistakes):
            files.update({path.relative_to(course.root).as_posix(): path for path in sorted(part.rglob("*"))
                          if path.is_file() and "__pycache__" not in path.parts})
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFREG | 0o755) << 16
                archive.writestr(info, text, zipfile.ZIP_DEFLATED)
            for name, path in files.items():
                archive.write(path, name)
        os.replace(partial, target)
    return target
