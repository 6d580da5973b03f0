"""A fork server: one process that has torch loaded and forks a child per job.

Importing torch takes about 1.6 s; forking a process that already has it takes a few
milliseconds. The server never runs student code itself: it receives a job (from the
grading process, which it trusts) with the write end of a pipe, forks, and the child
runs ``worker.main``. It reports each child's pid when started and its wait status
when it ends, as fixed-size records, and exits when the grading process goes away.
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import itertools
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from multiprocessing.connection import Connection

STARTED, EXITED = 1, 2
PR_SET_CHILD_SUBREAPER = 36
RECORD = struct.Struct("!Bqq")  # (kind, request id or pid, pid or wait status)
HEADER = struct.Struct("!Q")


class ServerGone(Exception):
    """The fork server is not running."""


class ForkServer:
    """The grading process's handle on a fork server; thread-safe."""

    def __init__(self, preload: list[str], env: dict[str, str] | None = None):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from grader.forkserver import serve; serve(sys.argv[1], sys.argv[2:])",
             str(theirs.fileno()), *preload],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        self._socket = ours
        self._send_lock = threading.Lock()
        self._changed = threading.Condition()
        self._started: dict[int, int] = {}
        self._exited: dict[int, int] = {}
        self._requests = itertools.count(1)
        self._alive = True
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._alive

    def start(self, job, timeout: float) -> tuple[int, Connection]:
        """Fork a child that runs ``worker.main(connection, job)``; return its pid and our end of its pipe."""
        read, write = os.pipe()
        request = next(self._requests)
        data = pickle.dumps((request, job))
        try:
            with self._send_lock:
                socket.send_fds(self._socket, [HEADER.pack(len(data))], [write])
                self._socket.sendall(data)
        except OSError:
            os.close(read)
            raise ServerGone("the fork server stopped") from None
        finally:
            os.close(write)
        with self._changed:
            if not self._changed.wait_for(lambda: request in self._started or not self._alive, timeout):
                os.close(read)
                raise ServerGone("the fork server did not answer")
            if request not in self._started:
                os.close(read)
                raise ServerGone("the fork server stopped")
            pid = self._started.pop(request)
        return pid, Connection(read, writable=False)

    def wait(self, pid: int, timeout: float) -> int | None:
        """The wait status of a child once it has ended, or None."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exited or not self._alive, timeout)
            return self._exited.pop(pid, None)

    def forget(self, pid: int) -> None:
        with self._changed:
            self._exited.pop(pid, None)

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes our reader and tells the server we are gone
        except OSError:
            pass
        self._socket.close()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._socket.recv(RECORD.size * 64)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            with self._changed:
                while len(buffer) >= RECORD.size:
                    kind, a, b = RECORD.unpack(buffer[:RECORD.size])
                    buffer = buffer[RECORD.size:]
                    (self._started if kind == STARTED else self._exited)[a] = b
                self._changed.notify_all()
        with self._changed:
            self._alive = False
            self._changed.notify_all()


# The server side.

def _receive(sock: socket.socket):
    """[request id, pickled job, pipe], or None when the grading process has gone."""
    data, fds, _, _ = socket.recv_fds(sock, HEADER.size, 1)
    if not data:
        return None
    while len(data) < HEADER.size:
        more = sock.recv(HEADER.size - len(data))
        if not more:
            return None
        data += more
    (size,) = HEADER.unpack(data)
    payload = bytearray()
    while len(payload) < size:
        more = sock.recv(min(size - len(payload), 1 << 20))
        if not more:
            return None
        payload += more
    return [payload, fds[0]]


def _child(sock: socket.socket, wake: tuple[int, int], received: list) -> None:
    """The forked child: hand the job over in a box, so that no frame keeps a reference to it."""
    from . import worker

    code = 1
    try:
        sock.close()
        for end in wake:
            os.close(end)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = received.pop()
        box = [pickle.loads(received.pop())[1]]
        worker.main(Connection(fd, readable=False), box)
        code = 0
    except BaseException:
        traceback.print_exc()  # a grader bug: into the captured output, or the grader's stderr
    finally:
        os._exit(code)


def serve(fd: str, preload: list[str]) -> None:
    """The server's main loop: preload, then fork a child per job until the grading process goes."""
    sock = socket.socket(fileno=int(fd))
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)  # no thread pools to break across fork
    gc.collect()
    gc.freeze()
    # Orphans (a child's own children, once it is ended) come here to be reaped, not to init.
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grading process's to handle
    while True:
        ready, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
            _reap(sock)
        if sock in ready:
            received = _receive(sock)
            if received is None:
                return
            request, _ = pickle.loads(received[0])  # the job itself is unpickled in the child
            pid = os.fork()
            if pid == 0:
                _child(sock, (wake_read, wake_write), received)
            os.close(received[1])
            sock.sendall(RECORD.pack(STARTED, request, pid))


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock.sendall(RECORD.pack(EXITED, pid, status))
