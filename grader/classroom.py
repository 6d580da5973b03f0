"""GitHub Classroom: a self-check's points per check, where the Actions job and Classroom show them.

``summary(report)`` is the markdown for the job summary ($GITHUB_STEP_SUMMARY): the
total, a table of the checks with their points, and what went wrong in each failed one.
``reporter_result(report)`` is the result GitHub Classroom's grading reporter
(classroom-resources/autograding-grading-reporter) reads from a step's ``result``
output: a test per check with its points, which add up to Classroom's score.
Student-controlled text (messages quote the student's values and tracebacks) stays
inside code blocks.
"""
from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

from .errors import GraderError
from .render import points
from .results import Report

FILES = ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")  # set by GitHub Actions in every step


def summary(report: Report) -> str:
    passed = all(c.passed for e in report.exercises for c in e.checks)
    lines = [f"## {'✅' if passed else '❌'} Self-check: {points(report.score, report.max_score)}", "",
             "The public cases only: your instructor grades on more (hidden) cases, so make your functions right, "
             "not just these numbers.", "", "| | check | points |", "|---|---|---:|"]
    lines += [f"| {'✅' if c.passed else '❌'} | {e.exercise}: {c.name} | {points(c.score, c.max_score)} |"
              for e in report.exercises for c in e.checks]
    failed = [(e, c) for e in report.exercises for c in e.checks if not c.passed]
    if failed:
        lines += ["", "<details><summary>What went wrong</summary>", ""]
        for e, c in failed:
            lines += [f"**{e.exercise}: {c.name}** ({points(c.score, c.max_score)})", "", *_code(c.message), ""]
        lines += ["</details>"]
    return "\n".join(lines) + "\n"


def reporter_result(report: Report) -> dict:
    checks = [(e, c) for e in report.exercises for c in e.checks]
    return {
        "version": 1,
        "status": "pass" if all(c.passed for _, c in checks) else "fail",
        "max_score": report.max_score,
        "tests": [{"name": f"{e.exercise}: {c.name}", "status": "pass" if c.passed else "fail", "score": c.score,
                   "message": c.message, "line_no": 0, "test_code": ""} for e, c in checks],
    }


def require(environ=os.environ) -> None:
    """Refuse to run outside a GitHub Actions step, before any grading."""
    missing = [name for name in FILES if not environ.get(name)]
    if missing:
        raise GraderError(f"--classroom runs in a GitHub Actions step, which sets {' and '.join(missing)}")


def write(report: Report, environ=os.environ) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY and the reporter's result to $GITHUB_OUTPUT."""
    require(environ)
    with open(Path(environ["GITHUB_STEP_SUMMARY"]), "a", encoding="utf-8") as f:
        f.write(summary(report))
    encoded = base64.b64encode(json.dumps(reporter_result(report)).encode("utf-8")).decode("ascii")
    with open(Path(environ["GITHUB_OUTPUT"]), "a", encoding="utf-8") as f:
        f.write(f"result={encoded}\n")


def _code(text: str) -> list[str]:
    """``text`` as a fenced code block that nothing in it can close."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return [fence + "text", text, fence]
