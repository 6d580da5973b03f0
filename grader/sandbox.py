"""Limits for the child process that runs student code, and cleaning up after it.

The child puts itself in a new session (so its whole process group can be ended),
sends its output to a capped file in its own working directory, takes memory, CPU,
file-size and core limits, and, when the grader runs as root, leaves the network and
drops to a user id of its own with no way to gain privileges back.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from dataclasses import dataclass

OUTPUT = "output.txt"  # the child's captured stdout and stderr, in its working directory
UID_BASE = 2_000_000_000  # user ids handed to children: no account, no files, nothing to gain
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


@dataclass(frozen=True)
class Limits:
    """Per-child limits; a limit that is hit costs the items it stopped."""

    seconds_per_check: float = 10.0
    seconds_per_submission: float = 120.0
    memory_mb: int = 1024  # address space the child may add to what it starts with
    output_kb: int = 1024  # captured output, and any file the child writes
    processes: int = 32  # processes and threads of the child's own user (when dropped)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def enter(limits: Limits, workdir: str) -> None:
    """Run first in the child: session, captured output, working directory, resource limits."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(os.path.join(workdir, OUTPUT), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the cap fails with EFBIG instead
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    cpu = int(limits.seconds_per_submission) + 1
    _limit(resource.RLIMIT_CPU, cpu)
    _limit(resource.RLIMIT_FSIZE, limits.output_kb * 1024)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, _address_space() + limits.memory_mb * 1024 * 1024)


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


def drop_privileges(uid: int | None, processes: int) -> dict:
    """Leave the network and become ``uid`` when running as root; say what is in force."""
    libc = _libc()
    isolated = os.geteuid() == 0 and libc.unshare(CLONE_NEWNET) == 0
    dropped = False
    if uid is not None and os.geteuid() == 0:
        _limit(resource.RLIMIT_NPROC, processes)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        dropped = True
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    return {"user": f"uid {os.getuid()}" + (" (unprivileged, no account)" if dropped else " (the grader's own)"),
            "network": "none" if isolated else "not isolated (needs root)"}


def child_uid(slot: int) -> int | None:
    """The user id for a child in ``slot``, or None when the grader cannot switch users."""
    if os.geteuid() != 0:
        return None
    return UID_BASE + (os.getpid() % 100_000) * 100 + slot


def end(pid: int | None, uid: int | None) -> None:
    """End the child's process group and, for a dropped child, every process of its user."""
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if uid is None:
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _uid_of(entry) == uid:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _uid_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def undumpable() -> None:
    """Keep other processes of the same user from reading the grading process's memory."""
    try:
        _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass
