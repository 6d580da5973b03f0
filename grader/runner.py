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

PRELOAD = ["grader.warmup", "grader.worker", *specs.MODULES]  # imported once, before any fork
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
    """Everything the children running one exercise of a submission gave back."""

    replies: dict[int, Reply] = field(default_factory=dict)
    sandbox: dict = field(default_factory=dict)
    output: str = ""


class _Stop(Exception):
    """The child stopped answering; ``error`` is what the current item gets, and ``scope`` which
    other items too: none, the rest of its exercise ("exercise"), or everything left ("all")."""

    def __init__(self, error: dict, scope: str = ""):
        self.error, self.scope = error, scope


def _error(kind: str, message: str) -> dict:
    return {"kind": kind, "message": message}


class Runner:
    """Runs exercise items of one submission in sandboxed children; thread-safe."""

    def __init__(self, limits: Limits = Limits(), *, isolate: bool = True):
        self.limits = limits
        self.isolate = isolate  # as root: a user of its own, no network, the project read-only
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

    def run(self, tasks: list[worker.Task], *, hidden: dict, deadline: float | None = None) -> dict[str, Run]:
        """Run one submission's tasks (one per exercise) in a child; every item of every task gets a Reply.

        A task's ``reference`` is the reference's source, for checks that swap in its helpers. When a
        child stops answering, the items left run in a fresh one.
        """
        runs = {task.exercise: Run() for task in tasks}
        pending = [(task.exercise, i) for task in tasks for i in task.items]
        deadline = deadline or time.monotonic() + self.limits.seconds_per_submission
        while pending:
            left: dict[str, list[int]] = {}
            for exercise, i in pending:
                left.setdefault(exercise, []).append(i)
            job = worker.Job(tuple(replace(task, items=tuple(left[task.exercise])) for task in tasks
                                   if task.exercise in left), hidden, self.limits)
            self._child(runs, job, pending, deadline)
        return runs

    def _child(self, runs: dict[str, Run], job: worker.Job, pending: list, deadline: float) -> None:
        slot = self._take_slot()
        uid = sandbox.child_uid(slot) if self.isolate else None
        workdir = tempfile.mkdtemp(prefix="gdgrader-")
        if uid is not None:
            os.chown(workdir, uid, uid)
        job = replace(job, workdir=workdir, uid=uid)
        server, pid, receive = None, None, None
        try:
            server = self._fork_server()
            pid, receive = server.start(job, START_SECONDS)
            self._exchange(runs, job, (server, pid), receive, pending, deadline)
        except ServerGone as exc:
            _fail(runs, pending, _error("crash", f"the grader could not start a process for the code: {exc}"))
        finally:
            sandbox.end(pid, uid)
            if receive is not None:
                receive.close()
            if pid is not None:
                server.wait(pid, 2)  # reaped: nothing of this child is left running
                server.forget(pid)
            for task in job.tasks:
                runs[task.exercise].output += _read_output(os.path.join(workdir, f"{task.exercise}.txt"))
            shutil.rmtree(workdir, ignore_errors=True)
            self._give_slot(slot)

    def _exchange(self, runs, job, process, receive, pending, deadline) -> None:
        numbers = {task.exercise: n for n, task in enumerate(job.tasks)}
        try:
            hello = self._receive(process, receive, START_SECONDS, deadline, phase="start")
            protections = {k: str(v) for k, v in hello.get("sandbox", {}).items()} if "sandbox" in hello else {}
            for task in job.tasks:
                runs[task.exercise].sandbox = protections
            while pending:
                exercise, index = pending[0]
                tag = {"task": numbers[exercise], "item": index}
                message = self._receive(process, receive, self.limits.seconds_per_check, deadline, phase="load")
                if message == {**tag, "loaded": True}:
                    message = self._receive(process, receive, self.limits.seconds_per_check, deadline, phase="call")
                reply = _validate(message, tag)
                if reply is None:  # out of step: this child can no longer be believed
                    raise _Stop(_error("protocol", "the process running the code sent a malformed result"))
                runs[exercise].replies[index] = reply
                pending.pop(0)
                if reply.error and message.get("fatal"):
                    _fail(runs, pending, reply.error, exercise)
        except _Stop as stop:
            exercise, index = pending.pop(0)
            runs[exercise].replies[index] = Reply(error=stop.error)
            if stop.scope:
                _fail(runs, pending, stop.error, None if stop.scope == "all" else exercise)

    def _receive(self, process, receive, seconds: float, deadline: float, phase: str) -> dict:
        left = deadline - time.monotonic()
        wait = min(seconds, max(left, 0.0))
        if not receive.poll(wait):
            if left <= seconds:
                raise _Stop(_error("limit", f"time limit per submission ({self.limits.seconds_per_submission:g} s) hit"),
                            "all")
            if phase == "load":
                raise _Stop(_error("limit", f"the file's top-level code ran past the time limit "
                                            f"({self.limits.seconds_per_check:g} s)"), "exercise")
            raise _Stop(_error("limit", f"time limit per check ({self.limits.seconds_per_check:g} s) hit"))
        try:
            raw = receive.recv_bytes(MAX_MESSAGE)
        except EOFError:
            raise _Stop(_ended(process), "" if phase == "call" else "exercise") from None
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


def _fail(runs: dict[str, Run], pending: list, error: dict, exercise: str | None = None) -> None:
    """Give ``error`` to the items left of ``exercise`` (of every exercise when None)."""
    for entry in [e for e in pending if exercise in (None, e[0])]:
        pending.remove(entry)
        runs[entry[0]].replies[entry[1]] = Reply(error=error)


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


def _validate(message: dict, tag: dict) -> Reply | None:
    """The reply for the item ``tag`` names if the message is well formed, else None."""
    if message.get("task") != tag["task"] or message.get("item") != tag["item"]:
        return None
    error = message.get("error")
    if error is not None:
        if not isinstance(error, dict) or not all(isinstance(v, str) for v in error.values()):
            return None
        return Reply(error={k: v[:2000] for k, v in error.items()})
    outputs, problems = message.get("outputs"), message.get("problems")
    if not isinstance(outputs, dict) or not isinstance(problems, dict):
        return None
    if not all(isinstance(v, str) for v in problems.values()):
        return None
    return Reply(outputs=outputs, problems={k: v[:500] for k, v in problems.items()})


def _read_output(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(OUTPUT_SHOWN + 1)
    except OSError:
        return ""
    text = data[:OUTPUT_SHOWN].decode("utf-8", "replace")
    return text + ("\n[output cut]" if len(data) > OUTPUT_SHOWN else "")
