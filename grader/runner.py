"""The grading process's side of running code: sandboxed children and their replies.

Children are forked from a fork server that has torch, NumPy and matplotlib loaded,
so each costs milliseconds instead of the seconds an import of torch takes. The
grading process sends a child plain values, reads back JSON with a size cap,
validates it, and enforces the wall-clock limits: per check and per submission.
A child that hangs, crashes or sends nonsense costs the items it stopped, and the
remaining items run in a fresh child.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace

from . import paths, sandbox, specs, worker
from .forkserver import ForkServer, ServerGone
from .sandbox import Limits

PRELOAD = [
    "grader.warmup", "grader.worker", *specs.MODULES,
    # The standard library a student might reach for: a child that dropped to a user of its
    # own may not be able to read the interpreter's files, so these come preloaded.
    "math", "cmath", "random", "statistics", "fractions", "decimal", "secrets", "itertools", "functools",
    "collections", "copy", "typing", "dataclasses", "time", "datetime", "json", "csv", "string", "re",
    "operator", "pprint", "warnings", "textwrap", "enum", "abc", "contextlib", "heapq", "bisect",
]
MAX_MESSAGE = 32 * 1024 * 1024
START_SECONDS = 60.0  # for the fork server to come up and the child to enter its sandbox
OUTPUT_SHOWN = 4000


@dataclass(frozen=True)
class Reply:
    """What came back for one item, validated: outputs as plain data, or an error."""

    outputs: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    error: dict | None = None


@dataclass
class Run:
    """Everything one child run of one submission's exercise gave back."""

    replies: dict[int, Reply] = field(default_factory=dict)
    sandbox: dict = field(default_factory=dict)
    output: str = ""


class _Stop(Exception):
    """The child stopped answering; ``error`` is what the current item gets."""

    def __init__(self, error: dict, fatal: bool = False):
        self.error, self.fatal = error, fatal


def _error(kind: str, message: str) -> dict:
    return {"kind": kind, "message": message}


class Runner:
    """Runs exercise items of one submission in sandboxed children; thread-safe."""

    def __init__(self, limits: Limits = Limits()):
        self.limits = limits
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._free: list[int] = []
        self._slots = 0
        sandbox.undumpable()

    def _fork_server(self) -> ForkServer:
        """The fork server, started on first use and again if it has stopped."""
        with self._lock:
            if self._server is None or not self._server.alive:
                env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
                    filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")])))
                self._server = ForkServer(PRELOAD, env)
            return self._server

    def close(self) -> None:
        """Stop the fork server (it also stops on its own when this process ends)."""
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None

    def run(self, exercise: str, source: str, filename: str, items: tuple[int, ...], *, hidden: bool = True,
            reference: str | None = None, deadline: float | None = None) -> Run:
        """Run ``items`` of ``exercise`` on ``source``; every item gets a Reply.

        ``reference`` is the reference's source, for checks that swap in its helpers.
        """
        run, pending = Run(), list(items)
        deadline = deadline or time.monotonic() + self.limits.seconds_per_submission
        while pending:
            job = worker.Job(exercise, source, filename, tuple(pending), hidden, reference, self.limits)
            self._child(run, job, pending, deadline)
        return run

    def _child(self, run: Run, job: worker.Job, pending: list, deadline: float) -> None:
        slot = self._take_slot()
        uid = sandbox.child_uid(slot)
        workdir = tempfile.mkdtemp(prefix="gdgrader-")
        if uid is not None:
            os.chown(workdir, uid, uid)
        job = replace(job, workdir=workdir, uid=uid)
        server, pid, receive = None, None, None
        try:
            server = self._fork_server()
            pid, receive = server.start(job, START_SECONDS)
            self._exchange(run, (server, pid), receive, pending, deadline)
        except ServerGone as exc:
            _fail_all(run, pending, _error("crash", f"the grader could not start a process for the code: {exc}"))
        finally:
            sandbox.end(pid, uid)
            if receive is not None:
                receive.close()
            if pid is not None:
                server.forget(pid)
            run.output += _read_output(workdir)
            shutil.rmtree(workdir, ignore_errors=True)
            self._give_slot(slot)

    def _exchange(self, run, process, receive, pending, deadline) -> None:
        try:
            hello = self._receive(process, receive, START_SECONDS, deadline, phase="start")
            run.sandbox = {k: str(v) for k, v in hello.get("sandbox", {}).items()} if isinstance(hello, dict) else {}
            while pending:
                index = pending[0]
                message = self._receive(process, receive, self.limits.seconds_per_check, deadline, phase="load")
                if _is_progress(message, index):
                    message = self._receive(process, receive, self.limits.seconds_per_check, deadline, phase="call")
                run.replies[index] = _validate(message, index)
                pending.pop(0)
                if run.replies[index].error and message.get("fatal"):
                    _fail_all(run, pending, run.replies[index].error)
        except _Stop as stop:
            if stop.fatal:
                _fail_all(run, pending, stop.error)
            else:
                run.replies[pending.pop(0)] = Reply(error=stop.error)

    def _receive(self, process, receive, seconds: float, deadline: float, phase: str) -> dict:
        left = deadline - time.monotonic()
        wait = min(seconds, max(left, 0.0))
        if not receive.poll(wait):
            if left <= seconds:
                raise _Stop(_error("limit", f"time limit per submission ({self.limits.seconds_per_submission:g} s) hit"),
                            fatal=True)
            if phase == "load":
                raise _Stop(_error("limit", f"the file's top-level code ran past the time limit "
                                            f"({self.limits.seconds_per_check:g} s)"), fatal=True)
            raise _Stop(_error("limit", f"time limit per check ({self.limits.seconds_per_check:g} s) hit"))
        try:
            raw = receive.recv_bytes(MAX_MESSAGE)
        except EOFError:
            raise _Stop(_ended(process), fatal=phase != "call") from None
        except OSError:
            raise _Stop(_error("limit", f"the result was larger than {MAX_MESSAGE // 2**20} MB")) from None
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise _Stop(_error("protocol", "the process running the code sent something unreadable"))
        return message

    def _take_slot(self) -> int:
        with self._lock:
            if self._free:
                return self._free.pop()
            self._slots += 1
            return self._slots - 1

    def _give_slot(self, slot: int) -> None:
        with self._lock:
            self._free.append(slot)


def _is_progress(message: dict, index: int) -> bool:
    return message.get("item") == index and message.get("loaded") is True and len(message) == 2


def _fail_all(run: Run, pending: list, error: dict) -> None:
    while pending:
        run.replies[pending.pop(0)] = Reply(error=error)


def _ended(process) -> dict:
    server, pid = process
    status = server.wait(pid, 2)
    if status is None or os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name if status is not None else "a signal"
        causes = {"SIGXCPU": "the CPU time limit", "SIGKILL": "a limit (memory?)", "SIGSEGV": "a crash"}
        return _error("crash", f"the process running the code was ended by {name} "
                               f"({causes.get(name, 'a signal')})")
    code = os.waitstatus_to_exitcode(status)
    return _error("exit", f"the process running the code exited (status {code}) before returning a result: "
                          "a function must return, not exit")


def _validate(message: dict, index: int) -> Reply:
    """Check the shape of a child's reply; anything unexpected becomes a protocol error."""
    bad = Reply(error=_error("protocol", "the process running the code sent a malformed result"))
    if message.get("item") != index:
        return bad
    error = message.get("error")
    if error is not None:
        if not isinstance(error, dict) or not all(isinstance(v, str) for v in error.values()):
            return bad
        return Reply(error={k: v[:2000] for k, v in error.items()})
    outputs, problems = message.get("outputs"), message.get("problems")
    if not isinstance(outputs, dict) or not isinstance(problems, dict):
        return bad
    if not all(isinstance(v, str) for v in problems.values()):
        return bad
    return Reply(outputs=outputs, problems={k: v[:500] for k, v in problems.items()})


def _read_output(workdir: str) -> str:
    try:
        with open(os.path.join(workdir, sandbox.OUTPUT), "rb") as f:
            data = f.read(OUTPUT_SHOWN + 1)
    except OSError:
        return ""
    text = data[:OUTPUT_SHOWN].decode("utf-8", "replace")
    return text + ("\n[output cut]" if len(data) > OUTPUT_SHOWN else "")
