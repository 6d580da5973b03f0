"""Limits for the child process that runs student code, and cleaning up after it.

The child puts itself in a new session (so its whole process group can be ended),
sends its output to a capped file in its own working directory, and takes memory,
CPU, file-size and core limits. When the grader runs as root, the child also leaves
the network, sees the project read-only with the reference solutions and hidden
cases hidden, and drops to a user id of its own with no way to gain privileges back.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass

OUTPUT = "output.txt"  # the child's stdout and stderr before its first exercise, in its working directory
UID_BASE = 2_000_000_000  # user ids handed to children: no account, no files, nothing to gain
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


@dataclass(frozen=True)
class Limits:
    """Per-child limits; a limit that is hit costs the items it stopped."""

    seconds_per_check: float = 10.0
    seconds_per_submission: float = 120.0
    memory_mb: int = 1024  # address space the child may add to what it starts with
    output_kb: int = 1024  # captured output, and any file the child writes
    processes: int = 32  # processes and threads of the child's own user (when dropped)

    def describe(self) -> str:
        return (f"{self.seconds_per_check:g} s per check, {self.seconds_per_submission:g} s per submission, "
                f"{self.memory_mb} MB of memory, {self.output_kb} KB of output")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def enter(limits: Limits, workdir: str) -> None:
    """Run first in the child: session, captured output, working directory, resource limits."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(workdir)
    capture(OUTPUT)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the cap fails with EFBIG instead
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    cpu = int(limits.seconds_per_submission) + 1
    _limit(resource.RLIMIT_CPU, cpu)
    _limit(resource.RLIMIT_FSIZE, limits.output_kb * 1024)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, _address_space() + limits.memory_mb * 1024 * 1024)


def capture(name: str) -> None:
    """Send stdout and stderr to the file ``name`` in the working directory."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def isolate(uid: int | None, processes: int, *, hide: tuple[str, ...] = (), readonly: str = "",
            reveal: tuple[str, ...] = ()) -> dict:
    """As root: leave the network, hide ``hide``, make ``readonly`` read-only, become ``uid``.

    ``reveal`` are the folders the code must read as ``uid`` (Python, its packages, the
    project): where one sits under a folder closed to other users (a home or /root at
    0700, a private temporary folder), the child sees that folder with just the way
    to them in it.

    Returns the protections actually in force, as the report shows them.
    """
    libc = _libc()
    root = uid is not None and os.geteuid() == 0
    network = root and libc.unshare(CLONE_NEWNET) == 0
    files = root and libc.unshare(CLONE_NEWNS) == 0 and _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    if files:
        files &= _reveal(libc, reveal)
        for path in hide:
            if os.path.isdir(path):
                files &= _mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                "size=4k,mode=000")
        if readonly:
            files &= _mount(libc, readonly, readonly, None, MS_BIND | MS_REC) and \
                _mount(libc, None, readonly, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
    if root:
        _limit(resource.RLIMIT_NPROC, processes)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    return {
        "process": "a child of its own per submission, ended with its process group",
        "user": f"uid {os.getuid()} (unprivileged, no account)" if root else f"uid {os.getuid()} (the grader's own)",
        "network": "none" if network else "not isolated (needs root)",
        "files": "project read-only; reference solutions and hidden cases hidden" if files
                 else "not isolated (needs root): changes to the grader's files are detected and undone",
    }


def _reveal(libc, folders: tuple[str, ...]) -> bool:
    """Open a way to each folder for any user, in this mount namespace only; see ``isolate``."""
    folders = tuple(os.path.realpath(f) for f in folders if os.path.isdir(f))
    for _ in range(64):  # each round opens the outermost closed folders; nested ones come next round
        closed: dict[str, set[str] | None] = {}
        for folder in folders:
            parts = folder.split(os.sep)[1:]
            for depth in range(1, len(parts) + 1):
                here, last = os.sep + os.sep.join(parts[:depth]), depth == len(parts)
                need = 0o005 if last else 0o001  # read and enter the folder itself; enter those above it
                if os.stat(here).st_mode & need != need:
                    if last:
                        closed[here] = None  # everything in it
                    elif closed.get(here, set()) is not None:
                        closed.setdefault(here, set()).add(parts[depth])
                    break
        outermost = [c for c in closed if not any(c.startswith(o + os.sep) for o in closed)]
        if not outermost:
            return True
        for folder in outermost:
            if not _open_up(libc, folder, closed[folder]):
                return False
    return False


def _open_up(libc, folder: str, names: set[str] | None) -> bool:
    """Cover ``folder`` with an empty, readable one and bind back ``names`` from it (None: all)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names = set(os.listdir(fd)) if names is None else names
        if not _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755"):
            return False
        for name in sorted(names):
            source, target = f"/proc/self/fd/{fd}/{name}", os.path.join(folder, name)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
                continue
            if os.path.isdir(source):
                os.mkdir(target)
            else:
                open(target, "x").close()
            if not _mount(libc, source, target, None, MS_BIND | MS_REC):
                return False
        return _mount(libc, None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        os.close(fd)


def _mount(libc, source, target, kind, flags, data=None) -> bool:
    encode = (lambda text: text.encode() if text is not None else None)
    return libc.mount(encode(source), encode(target), encode(kind), flags, encode(data)) == 0


def child_uid(slot: int) -> int | None:
    """The user id for a child in ``slot``, or None when the grader cannot switch users."""
    if os.geteuid() != 0:
        return None
    return UID_BASE + (os.getpid() % 100_000) * 100 + slot


def end(pid: int | None, uid: int | None, timeout: float = 2.0) -> None:
    """End the child's process group and, for a child with a user of its own, every process of that user."""
    deadline = time.monotonic() + timeout
    while True:
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        left = _processes_of(uid) if uid is not None else []
        for other in left:
            try:
                os.kill(other, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _processes_of(uid: int) -> list[int]:
    """The live (not zombie) processes of a user."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    status = f.read()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("Uid", "-1").split()[0]) == uid and not fields.get("State", "").strip().startswith("Z"):
                found.append(int(entry))
    return found


def undumpable() -> None:
    """Keep other processes of the same user from reading the grading process's memory."""
    try:
        _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass
