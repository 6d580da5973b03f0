"""The student release: the course as a student gets it, without solutions or hidden cases.

It holds the stubs (exercises/), an installable copy of the grader with
grader/expected.json (the reference's results on the public cases, taken now, so that
``gdgrader check`` and ``pytest --grade exercises --grade-public`` work offline with no
reference present), a README with the set-up for Linux, macOS and Windows, and a GitHub
Classroom workflow that runs the same self-check on every push.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import installable, paths
from .environment import CPU_TORCH
from .grade import Grader, GraderError

WORKFLOW = Path(".github/workflows/classroom.yml")

STUDENT_README = """\
# {title}

Your exercises are the files in `exercises/`. In each one, replace every
`raise NotImplementedError` with your code; each function's docstring says what it
takes and what it gives back.

## Set up once

You need Python 3.11 or newer (on an Intel Mac, 3.11 or 3.12). In a terminal, in this folder:

Linux:

    python3 -m venv .venv
    .venv/bin/pip install torch --index-url {cpu}
    .venv/bin/pip install -e .

macOS:

    python3 -m venv .venv
    .venv/bin/pip install torch
    .venv/bin/pip install -e .

Windows (PowerShell):

    py -m venv .venv
    .venv\\Scripts\\pip install torch --index-url {cpu}
    .venv\\Scripts\\pip install -e .

The first `pip install` takes torch's CPU build (a few hundred MB); on Linux and Windows
pip would otherwise download the GPU build, several GB that these exercises do not use.

## Check your work

On the public cases, as often as you like. Linux and macOS:

    .venv/bin/gdgrader check                                     # every exercise
    .venv/bin/gdgrader check exercises/minibatch.py              # one exercise
    .venv/bin/gdgrader check --plots plots                       # draw each history gone wrong
    .venv/bin/python -m pytest --grade exercises --grade-public  # the same, as tests

Windows (PowerShell):

    .venv\\Scripts\\gdgrader check
    .venv\\Scripts\\gdgrader check exercises\\minibatch.py
    .venv\\Scripts\\gdgrader check --plots plots
    .venv\\Scripts\\python -m pytest --grade exercises --grade-public

Each check says what it ran, what it expected, what it got and where your answer first
went wrong. Your instructor grades on more cases than these (other seeds, learning
rates, batch sizes and data), so make your functions right, not just these numbers.

## On GitHub

If your course uses GitHub Classroom, every push runs the same self-check
(`.github/workflows/classroom.yml`): the run's summary in the Actions tab shows each
check with its points, and Classroom shows the total. Like the check above, it is for
you: your instructor grades your work separately, on more cases.
"""

CLASSROOM_WORKFLOW = """\
# GitHub Classroom: on every push, the public self-check, with the points of each check in the
# job summary and in Classroom. It is formative: the repository and this workflow are the
# student's own, so the score here is a self-check, not a grade. Graded runs are the
# instructor's: `gdgrader grade`, the Gradescope autograder or nbgrader.
name: Autograding Tests
"on": [push, workflow_dispatch, repository_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the grader (torch's CPU build)
        run: |
          python -m pip install torch --index-url {cpu}
          python -m pip install .
      - name: Self-check
        id: gdgrader
        run: gdgrader check --classroom
      - name: Report to GitHub Classroom
        if: always() && steps.gdgrader.outputs.result
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          GDGRADER_RESULTS: "${{{{ steps.gdgrader.outputs.result }}}}"
        with:
          runners: gdgrader
"""


def build(target: Path, *, course: paths.Course = paths.DEFAULT, force: bool = False) -> Path:
    """Write the student release of ``course`` into ``target`` (which must not exist, unless ``force``)."""
    target = Path(target)
    if not course.has_reference:
        raise GraderError(f"a release needs the reference solutions, and {course.root} has no reference/")
    if target.exists():
        if not force:
            raise GraderError(f"{target} exists; choose a new folder (or pass --force to replace it)")
        shutil.rmtree(target)
    grader = Grader(hidden=False, course=course)
    expected = {ex.id: {name: reply.outputs for name, reply in grader.expected[ex.id].items()}
                for ex in grader.exercises}
    grader.runner.close()
    shutil.copytree(course.exercises, target / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    installable.copy(target)
    (target / "grader" / paths.EXPECTED.name).write_text(json.dumps(expected, allow_nan=False) + "\n",
                                                         encoding="utf-8")
    (target / "README.md").write_text(STUDENT_README.format(title="Linear regression by gradient descent",
                                                            cpu=CPU_TORCH), encoding="utf-8")
    (target / WORKFLOW).parent.mkdir(parents=True)
    (target / WORKFLOW).write_text(CLASSROOM_WORKFLOW.format(cpu=CPU_TORCH), encoding="utf-8")
    return target
