"""Grading a class on a Dask cluster: the same class run, with the students spread over its workers.

The workers need no shared file system. The course (exercises/, reference/, hidden/,
mistakes/) goes to each worker once, in a worker plugin, which builds one Grader per
worker process (its fork server and the reference's results) on the first student and
reuses it; each task carries one submission's bytes and returns its report as plain
data, which the client writes. Student code runs on a worker exactly as in a local run: in the
Grader's sandboxed children. A worker that dies mid-submission (killed, out of memory)
has its task retried on another; a submission whose tries all end in a dead worker is a
grader error for that student, and the rest of the class goes on.

Needs the ``dask`` extra (``distributed``); nothing else in the package imports this module.
"""
from __future__ import annotations

import io
import shutil
import tarfile
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from . import paths, specs
from .batch import Graded, graded
from .grade import Grader, GraderError
from .sandbox import Limits
from .intake import Layout
from .sources import MAX_NOTEBOOK, Unreadable, read_bytes

try:
    import dask
    from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin, as_completed, get_worker
except ImportError:
    raise GraderError("grading on a Dask cluster needs the dask extra: pip install 'gdgrader[dask]'") from None

PLUGIN = "gdgrader-course"
COURSE = ("exercises", "reference", "hidden", "mistakes")
TRIES = 4  # a submission whose worker died this many times is a grader error (allowed-failures + 1)
START_SECONDS = 60  # for the scheduler to answer, or a local cluster's workers to come up


class Dask:
    """Grades students on a Dask cluster: ``address`` is a scheduler's (``tcp://host:8786``), ``local:N`` for
    a ``LocalCluster`` of N worker processes on this machine, or a ``Client`` already connected (to a Dask
    Gateway, Kubernetes or Slurm cluster), which stays open. Use it as a context manager."""

    def __init__(self, address: str | Client, *, hidden: bool = True, limits: Limits = Limits(),
                 exercises: tuple[str, ...] | None = None, course: paths.Course = paths.DEFAULT, unsafe: bool = False):
        self.hidden, self.course = hidden, course
        self.exercises = tuple(specs.exercise(id) for id in (exercises or specs.IDS))
        self.cluster, self.client, self.owned = None, None, not isinstance(address, Client)
        try:
            if not self.owned:
                self.client = address
            elif address.startswith("local:"):
                self.cluster = _local_cluster(address)
                self.client = Client(self.cluster, timeout=START_SECONDS)
            else:
                self.client = Client(address, timeout=START_SECONDS)
            self.client.register_plugin(CoursePlugin(course, hidden=hidden, limits=limits, unsafe=unsafe,
                                                     exercises=tuple(ex.id for ex in self.exercises)), name=PLUGIN)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise GraderError(f"could not reach the Dask scheduler at {address}: {exc}") from None

    def __enter__(self) -> Dask:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None and self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def files(self, path: Path, exercise: str | None = None) -> dict[str, Path | None]:
        """The files a Grader with these exercises reads of a submission (its own rule, without starting one)."""
        return Grader.files(self, path, exercise)

    def grade(self, todo: dict[str, Path], exercise: str | None) -> Iterator[Graded]:
        """Submit the students a few at a time (so that the client holds few submissions' bytes), yield each
        outcome as it comes."""
        students, inflight = iter(todo.items()), {}  # future's key -> (student, future)
        running, room = as_completed(), Room(self.client)

        def refill() -> None:
            want = room.tasks()
            for name, path in students:
                future = self.client.submit(grade_on_worker, name, str(path), *_payload(self.files(path, exercise)),
                                            path.is_file(), exercise, key=f"grade-{name}-{uuid.uuid4().hex}",
                                            pure=False)
                inflight[future.key] = name, future
                running.add(future)
                if running.count() >= want:
                    return

        refill()
        finished = False
        try:
            for future in running:
                name, _ = inflight.pop(future.key)
                try:
                    outcome = future.result()  # held by its worker: if that worker dies now, computed again
                except Exception as error:
                    outcome = Graded(name, error=_why(error))
                future.release()
                yield outcome
                refill()
            finished = True
        finally:
            if not finished:
                self.client.cancel([future for _, future in inflight.values()])


