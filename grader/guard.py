"""Detecting and undoing changes to the grader's own files while student code runs.

Where children cannot be isolated (the grader is not root), a submission could write
into reference/ or grader/. The grading never reads them again (the reference's
results and sources were taken before any student code ran), but the next run would.
``Guard`` keeps a copy of those files, says which changed, and puts them back.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path


class Guard:
    def __init__(self, *roots: Path):
        self.roots = [root for root in roots if root.is_dir()]
        self.files = dict(self._read())

    def _read(self):
        for root in self.roots:
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    yield path, path.read_bytes()

    def changed(self) -> list[str]:
        """The files that differ from the copy, were added, or are gone."""
        now = dict(self._read())
        return sorted(str(path) for path in set(now) | set(self.files) if now.get(path) != self.files.get(path))

    def restore(self) -> None:
        """Put every file back as it was, and remove any file added since."""
        for path in self.changed():
            path = Path(path)
            if path in self.files:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.files[path])
            else:
                path.unlink(missing_ok=True)


class SharedLock:
    """Many holders at once, or one alone: grading in parallel, or one submission by itself."""

    def __init__(self):
        self._condition = threading.Condition()
        self._shared = 0
        self._alone = False

    @contextmanager
    def shared(self):
        with self._condition:
            self._condition.wait_for(lambda: not self._alone)
            self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                self._shared -= 1
                self._condition.notify_all()

    @contextmanager
    def alone(self):
        with self._condition:
            self._condition.wait_for(lambda: not self._alone)
            self._alone = True
            self._condition.wait_for(lambda: self._shared == 0)
        try:
            yield
        finally:
            with self._condition:
                self._alone = False
                self._condition.notify_all()
