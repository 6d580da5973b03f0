"""The terminal report: one line per check, and what went wrong under each failed one.

Whatever a submission controls (messages, its output, file and student names, warnings)
is cleaned before it is shown: no escape sequence or control character reaches the terminal.
"""
from __future__ import annotations

import codecs
import csv
import os
import sys

from .results import CheckResult, ExerciseResult, Report
from .text import clean

WIDTH = 78


def _symbols(stream) -> dict[str, str]:
    fancy = (getattr(stream, "encoding", "") or "").lower().replace("-", "") in ("utf8", "utf")
    return {"pass": "✓" if fancy else "ok", "fail": "✗" if fancy else "XX", "todo": "·" if fancy else "--"}


def _colour(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def points(score: float, max_score: float) -> str:
    return f"{score:g} / {max_score:g}"


def report(rep: Report, stream=None, *, show_hidden: bool = True) -> str:
    """The report as text for ``stream`` (symbols and colour follow what the stream supports)."""
    stream = stream or sys.stdout
    sym, colour = _symbols(stream), _colour(stream)
    lines = []
    for warning in rep.warnings:
        lines.append(f"warning: {clean(warning, one_line=True)}")
    for ex in rep.exercises:
        lines += _exercise(ex, sym, colour, show_hidden)
    total = f"Total: {points(rep.score, rep.max_score)}"
    lines.append(_paint(total, "1", colour))
    return _encodable("\n".join(lines) + "\n", stream)


def _encodable(text: str, stream) -> str:
    """``text`` with what the stream's encoding cannot write replaced (an ASCII terminal, say)."""
    try:
        encoding = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    except LookupError:
        encoding = "utf-8"
    return text.encode(encoding, "replace").decode(encoding)


def _exercise(ex: ExerciseResult, sym, colour, show_hidden) -> list[str]:
    name = clean(ex.file, one_line=True) or f"{ex.exercise} (not submitted)"
    head = f"{name}  {ex.title}"
    lines = [_paint(_row(head, points(ex.score, ex.max_score), WIDTH), "1", colour)]
    for check in ex.checks:
        if check.hidden and not show_hidden:
            continue
        lines += _check(check, sym, colour)
    if ex.output.strip() and any(not c.passed for c in ex.checks):
        lines.append("  output of your code (first lines):")
        lines += ["    " + line for line in clean(ex.output).strip().split("\n")[:8]]
    lines.append("")
    return lines


def _check(check: CheckResult, sym, colour) -> list[str]:
    if check.passed:
        mark, code = sym["pass"], "32"
    elif check.status in ("not attempted", "not submitted"):
        mark, code = sym["todo"], "33"
    else:
        mark, code = sym["fail"], "31"
    label = f"  {mark} {clean(check.name, one_line=True)}"
    message = clean(check.message)
    lines = [_paint(_row(label, points(check.score, check.max_score), WIDTH), code, colour)]
    if check.status in ("not attempted", "not submitted") and "\n" not in message:
        lines[-1] += f"  {message}"
    elif not check.passed:
        lines += ["      " + line for line in message.split("\n")]
    return lines


def _row(left: str, right: str, width: int) -> str:
    return f"{left}{' ' * max(2, width - len(left) - len(right))}{right}"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


def class_table(csv_path) -> str:
    """Each student's total, from a class run's scores.csv; then each student's warnings."""
    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return ""
    names = [_cut(clean(r["student"], one_line=True), 40) for r in rows]
    width = max(len("student"), *map(len, names)) + 2
    lines = [f"{'student':<{width}}score"]
    lines += [f"{name:<{width}}{points(float(r['score']), float(r['max_score']))}" for name, r in zip(names, rows)]
    lines += [f"warning: {name}: {_cut(clean(r['warnings'], one_line=True), 300)}"
              for name, r in zip(names, rows) if r.get("warnings")]
    return "\n".join(lines) + "\n"


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 3] + "..."