class Room:
    """How many tasks to keep submitted: two per worker thread, as the cluster grows or shrinks (asked of the
    scheduler every few seconds, not for every student)."""

    def __init__(self, client: Client, every: float = 5.0):
        self.client, self.every, self.next, self.count = client, every, 0.0, 4

    def tasks(self) -> int:
        if time.monotonic() >= self.next:
            self.count = max(4, 2 * sum(self.client.nthreads().values()))
            self.next = time.monotonic() + self.every
        return self.count


def _local_cluster(address: str) -> LocalCluster:
    try:
        workers = int(address.removeprefix("local:"))
        assert workers >= 1
    except (ValueError, AssertionError):
        raise GraderError(f"--dask {address}: local:N takes a number of worker processes, at least 1") from None
    # One task at a time per worker thread: a worker that dies takes down only the submission it was grading.
    with dask.config.set({"distributed.scheduler.allowed-failures": TRIES - 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _payload(files: Layout) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """The submission's files by name, read as intake reads them (no link followed, nothing but regular files,
    at most what the grader takes); and the files refused here, exercise -> (file as handed in, why), which the
    worker's grader reports as this machine's would."""
    found, refused = {}, {id: (files.shown.get(id, ""), why) for id, why in files.refused.items()}
    for id, file in files.items():
        if file is not None:
            try:
                found[file.name] = read_bytes(file, files.folder, MAX_NOTEBOOK + 1)
            except Unreadable as exc:
                refused[id] = (files.shown.get(id, file.name), str(exc))
    return found, refused


def _why(error: Exception) -> str:
    if isinstance(error, KilledWorker):
        return (f"every worker that graded it died ({error.allowed_failures + 1} tries; killed, or out of "
                "memory): this submission takes its grader down")
    return f"{type(error).__name__}: {error}"


def grade_on_worker(name: str, submission: str, files: dict[str, bytes], refused: dict[str, tuple[str, str]],
                    single: bool, exercise: str | None) -> Graded:
    """A task: grade one submission, sent as bytes, with this worker's Grader; the report reads as if graded
    where it was handed in."""
    grader = get_worker().plugins[PLUGIN].grader()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gdgrader-submission-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        for filename, data in files.items():
            (folder / filename).write_bytes(data)
        if single and not files:  # one file, refused: an empty stand-in under its name, for the refusal to replace
            files = {Path(shown).name: b"" for shown, _ in refused.values()}
            (folder / next(iter(files))).touch()
        path = folder / next(iter(files)) if single else folder
        report = grader.grade(path, exercise=exercise, refused=refused)
    return graded(name, replace(report, submission=submission), time.monotonic() - start)


class CoursePlugin(WorkerPlugin):
    """The course, shipped to each worker once; one Grader per worker process, built on first use."""

    def __init__(self, course: paths.Course, *, hidden: bool, limits: Limits, exercises: tuple[str, ...],
                 unsafe: bool = False):
        self.archive = _pack(course.root)
        self.settings = dict(hidden=hidden, limits=limits, exercises=exercises, unsafe=unsafe)

    def setup(self, worker) -> None:
        # In the worker's own folder, which Dask removes after a worker that was killed before it could (and
        # which, like all of this machine but Python and the grader, children do not see).
        self.folder = Path(tempfile.mkdtemp(prefix="gdgrader-course-", dir=worker.local_directory))
        with tarfile.open(fileobj=io.BytesIO(self.archive)) as tar:
            tar.extractall(self.folder, filter="data")
        self._grader: Grader | None = None
        self._lock = threading.Lock()

    def grader(self) -> Grader:
        with self._lock:
            if self._grader is None:
                self._grader = Grader(course=paths.Course(self.folder), **self.settings)
            return self._grader

    def teardown(self, worker) -> None:
        if self._grader is not None:  # its fork server goes in the background (or with this process)
            threading.Thread(target=self._grader.runner.close, daemon=True).start()
            self._grader = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _pack(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in COURSE:
            if (root / name).is_dir():
                tar.add(root / name, arcname=name, filter=_no_caches)
    return buffer.getvalue()


def _no_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name.split("/") else info
