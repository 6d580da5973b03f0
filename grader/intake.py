"""Which file of a submission is which exercise, and who is in a class folder; no link is ever followed.

A submission is one exercise file, or a folder holding, for each exercise, either

    <id>.py or <id>.ipynb           laid out like exercises/
    <id>/<id>.ipynb                 nbgrader's layout: a folder per assignment

A file named otherwise (an LMS renames files: ``Minibatch (1).py``, ``hw_autograd.py``)
is matched by what it defines: the exercise whose own functions it defines, when that
is unambiguous; otherwise it is named in the report's warnings, never silently dropped.
A folder that holds nothing but one folder of files (an archive's wrapper) is graded
from that folder. Everything is seen with ``lstat``: a link, a pipe, a device, or a file
over the size cap is refused with a message, never opened.
"""
from __future__ import annotations

import functools
import itertools
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import paths, specs, text
from .errors import GraderError
from .sources import MAX_CODE, MAX_NOTEBOOK, SUFFIXES, Source, Unreadable, read, refusal, too_large

MAX_ENTRIES = 1000  # entries of one folder looked at; a submission has a handful


class NotASubmission(Exception):
    """The path cannot be graded as a submission at all (a usage error); the message says why."""


@dataclass(frozen=True, eq=False)
class Layout(Mapping):
    """A submission's files: each exercise's file (None when it was not submitted or was refused), as a mapping."""

    root: Path
    files: Mapping[str, Path | None]
    refused: Mapping[str, str] = field(default_factory=dict)  # exercise -> why its file is not read
    expected: Mapping[str, str] = field(default_factory=dict)  # exercise -> the file it should have had
    warnings: tuple[str, ...] = ()
    shown: Mapping[str, str] = field(default_factory=dict)  # exercise -> its file as the student named it
    folder: Path | None = None  # the submission folder no link is followed below, for a folder
    _read: Mapping[str, Source] = field(default_factory=dict, repr=False)  # already read, to match by content

    def __getitem__(self, exercise: str) -> Path | None:
        return self.files[exercise]

    def __iter__(self):
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def read(self, exercise: str) -> Source:
        """The source of an exercise's file; raises Unreadable."""
        return self._read.get(exercise) or read(self.files[exercise], self.folder)


@dataclass(frozen=True)
class _Entry:
    rel: str  # as the student sees it: "minibatch.py", "minibatch/minibatch.ipynb"
    path: Path
    mode: int  # from lstat
    size: int
    assignment: str | None = None  # the assignment folder (an exercise id) it lies in

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def notebook(self) -> bool:
        return self.name.lower().endswith(".ipynb")

    def problem(self) -> str | None:
        """Why this entry is not read, or None."""
        if not stat.S_ISREG(self.mode):
            return refusal(self.rel, self.mode)
        cap = MAX_NOTEBOOK if self.notebook else MAX_CODE
        return too_large(self.rel, cap) if self.size > cap else None


