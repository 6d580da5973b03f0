"""Reading one submission file into source text, in the grading process: nothing runs, nothing is parsed as Python.

Every path and byte is hostile. A file is opened without following a link and without
waiting on a pipe, and only a regular file is read, up to a size cap. A notebook's code
is its code cells in order, without the autograder's test cells; IPython magics and
shell lines become ``pass`` so that line numbers still point at the right cell. Each
code cell is also a chunk of its own, so that a cell that does not compile costs only
what it defines. Whatever cannot be read, decoded or parsed raises ``Unreadable`` with a
one-line message for the student.
"""
from __future__ import annotations

import codecs
import errno
import json
import keyword
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".py", ".ipynb")
MAX_CODE = 2 * 2**20  # characters of code in a submission file, and bytes of a .py file
MAX_NOTEBOOK = 10 * 2**20  # bytes of a notebook file, outputs included

_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Unreadable(Exception):
    """The file cannot be read as a submission; the message says why, to the student."""


@dataclass(frozen=True)
class Chunk:
    """A piece of a submission that compiles and runs on its own: one notebook code cell, or a whole .py file.

    ``line`` is the line of ``Source.text`` where the chunk starts: compiling
    ``"\\n" * (line - 1) + code`` keeps the text's line numbers, which ``Source.locate`` reads (the text is
    each chunk's code followed by a blank line).
    """

    cell: int  # the notebook's cell number, counting every cell from 1; 0 for a .py file
    code: str  # magics rewritten
    line: int

    @property
    def defines(self) -> tuple[str, ...]:
        return defines(self.code)


