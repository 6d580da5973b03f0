"""The fork template: one process that has torch loaded and forks a child per job.

Importing torch takes about 1.6 s; forking a process that already has it takes a few
milliseconds. The template is trusted and holds nothing secret: it imports the grader's
child side and the libraries, sets up the sandbox's view of the file system once (see
sandbox.py), and then only forks. It never sees a job: the grading process sends it a
request of a few bytes with the pipes of the new child, and the child reads its job
from its own pipe after the fork, so nothing of one child's job (a submission, a hidden
case, a reference definition) can be left in the template's memory for the next child.

For each request the template reports the child's pid with a pidfd (a handle that
cannot be reused for another process), and its wait status when it ends; it exits when
the grading process goes away.
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import traceback

PR_SET_CHILD_SUBREAPER = 36
PACKET = 1 << 16
COMPACT_AFTER = 40  # forks after which the template backs its heap with huge pages (see child.compact)


class ServerGone(Exception):
    """The fork template is not running."""


class ForkServer:
    """The grading process's handle on a fork template; thread-safe."""

    def __init__(self, preload: list[str], env: dict[str, str], *, isolate: bool, allow: list[str],
                 imports: tuple[str, ...] = (), figure: bool = True, private: list[str] = ()):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        setup = json.dumps({"preload": preload, "imports": imports, "isolate": isolate, "allow": allow,
                            "figure": figure, "private": list(private)})
        self._process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from grader.forkserver import serve; serve(int(sys.argv[1]), sys.argv[2])",
             str(theirs.fileno()), setup], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        self._socket = ours
        self._send_lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: dict[int, tuple[int, int]] = {}
        self._exited: dict[int, int] = {}
        self._ignored: set[int] = set()  # children whose end no one waits for
        self._requests = itertools.count(1)
        self._ready: dict | None = None
        self._alive = True
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._alive

    def ready(self, timeout: float) -> dict:
        """What the template could set up: {"user": "root" | "namespace"}, or {"none": why not}."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._ready is not None or not self._alive, timeout):
                raise ServerGone("the fork template did not start in time")
            if self._ready is None:
                raise ServerGone("the fork template stopped while starting (is torch installed?)")
            return self._ready

    def start(self, fds: list[int], timeout: float) -> tuple[int, int]:
        """Fork a child that is handed ``fds`` (its job, reply and output pipes); returns its pid and a pidfd."""
        request = next(self._requests)
        try:
            with self._send_lock:
                socket.send_fds(self._socket, [json.dumps({"id": request}).encode()], fds)
        except OSError:
            raise ServerGone("the fork template stopped") from None
        with self._changed:
            if not self._changed.wait_for(lambda: request in self._started or not self._alive, timeout):
                raise ServerGone("the fork template did not answer")
            if request not in self._started:
                raise ServerGone("the fork template stopped")
            return self._started.pop(request)

    def wait(self, pid: int, timeout: float) -> int | None:
        """The wait status of a child once it has ended, or None."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exited or not self._alive, timeout)
            return self._exited.pop(pid, None)

    def ignore(self, pid: int) -> None:
        """Forget a child: its wait status, when it comes, is dropped."""
        with self._changed:
            if self._exited.pop(pid, None) is None:
                self._ignored.add(pid)

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes our reader and tells the template we are gone
        except OSError:
            pass
        self._socket.close()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _read(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._socket, PACKET, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            record = json.loads(data)
            with self._changed:
                if "ready" in record:
                    self._ready = record["ready"]
                elif "started" in record:
                    self._started[record["started"]] = (record["pid"], fds[0])
                elif "exited" in record:
                    if record["exited"] in self._ignored:
                        self._ignored.discard(record["exited"])
                    else:
                        self._exited[record["exited"]] = record["status"]
                self._changed.notify_all()
        with self._changed:
            self._alive = False
            self._changed.notify_all()


# The template's side.

def serve(fd: int, setup: str) -> None:
    """Preload, set up the sandbox's view, then fork a child per request until the grading process goes."""
    sock = socket.socket(fileno=fd)
    config = json.loads(setup)
    from . import sandbox

    ready: dict = {"none": "not asked for"}
    pid_namespace = None
    if config["isolate"]:
        try:
            ready = sandbox.separate()  # before any import starts a thread
        except sandbox.Unavailable as exc:
            ready = {"none": str(exc)}
        else:
            _become_first_process(sock)
            pid_namespace = sandbox.own_pid_namespace()
    for name in config["preload"]:
        importlib.import_module(name)
    from . import child

    child.warm(tuple(config["imports"]), figure=config["figure"])
    gc.collect()
    gc.freeze()
    if "user" in ready:
        try:
            sandbox.prepare(config["allow"], config["private"])
        except sandbox.Unavailable as exc:
            ready, pid_namespace = {"none": str(exc)}, None
    # Orphans (a child's own children, once it is ended) come here to be reaped, not to init.
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grading process's to handle
    sock.send(json.dumps({"ready": ready}).encode())
    forks = 0
    while True:
        ready_fds, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in ready_fds:
            os.read(wake_read, 4096)
            _reap(sock)
        if sock in ready_fds:
            try:
                data, fds, _, _ = socket.recv_fds(sock, PACKET, 64)
            except OSError:
                return
            if not data:
                return
            request = json.loads(data)["id"]
            if pid_namespace is not None:
                sandbox.next_in_new_pid(pid_namespace)
            pid = os.fork()
            if pid == 0:
                _child(sock, (wake_read, wake_write, *([pid_namespace] if pid_namespace is not None else [])),
                       fds, ready)
            if pid_namespace is not None:
                sandbox.back_in_own_pid(pid_namespace)
            forks += 1
            if forks == COMPACT_AFTER:  # many children to come (a class): make each fork cheaper, on the side
                try:
                    threading.Thread(target=child.compact, daemon=True).start()
                except RuntimeError:
                    pass
            handle = os.pidfd_open(pid)
            for received in fds:
                os.close(received)
            socket.send_fds(sock, [json.dumps({"started": request, "pid": pid}).encode()], [handle])
            os.close(handle)


def _become_first_process(sock: socket.socket) -> None:
    """Fork: the child goes on as the template, the first process of its PID namespace (so every process a job
    starts ends when it does); this process only waits for it and leaves with it."""
    pid = os.fork()
    if pid == 0:
        return
    sock.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _child(sock: socket.socket, close: tuple[int, ...], fds: list[int], ready: dict) -> None:
    """The forked child: drop the template's handles, then run the job that arrives on its own pipe."""
    from . import child

    code = 1
    try:
        sock.close()
        for handle in close:
            os.close(handle)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        child.main(fds, ready)
        code = 0
    except BaseException:
        traceback.print_exc()  # a grader bug: into the captured output, or the grader's stderr
    finally:
        os._exit(code)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock.send(json.dumps({"exited": pid, "status": status}).encode())
