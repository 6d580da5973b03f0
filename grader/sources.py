"""Reading a submission's files into source text, in the grading process (nothing runs here).

A submission is a folder laid out like exercises/ or one file; an exercise's file is
``<id>.py`` or ``<id>.ipynb``. A notebook's code is its code cells in order, without
the autograder's test cells; IPython magics and shell lines become ``pass`` so that
the line numbers still point at the right cell.
"""
from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".py", ".ipynb")


class Unreadable(Exception):
    """The file cannot be read as a submission; the message says why, to the student."""


@dataclass(frozen=True)
class Source:
    text: str
    path: Path
    cell_starts: tuple[tuple[int, int], ...] = ()  # (first line, cell number) for notebooks

    @property
    def filename(self) -> str:
        return self.path.name

    def locate(self, text: str) -> str:
        """Rewrite 'line N' in a message as 'cell C, line L' for notebooks."""
        if not self.cell_starts:
            return text
        return re.sub(r"\bline (\d+)", lambda m: self._cell_line(int(m.group(1))), text)

    def _cell_line(self, line: int) -> str:
        first, cell = max((start for start in self.cell_starts if start[0] <= line), default=(1, 1))
        return f"cell {cell}, line {line - first + 1}"


def find(folder: Path, exercise_id: str) -> Path | None:
    """The file of an exercise in a submission folder, if any."""
    for suffix in SUFFIXES:
        path = folder / f"{exercise_id}{suffix}"
        if path.is_file():
            return path
    return None


def read(path: Path) -> Source:
    """A submission file as source text; raises Unreadable with a short reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read {path.name}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise Unreadable(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    if path.suffix == ".ipynb":
        return _notebook(path, data)
    return Source(_decode(path.name, data), path)


def _decode(name: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise Unreadable(f"{name} is not a text file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding).removeprefix("\ufeff")
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        position = getattr(exc, "start", None)
        line = data[:position].count(b"\n") + 1 if position is not None else 0
        where = f" (line {line})" if line else ""
        raise Unreadable(f"{name} is not UTF-8 text{where}: save it as UTF-8 and submit it again") from None


def _notebook(path: Path, data: bytes) -> Source:
    try:
        notebook = json.loads(_decode(path.name, data))
        cells = notebook["cells"]
        assert isinstance(cells, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise Unreadable(f"{path.name} is not a valid notebook (it does not read as Jupyter JSON)") from None
    lines, starts = [], []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        starts.append((len(lines) + 1, number))
        lines += _plain_python(source).splitlines() + [""]
    return Source("\n".join(lines) + "\n", path, tuple(starts))


def is_test_cell(cell: dict) -> bool:
    """An nbgrader autograder test cell: graded, and not a solution."""
    meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
    return bool(isinstance(meta, dict) and meta.get("grade") and not meta.get("solution"))


def _plain_python(source: str) -> str:
    """Cell magics drop the cell; line magics and shell escapes become ``pass``."""
    if source.lstrip().startswith("%%"):
        return "\n".join("pass" if i == 0 else "" for i, _ in enumerate(source.splitlines()))
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.splitlines())