@dataclass(frozen=True)
class Source:
    """A submission file's code: the whole text, and the chunks that compile and run one by one."""

    text: str
    path: Path
    chunks: tuple[Chunk, ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name

    def locate(self, text: str) -> str:
        """Rewrite 'line N' in a message as 'cell C, line L' for notebooks."""
        starts = [(chunk.line, chunk.cell) for chunk in self.chunks if chunk.cell]
        if not starts:
            return text
        return re.sub(r"\bline (\d+)", lambda m: _cell_line(starts, int(m.group(1))), text)

    def defining(self, name: str) -> Chunk | None:
        """The chunk that appears to define ``name`` at its top level (the last one, as when a notebook runs)."""
        return next((chunk for chunk in reversed(self.chunks) if name in chunk.defines), None)


def _cell_line(starts: list[tuple[int, int]], line: int) -> str:
    first, cell = max((start for start in starts if start[0] <= line), default=(1, 1))
    return f"cell {cell}, line {line - first + 1}"


def read(path: Path, root: Path | None = None) -> Source:
    """A submission file as source text; raises Unreadable with a one-line reason.

    With ``root`` (the submission folder ``path`` lies in), no folder between them is
    followed either.
    """
    name = path.name
    if path.suffix.lower() == ".ipynb":
        chunks = _notebook(name, read_bytes(path, root, MAX_NOTEBOOK))
        text = "".join(chunk.code + "\n\n" for chunk in chunks) or "\n"  # a blank line after each cell
    else:
        text = _decode(name, read_bytes(path, root, MAX_CODE))
        chunks = (Chunk(0, text, 1),)
        _check_code(name, text, None)
    if len(text) > MAX_CODE:
        raise Unreadable(f"{name} holds more than {MAX_CODE // 2**20} MB of code: submit your exercise alone")
    return Source(text, path, chunks)


def read_bytes(path: Path, root: Path | None = None, cap: int = MAX_CODE) -> bytes:
    """The bytes of a regular file, at most ``cap``; a link, a pipe, a device or a folder is refused unopened."""
    fd = _open(path, root)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(refusal(path.name, info.st_mode))
        if info.st_size > cap:
            raise Unreadable(too_large(path.name, cap))
        parts, size = [], 0
        while size <= cap:
            part = os.read(fd, min(2**20, cap + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    except OSError as exc:
        raise Unreadable(f"cannot read {path.name}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > cap:
        raise Unreadable(too_large(path.name, cap))
    return b"".join(parts)


def _open(path: Path, root: Path | None) -> int:
    """A descriptor of ``path`` opened without following a link anywhere below ``root`` (or at ``path`` itself)."""
    parts = path.relative_to(root).parts if root is not None and path != root else ()
    try:
        if not parts:
            _regular(path.name, os.lstat(path).st_mode)
            return os.open(path, _FILE)
        folder = os.open(root, _FOLDER)
        try:
            for part in parts[:-1]:
                mode = os.stat(part, dir_fd=folder, follow_symlinks=False).st_mode
                if not stat.S_ISDIR(mode):
                    raise Unreadable(refusal(f"{part}/", mode))
                inner = os.open(part, _FOLDER, dir_fd=folder)
                os.close(folder)
                folder = inner
            _regular(path.name, os.stat(parts[-1], dir_fd=folder, follow_symlinks=False).st_mode)
            return os.open(parts[-1], _FILE, dir_fd=folder)
        finally:
            os.close(folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # replaced by a link while being opened
            raise Unreadable(refusal(path.name, stat.S_IFLNK)) from None
        raise Unreadable(f"cannot read {path.name}: {exc.strerror}") from None


def _regular(name: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise Unreadable(refusal(name, mode))


def refusal(name: str, mode: int, instead: str = "the file itself") -> str:
    """Why an entry that is not a regular file is not read, and what to submit ``instead``."""
    if stat.S_ISLNK(mode):
        return f"{name} is a symbolic link, which the grader does not follow: submit {instead}"
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    return f"{name} is {kind}, not a file the grader reads: submit {instead}"


def too_large(name: str, cap: int) -> str:
    advice = "clear its outputs and save it again" if name.lower().endswith(".ipynb") else "submit your exercise alone"
    return f"{name} is larger than {cap // 2**20} MB: {advice}"


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def _decode(name: str, data: bytes) -> str:
    """Bytes as text: a BOM, else a coding cookie (PEP 263), else UTF-8; newlines as Python reads them."""
    encoding = next((codec for bom, codec in _BOMS if data.startswith(bom)), None) or _cookie(name, data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(encoding, errors="replace").count("\n") + 1
        label = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(encoding, encoding)
        raise Unreadable(f"{name} is not {label} text (line {line}): save it as UTF-8 and submit it again") from None
    if "\x00" in text:
        raise Unreadable(f"{name} is not a text file (it holds NUL characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cookie(name: str, data: bytes) -> str:
    for number, line in enumerate(data.split(b"\n", 2)[:2]):
        found = _COOKIE.match(line)
        if found:
            try:
                return codecs.lookup(found.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                raise Unreadable(f"{name} declares an unknown encoding on line {number + 1}: save it as UTF-8 "
                                 "and submit it again") from None
        if not _BLANK.match(line):
            break
    return "utf-8"


def _notebook(name: str, data: bytes) -> tuple[Chunk, ...]:
    invalid = f"{name} is not a valid notebook"
    try:
        notebook = json.loads(_decode(name, data))
    except RecursionError:
        raise Unreadable(f"{invalid}: its JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{invalid} (it does not read as Jupyter JSON: {exc.msg}, line {exc.lineno})") from None
    except ValueError:
        raise Unreadable(f"{invalid} (it does not read as Jupyter JSON)") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise Unreadable(f"{invalid}: it has no list of cells")
    chunks, line = [], 1
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise Unreadable(f"{invalid}: cell {number} is not a cell")
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        elif not isinstance(source, str):
            raise Unreadable(f"{invalid}: the source of cell {number} is not text")
        _check_code(name, source, number)
        code = _plain_python(source.replace("\r\n", "\n").replace("\r", "\n"))
        chunks.append(Chunk(number, code, line))
        line += code.count("\n") + 2
    return tuple(chunks)


def _check_code(name: str, code: str, cell: int | None) -> None:
    """Code a compiler takes: valid Unicode (JSON can carry a lone surrogate) and no NUL character."""
    where = f"cell {cell}, " if cell else ""
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Unreadable(f"{name} holds a character that is not valid Unicode ({where}line {_line(code, exc.start)}): "
                         "save it as UTF-8 and submit it again") from None
    if "\x00" in code:
        raise Unreadable(f"{name} holds a NUL character ({where}line {_line(code, code.index(chr(0)))}), "
                         "which is not code")


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def is_test_cell(cell: dict) -> bool:
    """An nbgrader autograder test cell: graded, and not a solution."""
    meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
    return bool(isinstance(meta, dict) and meta.get("grade") and not meta.get("solution"))


_MAGIC = re.compile(r"^([^\S\n]*)[%!].*$", re.MULTILINE)


def _plain_python(source: str) -> str:
    """The cell's code, its last newline dropped: a cell magic drops the cell; line magics and shell escapes
    become ``pass`` (each line stays where it was)."""
    source = source[:-1] if source.endswith("\n") else source
    if source.lstrip().startswith("%%"):
        return "pass" + "\n" * source.count("\n")
    return _MAGIC.sub(r"\1pass", source)


# A bounded scan for what a piece of code defines: strings and comments are skipped whole; a def or class that
# starts a line at column 0 outside them is a top-level definition. Possessive loops and terminators that
# always match keep it linear, whatever the text (unclosed strings, lone backslashes).
_DEFINITIONS = re.compile(
    r"^(?:async[ \t]+)?(?:def|class)[ \t]+(?P<name>\w+)"
    r'|"""(?:[^"\\]|\\.|"(?!""))*+(?:"""|\\?\Z)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|\\?\Z)"
    r'|"(?:[^"\\\n]|\\.)*+(?:"|\\?$)'
    r"|'(?:[^'\\\n]|\\.)*+(?:'|\\?$)"
    r"|#[^\n]*+",
    re.MULTILINE | re.DOTALL)


def defines(code: str) -> tuple[str, ...]:
    """The names a piece of code appears to define at its top level (``def``, ``async def``, ``class``),
    in order, by a linear text scan: it never compiles the code, so it works on code that does not compile."""
    found = (m.group("name") for m in _DEFINITIONS.finditer(code))
    return tuple(dict.fromkeys(name for name in found if name and not keyword.iskeyword(name)))