def layout(path: Path, ids: Sequence[str], *, exercise: str | None = None,
           stubs: Path = paths.EXERCISES) -> Layout:
    """The file of each exercise in ``ids`` in a submission (a folder, or one file graded as ``exercise``)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise NotASubmission(f"no such file or folder: {path}") from None
    except OSError as exc:
        raise NotASubmission(f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        return _folder(path, path, ids, stubs)
    if stat.S_ISREG(info.st_mode) or _suffix(path.name):
        return _file(_Entry(path.name, path, info.st_mode, info.st_size), ids, exercise, stubs)
    ids = [exercise] if exercise in ids else ids  # a link (or a pipe) standing for a whole submission
    message = refusal(path.name, info.st_mode, "the files themselves")
    return Layout(path, dict.fromkeys(ids), refused=dict.fromkeys(ids, message), shown=dict.fromkeys(ids, path.name))


def _file(entry: _Entry, ids: Sequence[str], exercise: str | None, stubs: Path) -> Layout:
    id = exercise or _named(entry.name)
    warnings, sources = (), {}
    if id is None and entry.problem() is None:
        found, warning, source = _by_content(entry, None, stubs)
        if len(found) == 1:
            id, warnings, sources = found[0], (warning,), {found[0]: source}
    if id not in ids:
        raise NotASubmission(f"{entry.rel}: no exercise called '{exercise or entry.stem}' (see `python -m grader "
                             "list`); name the file after its exercise or pass --exercise")
    problem = entry.problem()
    if problem:
        return Layout(entry.path, {id: None}, refused={id: problem}, shown={id: entry.rel})
    return Layout(entry.path, {id: entry.path}, warnings=warnings, shown={id: entry.rel}, _read=sources)


def _folder(root: Path, here: Path, ids: Sequence[str], stubs: Path) -> Layout:
    """The layout of the folder ``here``: ``root`` itself, or the one folder of files inside it."""
    top, warnings = _list(root, here)
    assignments = {e.name: e for e in top if e.name in specs.IDS and not stat.S_ISREG(e.mode)}
    candidates, refused = [e for e in top if _suffix(e.name)], {}
    for id, entry in assignments.items():
        if stat.S_ISDIR(entry.mode):
            inside, more = _list(root, entry.path, assignment=id)
            candidates += [e for e in inside if _suffix(e.name)]
            warnings += more
        else:
            refused[id] = refusal(f"{entry.rel}/", entry.mode, "the folder itself")
    inner = _inner(top)
    if len(inner) == 1 and here == root:
        wrapped = _folder(root, inner[0].path, ids, stubs)
        note = f"graded the files in {inner[0].rel}/, the one folder in {root.name}"
        return replace(wrapped, warnings=(note, *wrapped.warnings))
    if len(inner) > 1:
        warnings.append(f"{root.name} holds {len(inner)} student folders ({_names([e.rel for e in inner])}), "
                        "not one submission: grade them as a class with --out DIR")

    chosen, sources = _choose(candidates, ids, root, stubs, warnings)
    files = {}
    for id in ids:
        problem = chosen[id].problem() if id in chosen else refused.get(id)
        files[id] = chosen[id].path if id in chosen and not problem else None
        if problem:
            refused[id] = problem
    style = "{0}/{0}.ipynb" if assignments else "{0}.ipynb" if any(e.notebook for e in candidates) else "{0}.py"
    expected = {id: style.format(id) for id in ids if files[id] is None and id not in refused}
    others = [e.rel for e in top if stat.S_ISREG(e.mode) and not _suffix(e.name)]
    if expected and others:  # "minibatch.py.txt", "minibatch": say why it did not count
        warnings.append(f"{_names(others)} not graded: only .py and .ipynb files are")
    return Layout(root, files, {id: refused[id] for id in ids if id in refused}, expected, tuple(warnings),
                  {id: entry.rel for id, entry in chosen.items() if id in files}, root,
                  {id: source for id, source in sources.items() if files.get(id)})


def _choose(candidates: list[_Entry], ids: Sequence[str], root: Path, stubs: Path, warnings: list[str]
            ) -> tuple[dict[str, _Entry], dict[str, Source]]:
    """The file of each exercise among a folder's candidates: by name (or assignment folder), else by what it
    defines; every file not chosen is named in ``warnings``. Also the sources read to match by content."""
    named, unnamed = {}, []
    for entry in candidates:
        id = entry.assignment or _named(entry.name)
        if id:
            named.setdefault(id, []).append(entry)
        else:
            unnamed.append(entry)
    chosen = {}
    for id, entries in named.items():
        entries.sort(key=lambda e: (e.problem() is not None, e.stem != id, e.assignment is not None, e.notebook, e.rel))
        chosen[id] = entries[0]
        if len(entries) > 1:
            warnings.append(f"{_names([e.rel for e in entries[1:]])} not graded: {id} is graded from {entries[0].rel}")
    by_content = {}
    for entry in unnamed:
        found, warning, source = _by_content(entry, root, stubs)
        if len(found) != 1:
            warnings.append(warning)
        elif found[0] in ids:
            by_content.setdefault(found[0], []).append((entry, warning, source))
    sources = {}
    for id, matches in by_content.items():
        rels = [entry.rel for entry, _, _ in matches]
        if id in chosen:
            warnings.append(f"{_names(rels)} not graded: by what it defines it is {id}, which is graded from "
                            f"{chosen[id].rel}")
        elif len(matches) > 1:
            warnings.append(f"{_names(rels)} all look like {id} by what they define, so none was graded: "
                            f"keep one, named {id}.py or {id}.ipynb")
        else:
            entry, warning, source = matches[0]
            chosen[id], sources[id] = entry, source
            warnings.append(warning)
    return chosen, sources


def _by_content(entry: _Entry, root: Path | None, stubs: Path) -> tuple[list[str], str, Source | None]:
    """The exercises a file not named after one could be, by what it defines (just one when that is
    unambiguous); a warning that says what was concluded; the source read."""
    problem = entry.problem()
    if problem:
        return [], f"{problem}; it was not graded", None
    try:
        source = read(entry.path, root)
    except Unreadable as exc:
        return [], f"{exc}; it matches no exercise by its name, so it was not graded", None
    defined = {name for chunk in source.chunks for name in chunk.defines}
    scores = {id: len(defined & names) for id, names in _distinct(stubs).items()}
    best = max(scores.values(), default=0)
    found = [id for id, score in scores.items() if score == best] if best else []
    if len(found) == 1:
        return found, (f"{entry.rel} was graded as {found[0]}, by the functions it defines "
                       f"(name it {found[0]}{Path(entry.name).suffix.lower()})"), source
    if found:
        return found, (f"{entry.rel} was not graded: by what it defines it could be {' or '.join(found)}; "
                       "name it after its exercise"), None
    return [], (f"{entry.rel} was not graded: it matches no exercise by its name or by what it defines "
                f"(name it after its exercise, e.g. {specs.IDS[0]}.py)"), None


@functools.lru_cache(maxsize=4)
def _distinct(stubs: Path) -> dict[str, frozenset[str]]:
    """Of each exercise, the names its stub defines (its graded functions included) that no other stub does."""
    names = {}
    for id in specs.IDS:
        try:
            found = set(read(stubs / f"{id}.py").chunks[0].defines)
        except Unreadable:
            found = set()
        names[id] = found | set(specs.exercise(id).targets)
    return {id: frozenset(own.difference(*(n for other, n in names.items() if other != id)))
            for id, own in names.items()}


def student_folders(path: Path) -> list[str]:
    """The student folders of ``path`` when it is a class folder rather than a submission; [] otherwise."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return []
    except OSError:
        return []
    inner = _inner(_list(path, path)[0])
    return [e.name for e in inner] if len(inner) > 1 else []



