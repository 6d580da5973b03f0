"""Text a student controls (messages, output, file and folder names), made safe to store and to show.

``clean`` is what may reach a terminal: valid Unicode, without terminal escape
sequences or control characters (a message cannot move the cursor, redraw a line, or
draw a fake "passed"). ``cell`` is what may reach a spreadsheet: never a formula.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .results import Report

_SURROGATES = re.compile("[\ud800-\udfff]")
# ESC sequences (CSI, OSC, DCS and other strings, two-character ones) and the 8-bit CSI; an unfinished one to its end.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|[ -/]*[0-~]?)"
                      r"|\x9b[0-?]*[ -/]*[@-~]?|[\x90\x98\x9d-\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?")
# C0 and C1 controls but tab and newline; the marks that reorder text on screen (bidi overrides and isolates).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\u2028\u2029]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def valid(text: str) -> str:
    """``text`` as valid Unicode: a lone surrogate (from a bad exception message, say) becomes U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def clean(text: str, *, one_line: bool = False) -> str:
    """``text`` safe for a terminal: valid Unicode, no escape sequences, no control characters but tab and
    newline (with ``one_line``, those become spaces)."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", valid(text)))
    text = _LINE_BREAKS.sub("\n", text)
    return re.sub(r"[\t\n]", " ", text) if one_line else text


def cell(value):
    """A CSV value a spreadsheet reads as text: a string that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def clean_report(report: Report) -> Report:
    """The report with every text a submission can put into it cleaned (see ``clean``)."""
    exercises = tuple(replace(e, file=clean(e.file, one_line=True), output=clean(e.output),
                              checks=tuple(replace(c, message=clean(c.message)) for c in e.checks))
                      for e in report.exercises)
    return replace(report, submission=clean(report.submission, one_line=True), exercises=exercises,
                   warnings=tuple(clean(w, one_line=True) for w in report.warnings))
