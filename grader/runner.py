"""The grading process's side of running code: children, their replies, their output, their limits.

A ``Runner`` runs a ``Job`` (protocol.py) in a child and returns what came back for each
of its tasks. On Linux children are forks of a fork template (forkserver.py) that has
torch loaded, isolated by sandbox.py; elsewhere each child is a fresh interpreter
(``python -m grader.child``). The grading process writes the job into a pipe only the
child reads, reads replies with caps on their size and depth, captures the code's
output through pipes it holds, and enforces the wall-clock limits per check and per
submission. A child that hangs, crashes, floods or sends nonsense costs the task it
stopped (and, when its top-level code is to blame, the rest of that exercise); the
tasks left run in a fresh child.
"""
from __future__ import annotations

import os
import pickle
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from . import paths, protocol
from .protocol import Failure, Job, Limits, Malformed, Reply

START_SECONDS = 60.0  # for the fork template to come up
OUTPUT_SHOWN = 4000  # characters of a child's output kept for the report, per exercise
MAX_RESULTS = 8 << 20  # bytes of results one submission may send in all
PORTABLE = sys.platform != "linux" or not hasattr(os, "fork")  # macOS and Windows: a fresh interpreter per child


@dataclass
class Run:
    """What came back for the tasks of one job."""

    replies: dict = field(default_factory=dict)  # (exercise, key) -> Reply
    output: dict = field(default_factory=dict)  # exercise -> the first characters its code printed
    sandbox: dict = field(default_factory=dict)  # the protections in force


class Budget:
    """Bytes of results one submission may still send, shared by all its children; thread-safe."""

    def __init__(self, size: int = MAX_RESULTS):
        self.left, self._lock = size, threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            self.left -= size
            return self.left >= 0


class _Stop(Exception):
    """The child stopped answering: ``failure`` goes to the task it was on; ``exercise``: to the rest of that
    exercise's tasks in this child too."""

    def __init__(self, failure: Failure, exercise: bool = False):
        self.failure, self.exercise = failure, exercise


