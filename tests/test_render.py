"""What reaches a terminal or a spreadsheet from a submission is cleaned: no escape sequence, no control
character, no invalid Unicode, no formula."""
import csv
import io
import json
import re

import pytest

from grader import batch, render, text
from grader.results import CheckResult, ExerciseResult, Report

FORGED = "\r  ✓ forward                                                          2 / 2"
HOSTILE = ("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[32mall passed\x1b[0m" + FORGED + "\x9b2J\u202etxt.exe\ud800\x00 end")


def report(message=HOSTILE, *, warnings=(HOSTILE,), output=HOSTILE + "\nsecond line", file="mini\x1b[8mbatch.py"):
    checks = (CheckResult("forward", 0.0, 2.0, False, False, message, "error"),
              CheckResult("criterion", 2.0, 2.0, True, False, "passed"))
    return Report("ada\x1b[31m", (ExerciseResult("minibatch", "Mini-batches", checks, file, output),), warnings)


class Terminal(io.StringIO):
    def __init__(self, encoding="utf-8", tty=True):
        super().__init__()
        self._encoding, self._tty = encoding, tty

    @property
    def encoding(self):
        return self._encoding

    def isatty(self):
        return self._tty


OWN_CODES = {"\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m"}  # what the report paints itself


@pytest.mark.parametrize("stream", [Terminal(), Terminal(tty=False), Terminal("ascii")])
def test_a_report_shows_a_submissions_text_without_escapes_or_control_characters(stream, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    shown = render.report(report(), stream)
    stream.write(shown)  # an ASCII terminal can write it too
    assert set(re.findall(r"\x1b\[[0-9;]*m", shown)) <= OWN_CODES
    assert not re.search(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", shown)
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown).count("\x1b") == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "all passed" in plain and "end" in plain and "second line" in plain
    rows = plain.splitlines()
    assert not any(row.lstrip().startswith(("✓ forward", "ok forward")) for row in rows), "a forged passing row"
    assert sum("forward" in row and "0 / 2" in row for row in rows) == 1
    assert "minibatch.py" in plain


def test_a_lone_surrogate_never_breaks_printing_or_json():
    cleaned = text.clean_report(report())
    data = json.dumps(cleaned.to_dict(), ensure_ascii=False).encode("utf-8")  # strict: would raise on a surrogate
    assert b"\\ud800" not in json.dumps(cleaned.to_dict()).encode() and "\ufffd" in data.decode()
    check = cleaned.exercises[0].checks[0]
    assert "\x1b" not in check.message and "all passed" in check.message
    assert cleaned.submission == "ada" and cleaned.exercises[0].file == "minibatch.py"
    assert cleaned.exercises[0].checks[1] == report().exercises[0].checks[1]  # clean text is kept as it is


@pytest.mark.parametrize("raw, shown", [
    ("plain text, é, ✓", "plain text, é, ✓"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("\x1b[31mred\x1b[0m", "red"),
    ("a\rb\bc\x07d\x7fe", "abcde"),
    ("title \x1b]0;owned\x07kept", "title kept"),
    ("link \x1b]8;;http://x\x1b\\text\x1b]8;;\x1b\\", "link text"),
    ("8-bit \x9b2Jcsi", "8-bit csi"),
    ("\x1bPdevice control\x1b\\ after", " after"),
    ("cut \x1b", "cut "),
    ("bidi \u202eexe.txt\u202c \u2066x\u2069", "bidi exe.txt x"),
    ("lone \ud800 \udfff", "lone \ufffd \ufffd"),
    ("line\u2028break", "line\nbreak"),
])
def test_clean(raw, shown):
    assert text.clean(raw) == shown


def test_scores_csv_never_starts_a_formula_and_the_class_table_is_clean(tmp_path):
    reports = {}
    for name in ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ada\x1b[2J", "plain"):
        reports[name] = {"student": name, "score": 1.0, "max_score": 2.0, "warnings": ["=cmd|' /C calc'!A0", "ok"],
                         "exercises": [{"exercise": "minibatch", "score": 1.0,
                                        "checks": [{"name": "forward", "score": 1.0}]}]}
    batch.write_csv(tmp_path, reports)
    with open(tmp_path / batch.CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", " x", "x", "ada",
                                            "plain"]
    assert {r["warnings"] for r in rows} == {"'=cmd|' /C calc'!A0; ok"}
    assert all(r["score"] == "1.0" and r["minibatch: forward"] == "1.0" for r in rows)
    table = render.class_table(tmp_path / batch.CSV)
    assert "\x1b" not in table and "\r" not in table and "\t" not in table
    assert table.count("warning: ") == len(reports) and "plain" in table
