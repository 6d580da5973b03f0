"""The reference's results kept on disk: computing them takes seconds, reading them milliseconds.

One file per exercise holds the reference's outputs on every case, public and hidden,
under a key that hashes everything they depend on: the grader's own code (its checks,
builders, probes and the child that runs them), the exercise's reference solution and
hidden cases, and the versions of Python, torch and NumPy. A file whose key differs,
or that does not read back whole, is computed again and rewritten atomically; it is
never trusted. The folder is ``$GDGRADER_CACHE``, else ``$XDG_CACHE_HOME/gdgrader``,
else ``~/.cache/gdgrader``; where none can be written, nothing is kept.

The outputs of known mistakes (see reruns.py) are kept the same way, in a file of their
own per exercise (``kind="mistakes"``), under a key that also hashes the exercise's
mistakes/ folder; they are added to as failed items need them.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from . import paths


def folder() -> Path:
    named = os.environ.get("GDGRADER_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(named) if named else Path.home() / ".cache"
    return base if os.environ.get("GDGRADER_CACHE") else base / "gdgrader"


def _versions() -> str:
    found = []
    for name in ("torch", "numpy", "matplotlib"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} none")
    return f"python {sys.version} {platform.machine()}; " + "; ".join(found)


def _grader_code() -> bytes:
    digest = hashlib.sha256()
    for path in sorted(paths.PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(paths.PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def key(course: paths.Course, exercise: str, kind: str = "") -> str:
    """The digest of everything the reference's outputs on this exercise depend on (``kind="mistakes"``: its
    known mistakes' outputs, which also depend on its mistakes/ folder)."""
    digest = hashlib.sha256(_grader_code() + _versions().encode())
    files = [course.reference / f"{exercise}.py", course.hidden / f"{exercise}.json"]
    if kind == "mistakes":
        folder_ = course.mistakes / exercise
        files += sorted(folder_.glob("*.py")) if folder_.is_dir() else []
    for path in files:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"\0none"))
    return digest.hexdigest()


def _file(exercise: str, digest: str, kind: str = "") -> Path:
    return folder() / f"{kind + '-' if kind else ''}{exercise}-{digest[:16]}.json"


def load(exercise: str, digest: str, kind: str = "") -> dict | None:
    """Item name -> the reference's outputs (or the mistakes' outputs), if a whole file with this key is there."""
    try:
        data = json.loads(_file(exercise, digest, kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != digest or not isinstance(data.get("items"), dict):
        return None
    body = json.dumps(data["items"], sort_keys=True, allow_nan=True)
    if hashlib.sha256(body.encode()).hexdigest() != data.get("sum"):
        return None
    return data["items"]


def store(exercise: str, digest: str, items: dict, kind: str = "") -> None:
    """Keep ``items`` (item name -> outputs) under this key; nothing happens where the folder cannot be written."""
    body = json.dumps(items, sort_keys=True, allow_nan=True)
    data = {"key": digest, "sum": hashlib.sha256(body.encode()).hexdigest(), "items": items}
    try:
        folder().mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder(), prefix=f".{kind}{exercise}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, allow_nan=True)
            os.replace(tmp, _file(exercise, digest, kind))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in folder().glob(_file(exercise, "*", kind).name):  # what other versions of the course or grader left
            if old != _file(exercise, digest, kind):
                old.unlink(missing_ok=True)
    except OSError:
        pass