class Runner:
    """Runs jobs in children; thread-safe. ``isolate``: sandbox children where the machine allows it."""

    def __init__(self, limits: Limits = Limits(), *, isolate: bool = True, imports: tuple[str, ...] = (),
                 parallel: int | None = None, figure: bool = True, private: tuple[str, ...] = ()):
        self.limits = limits
        self.isolate = isolate
        self.imports = imports  # modules the template loads besides torch and NumPy (matplotlib for plots)
        self.figure = figure  # whether the template draws a figure once, so that children start warm (many to come)
        self.private = private  # what children must not see even where it lies inside what they may (see sandbox)
        self.parallel = max(1, parallel or os.cpu_count() or 1)
        self._slots = threading.BoundedSemaphore(self.parallel)
        self._lock = threading.Lock()
        self._server = None
        self._users = None
        if not PORTABLE:
            from . import sandbox

            sandbox.undumpable()
            self._users = sandbox.Users()

    # The fork template.

    def _fork_server(self):
        """The fork template, started on first use and again if it has stopped."""
        from .forkserver import ForkServer

        with self._lock:
            if self._server is None or not self._server.alive:
                from . import specs

                env = child_environment()
                preload = ["numpy", *self.imports, "grader.child", *specs.MODULES]
                self._server = ForkServer(preload, env, isolate=self.isolate, allow=allowed(), imports=self.imports,
                                          figure=self.figure, private=list(self.private))
            return self._server

    def start(self) -> None:
        """Start the fork template now, so that it loads while the grading process does other work."""
        if not PORTABLE:
            self._fork_server()

    def isolation(self) -> dict:
        """How children are isolated: {"user": "root" | "namespace"}, or {"none": why not}."""
        if PORTABLE:
            return {"none": f"no isolation is written for {sys.platform}"}
        try:
            return self._fork_server().ready(START_SECONDS)
        except Exception as exc:  # ServerGone
            return {"none": str(exc)}

    def close(self) -> None:
        """Stop the fork template (it also stops on its own when this process ends)."""
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None

    # Running jobs.

    def run_all(self, jobs: list[Job], deadline: float, budget: Budget | None = None) -> list[Run]:
        """Run jobs (of one submission) side by side; every task of every job gets a Reply in its job's Run."""
        budget = budget or Budget()
        if len(jobs) <= 1:
            return [self.run(job, deadline, budget) for job in jobs]
        with ThreadPoolExecutor(min(self.parallel, len(jobs))) as pool:
            return list(pool.map(lambda job: self.run(job, deadline, budget), jobs))

    def run(self, job: Job, deadline: float, budget: Budget | None = None) -> Run:
        """Run one job; when a child stops answering, the tasks left run in a fresh one."""
        run, budget = Run(), budget or Budget()
        left = list(job.tasks)
        while left:
            if time.monotonic() >= deadline:
                stop = _limit(f"time limit per submission ({self.limits.seconds_per_submission:g} s) hit")
                for task in left:
                    run.replies[task.exercise, task.key] = Reply(failure=stop)
                break
            part = replace(job, tasks=tuple(left), limits=self.limits)
            with self._slots:
                self._child(part, left, deadline, run, budget)
        return run

    def _child(self, job: Job, left: list, deadline: float, run: Run, budget: Budget) -> None:
        try:
            process = _Spawned(job) if PORTABLE else self._forked(job)
        except Exception as exc:  # the template is gone, or the machine is out of processes
            failure = Failure("crash", f"the grader could not start a process for the code: {exc}")
            for task in left:
                run.replies[task.exercise, task.key] = Reply(failure=failure)
            left.clear()
            return
        try:
            self._exchange(process, left, deadline, run, budget)
        except _Stop as stop:
            task = left.pop(0)
            run.replies[task.exercise, task.key] = Reply(failure=stop.failure)
            if stop.exercise:
                for other in [t for t in left if t.exercise == task.exercise]:
                    left.remove(other)
                    run.replies[other.exercise, other.key] = Reply(failure=stop.failure)
        finally:
            process.end()
            for exercise, text in process.output.items():
                if text:
                    run.output[exercise] = _cut(run.output.get(exercise, "") + text)

    def _forked(self, job: Job):
        server = self._fork_server()
        ready = server.ready(START_SECONDS)
        if "user" in ready and ready["user"] == "root":
            job = replace(job, uid=self._users.take())
        return _Forked(server, job)

    def _exchange(self, process, left: list, deadline: float, run: Run, budget: Budget) -> None:
        limits = self.limits
        loading = True  # whether the child is on the head task's top-level code (before its "loaded")
        started = time.monotonic()
        hello = False
        while left:
            task = left[0]
            now = time.monotonic()
            check_deadline = started + (START_SECONDS if not hello else limits.seconds_per_check)
            wait = min(check_deadline, deadline) - now
            if wait <= 0:
                process.kill()
                if deadline <= check_deadline:
                    raise _Stop(_limit(f"time limit per submission ({limits.seconds_per_submission:g} s) hit"))
                if not hello:
                    raise _Stop(Failure("crash", "the process running the code did not start in time"))
                if loading:
                    raise _Stop(_limit(f"the file's top-level code ran past the time limit "
                                       f"({limits.seconds_per_check:g} s)"), exercise=True)
                raise _Stop(_limit(f"time limit per check ({limits.seconds_per_check:g} s) hit"))
            try:
                event = process.next(wait)
            except Malformed as exc:
                process.kill()
                raise _Stop(Failure("protocol", f"the process running the code sent {exc}")) from None
            if event is None:
                continue
            kind, value = event
            if kind == "output":
                if process.printed > limits.output_kb * 1024:
                    process.kill()
                    raise _Stop(_limit("output limit hit: the code printed too much"))
                continue
            if kind == "exit":
                raise _Stop(value, exercise=loading)
            if not budget.take(len(value)):
                process.kill()
                raise _Stop(_limit(f"the results were larger than {MAX_RESULTS >> 20} MB in all"))
            try:
                message = protocol.parse(value)
                if "hello" in message and not hello:
                    hello, started = True, time.monotonic()
                    run.sandbox = {protocol.clean(k, 40): protocol.clean(v, 200)
                                   for k, v in dict(message["hello"]).items()}
                elif message.get("loaded") == task.key and loading and hello:
                    loading = False
                elif "output" in message and hello:  # what a child without pipes of ours printed (portable)
                    exercise, text = protocol.clean(message["output"], 100), protocol.clean(message.get("text"))
                    if exercise in process.output:
                        process.output[exercise] = text[:OUTPUT_SHOWN]
                elif message.get("result") == task.key and hello:
                    run.replies[task.exercise, task.key] = protocol.reply(message)
                    left.pop(0)
                    loading, started = True, time.monotonic()
                else:
                    raise Malformed("a result out of step")
            except (Malformed, TypeError, ValueError) as exc:
                process.kill()
                raise _Stop(Failure("protocol", f"the process running the code sent {exc}")) from None


