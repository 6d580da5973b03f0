"""The student release: the course as a student gets it, without solutions or hidden cases.

It holds the stubs (exercises/), the grader package, and
grader/expected.json: the reference's results on the public cases, taken now, so
that ``python -m grader check`` and ``pytest --grade exercises --grade-public`` work
offline with no reference present.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import paths
from .grade import Grader, GraderError

FILES = ("pyproject.toml", "constraints.txt")
STUDENT_README = """\
# {title}

Your exercises are the files in `exercises/`. In each one, replace every
`raise NotImplementedError` with your code; each function's docstring says what it
takes and what it gives back.

Set up once (Python 3.11):

    python -m venv .venv && .venv/bin/pip install -c constraints.txt -e .

Then check your work on the public cases, as often as you like:

    .venv/bin/python -m grader check                              # every exercise
    .venv/bin/python -m grader check exercises/minibatch.py       # one exercise
    .venv/bin/python -m pytest --grade exercises --grade-public   # the same, as tests
    .venv/bin/python -m grader check --plots plots                # draw each history gone wrong

Each check says what it ran, what it expected, what it got and where your answer first
went wrong. Your instructor grades on more cases than these (other seeds, learning
rates, batch sizes and data), so make your functions right, not just these numbers.
"""


def build(target: Path, *, force: bool = False) -> Path:
    """Write the student release into ``target`` (which must not exist, unless ``force``)."""
    target = Path(target)
    if target.exists():
        if not force:
            raise GraderError(f"{target} exists; choose a new folder (or pass --force to replace it)")
        shutil.rmtree(target)
    grader = Grader(hidden=False)
    expected = {ex.id: {name: reply.outputs for name, reply in grader.expected[ex.id].items()}
                for ex in grader.exercises}
    grader.runner.close()
    shutil.copytree(paths.EXERCISES, target / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.PACKAGE, target / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "expected.json"))
    for name in FILES:
        shutil.copy2(paths.ROOT / name, target / name)
    (target / "grader" / "expected.json").write_text(json.dumps(expected, allow_nan=False) + "\n", encoding="utf-8")
    (target / "README.md").write_text(STUDENT_README.format(title="Linear regression by gradient descent"),
                                      encoding="utf-8")
    return target