def refuse_class(path: Path) -> None:
    """Raise a GraderError when ``path``, given as one submission, is a folder of student folders."""
    found = student_folders(path)
    if found:
        raise GraderError(f"{path} holds {len(found)} student folders ({', '.join(found[:3])}"
                          f"{', ...' if len(found) > 3 else ''}): grade them with --out DIR")

def _inner(top: list[_Entry]) -> list[_Entry]:
    """The folders among a folder's entries ``top`` when it holds no exercise file of its own and some of them
    do: a class's student folders, or the one folder of an archive's wrapper."""
    if any(_suffix(e.name) or e.name in specs.IDS for e in top):
        return []
    folders = [e for e in top if stat.S_ISDIR(e.mode)]
    return folders if any(_holds_files(e.path) for e in folders) else []


def students(folder: Path, *, out: Path | None = None, single_files: bool = False) -> dict[str, Path]:
    """Student name -> their folder (or file), for every entry of a class folder.

    A name is the entry's name (a file's without its suffix), cleaned for terminals and
    file names; two entries that would get one name (``ada/`` and ``ada.py``) both stay,
    the file under its full name. A link, or a pipe, standing for a student is kept, to be
    refused when graded. Raises NotASubmission for what cannot be a class folder.
    """
    if not folder.is_dir():
        raise NotASubmission(f"{folder} is not a folder of submissions")
    skip = _identity(out)
    entries = []
    with os.scandir(folder) as listing:
        for entry in listing:
            try:
                if not entry.name.startswith((".", "_")):
                    entries.append((entry, entry.stat(follow_symlinks=False)))
            except OSError:
                continue
    found, taken = {}, set()
    for entry, info in sorted(entries, key=lambda e: (_suffix(e[0].name), e[0].name.lower(), e[0].name)):
        if stat.S_ISDIR(info.st_mode) and (info.st_dev, info.st_ino) == skip:
            continue
        if _suffix(entry.name):
            if not single_files:
                raise NotASubmission(f"{text.clean(entry.name)}: a class folder of single files needs --exercise")
            name = Path(entry.name).stem
        elif stat.S_ISREG(info.st_mode):
            continue  # notes.txt, grades.csv: not a submission
        else:
            name = entry.name
        found[_unique((name, entry.name), taken)] = Path(entry.path)
    if not found:
        raise NotASubmission(f"no submissions in {folder}: expected one folder (or file) per student")
    return found


def _unique(names: tuple[str, ...], taken: set[str]) -> str:
    """The first of ``names`` (cleaned) not taken yet, ignoring case (as some file systems do), else one numbered."""
    cleaned = [text.clean(n, one_line=True).strip().lstrip(".")[:200] or "student" for n in names]
    numbered = (f"{cleaned[-1]}~{number}" for number in itertools.count(2))
    name = next(n for n in itertools.chain(cleaned, numbered) if n.lower() not in taken)
    taken.add(name.lower())
    return name


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        info = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if info else None


def _list(root: Path, here: Path, assignment: str | None = None) -> tuple[list[_Entry], list[str]]:
    """The entries of the folder ``here`` as lstat sees them, hidden ones left out, at most MAX_ENTRIES."""
    rel = here.relative_to(root).as_posix() if here != root else root.name
    try:
        with os.scandir(here) as listing:
            found = list(itertools.islice((e for e in listing if not e.name.startswith(".")), MAX_ENTRIES + 1))
    except OSError as exc:
        return [], [f"cannot read {rel}: {exc.strerror}"]
    warnings = [f"{rel} holds more than {MAX_ENTRIES} entries: only {MAX_ENTRIES} were looked at"] \
        if len(found) > MAX_ENTRIES else []
    entries = []
    for entry in sorted(found[:MAX_ENTRIES], key=lambda e: e.name):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        path = Path(entry.path)
        entries.append(_Entry(path.relative_to(root).as_posix(), path, info.st_mode, info.st_size, assignment))
    return entries, warnings


def _holds_files(folder: Path) -> bool:
    """Whether a folder holds an exercise file, or an assignment folder (by its names only)."""
    try:
        with os.scandir(folder) as listing:
            return any(_suffix(e.name) or e.name in specs.IDS for e in itertools.islice(listing, MAX_ENTRIES)
                       if not e.name.startswith("."))
    except OSError:
        return False


def _named(name: str) -> str | None:
    """The exercise a file is named after, if any: ``minibatch.py``, ``Minibatch.ipynb``."""
    stem = Path(name).stem.lower()
    return stem if stem in specs.IDS else None


def _suffix(name: str) -> bool:
    return Path(name).suffix.lower() in SUFFIXES


def _names(names: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