class _Forked:
    """A child forked from the fork template, with its pipes."""

    def __init__(self, server, job: Job):
        self.server, self.output, self.printed = server, {code.exercise: "" for code in job.codes}, 0
        job_read, job_write = os.pipe()
        reply_read, reply_write = os.pipe()
        outputs = [os.pipe() for _ in job.codes]
        theirs = [job_read, reply_write, *(w for _, w in outputs)]
        try:
            self.pid, self.pidfd = server.start(theirs, START_SECONDS)
        except BaseException:
            for fd in [job_write, reply_read, *(r for r, _ in outputs)]:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        self.status = None
        self.selector = selectors.DefaultSelector()
        os.set_blocking(reply_read, False)
        self.selector.register(reply_read, selectors.EVENT_READ, "reply")
        for code, (read, _) in zip(job.codes, outputs):
            os.set_blocking(read, False)
            self.selector.register(read, selectors.EVENT_READ, code.exercise)
        self.selector.register(self.pidfd, selectors.EVENT_READ, "exit")
        self.frames = _Frames()
        self._send(job_write, pickle.dumps(job))

    def _send(self, fd: int, data: bytes) -> None:
        """Write the job, giving up if the child does not read it (it died) in time."""
        os.set_blocking(fd, False)
        view, limit = memoryview(data), time.monotonic() + START_SECONDS
        try:
            with selectors.DefaultSelector() as writable:
                writable.register(fd, selectors.EVENT_WRITE)
                while view and time.monotonic() < limit:
                    if writable.select(1.0):
                        view = view[os.write(fd, view):]
        except OSError:
            pass  # the child is gone: its exit says why
        finally:
            os.close(fd)

    def next(self, timeout: float):
        """The next event: ("message", bytes), ("output", exercise), ("exit", Failure) or None."""
        message = self.frames.pop()
        if message is not None:
            return "message", message
        for key, _ in self.selector.select(timeout):
            if key.data == "exit":
                self._drain()
                message = self.frames.pop()
                if message is not None:
                    return "message", message
                if self.status is None:
                    self.status = self.server.wait(self.pid, 5)
                return "exit", protocol.ended(self.status)
            data = _read(key.fd)
            if data is None:
                continue
            if not data:
                self.selector.unregister(key.fd)
                os.close(key.fd)
            elif key.data == "reply":
                self.frames.feed(data)
                message = self.frames.pop()
                return ("message", message) if message is not None else None
            else:
                self.printed += len(data)
                if len(self.output[key.data]) < OUTPUT_SHOWN:
                    self.output[key.data] += data.decode("utf-8", "replace")
                return "output", key.data
        return None

    def _drain(self) -> None:
        """What the child wrote into its reply pipe before it ended."""
        for key in list(self.selector.get_map().values()):
            if key.data == "reply":
                while (data := _read(key.fd)) and len(self.frames.buffer) <= 2 * protocol.MAX_MESSAGE:
                    self.frames.feed(data)

    def kill(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except OSError:
            pass

    def end(self) -> None:
        """Kill the child (ending its PID namespace, and so everything it started), keep what it printed last,
        close its pipes; the template reaps it."""
        self.kill()
        if self.status is None:
            self.server.ignore(self.pid)
        for key in list(self.selector.get_map().values()):
            if key.data not in ("reply", "exit"):
                while (data := _read(key.fd)) and len(self.output[key.data]) < OUTPUT_SHOWN:
                    self.output[key.data] += data.decode("utf-8", "replace")
            os.close(key.fd)
        self.selector.close()


class _Spawned:
    """A child that is a fresh interpreter of its own (where there is no fork template)."""

    def __init__(self, job: Job):
        self.output, self.printed = {code.exercise: "" for code in job.codes}, 0
        self.process = subprocess.Popen([sys.executable, "-m", "grader.child"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=child_environment())
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._write, args=(pickle.dumps(job),), daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self, data: bytes) -> None:
        try:
            self.process.stdin.write(data)
            self.process.stdin.close()
        except OSError:
            pass

    def _read(self) -> None:
        frames = _Frames()
        try:
            while data := self.process.stdout.read1(1 << 16):
                frames.feed(data)
                while (message := frames.pop()) is not None:
                    self.events.put(("message", message))
        except Malformed as exc:
            self.events.put(("malformed", exc))
            self.process.kill()
        self.events.put(("exit", self.process.wait()))

    def next(self, timeout: float):
        try:
            kind, value = self.events.get(timeout=timeout)
        except queue.Empty:
            return None
        if kind == "malformed":
            raise value
        if kind == "exit":
            return "exit", protocol.ended(_status(value)) if os.name == "posix" else \
                Failure("exit", f"the process running the code exited (status {value}) before returning a result")
        return kind, value

    def kill(self) -> None:
        self.process.kill()

    def end(self) -> None:
        self.process.kill()
        self.process.wait()


def _status(returncode: int) -> int:
    """A Popen return code as a wait status."""
    return -returncode & 0x7F if returncode < 0 else (returncode & 0xFF) << 8


class _Frames:
    """Framed messages from a byte stream, each at most protocol.MAX_MESSAGE long."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def pop(self) -> bytes | None:
        if len(self.buffer) < protocol.HEADER.size:
            return None
        (size,) = protocol.HEADER.unpack_from(self.buffer)
        if size > protocol.MAX_MESSAGE:
            self.buffer.clear()
            raise Malformed(f"a result larger than {protocol.MAX_MESSAGE >> 20} MB")
        if len(self.buffer) < protocol.HEADER.size + size:
            return None
        message = bytes(self.buffer[protocol.HEADER.size:protocol.HEADER.size + size])
        del self.buffer[:protocol.HEADER.size + size]
        return message


def _read(fd: int) -> bytes | None:
    """What a pipe has now: bytes, b"" at its end, or None when there is nothing yet."""
    try:
        return os.read(fd, 1 << 16)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def _limit(message: str) -> Failure:
    return Failure("limit", message)


def _cut(text: str) -> str:
    return text[:OUTPUT_SHOWN] + ("\n[output cut]" if len(text) > OUTPUT_SHOWN else "")


def template(limits: Limits, exercises, *, isolate: bool = True, many: bool = True,
             course: paths.Course = paths.DEFAULT) -> Runner:
    """A runner whose fork template starts loading now what ``exercises`` need, while this process goes on.

    ``many``: many submissions to come (a class), so that warming the template up once for plots is worth it; for
    one (a self-check) a child that plots draws its first figure itself, alongside the other children."""
    imports = tuple(dict.fromkeys(name for ex in exercises for name in ex.imports))
    runner = Runner(limits, isolate=isolate, imports=imports, figure=many, private=private(course))
    runner.start()
    return runner


# What of the grading process's environment the processes that run code get (an allow-list: a token, a password
# or the course's location in the environment stays out): where Python, its libraries and its temporary files
# are, the locale, the thread counts, and the torch switch; Windows' own variables for a portable self-check.
ENVIRONMENT = ("PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",
               "LD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONUTF8", "PYTHONIOENCODING",
               "PYTHONDONTWRITEBYTECODE", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
               "GDGRADER_PLAIN_TORCH")


def child_environment() -> dict[str, str]:
    """The environment of a fork template or a portable child: the allow-listed variables, and the grader."""
    env = {name: os.environ[name] for name in ENVIRONMENT if name in os.environ}
    env.update(MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, [str(paths.PACKAGE.parent),
                                                                         env.get("PYTHONPATH")])))
    return env


def private(course: paths.Course) -> tuple[str, ...]:
    """What of the course and the grader's cache no child may see: solutions, hidden cases, mistakes, the nbgrader
    course, samples, history, cached reference results."""
    from . import cache

    parts = (course.reference, course.hidden, course.mistakes, course.nbgrader, course.root / "samples",
             course.root / ".git", cache.folder())
    return tuple(str(part) for part in parts)


def allowed() -> list[str]:
    """What a sandboxed child may read: the Python installation, its packages, and the grader package."""
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    found = {os.path.realpath(p) for p in prefixes} | {str(paths.PACKAGE)}
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        if real and os.path.isdir(real) and ("site-packages" in real or "dist-packages" in real
                                             or any(real.startswith(os.path.realpath(p) + os.sep) for p in prefixes)):
            found.add(real)
    return sorted(found)
