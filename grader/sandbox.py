"""Linux isolation for the processes that run code, built from namespaces: an allow-list, not a deny-list.

The fork template (see forkserver.py) calls ``prepare`` once, after its imports and
before any job: it moves into a mount namespace whose root is a fresh, read-only tmpfs
holding only what code needs to run: the Python installation, the grader package, the
system's libraries, a few files of /etc and harmless devices. Nothing else of the
machine or of the course (solutions, hidden cases, submissions, reports) is there to be
seen. As root it does so directly; otherwise it first enters a user namespace of its own
(unprivileged user namespaces), where it may do the same.

Each child then gets, in ``enter``: a PID namespace of its own (it is process 1 there,
so ending it ends every process it started, setsid and zombies included, and it can
name no process outside), its own mount, network (no network at all) and IPC
namespaces, a private, size-capped /tmp (its working directory) and /dev/shm, its own
/proc, and a user it cannot leave: as root a user id never reused within a run, without
root a user of its own user namespace with no capabilities; no way to gain privileges
back; and resource limits.

Why not bubblewrap or nsjail: they start a new program, and a child must instead be a
fork of a process that has torch loaded (importing torch takes ~1.6 s; a fork takes
milliseconds). The same kernel calls they make are made here, in about 200 lines.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import tempfile

from .protocol import Limits

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = \
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
UID_BASE = 2_000_000_000  # user ids handed to children as root: no account, no files
INSIDE = 1000  # the child's user id inside its own user namespace (without root)
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf")
DEVICES = ("null", "zero", "full", "random", "urandom")
PRIVATE = ("/tmp", "/dev/shm")  # each child's own, empty
HELD: list[str] = []  # allowed paths under PRIVATE, in the order held aside by ``prepare``


class Unavailable(Exception):
    """Isolation cannot be set up here; the message names what is missing."""


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise Unavailable(f"{what}: {os.strerror(errno)}")


def _mount(libc, source, target, kind, flags, data=None) -> None:
    encode = (lambda text: text.encode() if text is not None else None)
    _check(libc.mount(encode(source), encode(target), encode(kind), flags, encode(data)),
           f"mount {kind or source or ''} on {target}")


def _syscalls() -> tuple[int, int]:
    """(pivot_root, capset) numbers for this machine."""
    machine = os.uname().machine
    if machine == "x86_64":
        return 155, 126
    if machine in ("aarch64", "arm64"):
        return 41, 91
    raise Unavailable(f"no namespace support written for {machine}")


# The template: once, before any job.

def separate() -> dict:
    """Make the next fork the template: the first process of a PID namespace of its own, in a mount namespace of
    its own (and first, without root, a user namespace, which the kernel grants only to a process with one
    thread: call this before importing libraries that start threads). Returns how children will be isolated:
    {"user": "root" or "namespace"}; raises Unavailable."""
    libc = _libc()
    if os.geteuid() == 0:
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "a mount and a PID namespace")
        return {"user": "root"}
    uid, gid = os.geteuid(), os.getegid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), "a user namespace (unprivileged user namespaces)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    return {"user": "namespace"}


def prepare(allow: list[str], private: list[str] = ()) -> None:
    """After ``separate``: make the whole file system ``allow`` (read-only), the libraries, /etc's basics and
    /dev's harmless devices; and cover what of ``private`` lies inside them (a course kept under /usr or in the
    Python environment's folder) with an empty, closed folder. Raises Unavailable."""
    libc = _libc()
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    new = tempfile.mkdtemp(prefix="gdgrader-root-")
    _mount(libc, "tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m")
    system = [p for p in ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin") if os.path.lexists(p)]
    etc = [os.path.join("/etc", name) for name in ETC if os.path.exists(os.path.join("/etc", name))]
    for path in dict.fromkeys([*system, *etc, *allow]):
        _bind(libc, new, path)
    # What is allowed under a folder that each child covers with its own (a Python in a virtual environment
    # under /tmp) is held aside too, for each child to put back over its own folder (see ``enter``).
    for path in private:
        inside = new + os.path.realpath(path)
        if os.path.isdir(inside):
            _mount(libc, "tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=000,size=4k")
    HELD[:] = [os.path.abspath(p) for p in dict.fromkeys(allow) if _under(os.path.abspath(p), PRIVATE)]
    for i, path in enumerate(HELD):
        held = os.path.join(new, ".held", str(i))
        os.makedirs(held, 0o755)
        _mount(libc, new + path, held, None, MS_BIND | MS_REC)
    os.mkdir(os.path.join(new, "dev"), 0o755)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(os.path.join(new, "dev", name), "x").close()
            _mount(libc, f"/dev/{name}", os.path.join(new, "dev", name), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(new, "dev", name))
    for folder in ("dev/shm", "tmp", "proc"):
        os.makedirs(os.path.join(new, folder), 0o755, exist_ok=True)
    # The machine's /proc stays mounted under the children's own, so that they may mount one (the kernel asks
    # for a visible proc before a user namespace mounts another); each child covers it at once.
    _mount(libc, "/proc", os.path.join(new, "proc"), None, MS_BIND | MS_REC)
    pivot, _ = _syscalls()
    old = os.path.join(new, ".old")
    os.mkdir(old)
    _check(libc.syscall(pivot, new.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    try:
        os.rmdir("/.old" + new)  # the folder the new root was built on, empty once it has become the root
    except OSError:
        pass
    _check(libc.umount2(b"/.old", MNT_DETACH), "unmount the old root")
    os.rmdir("/.old")
    _mount(libc, None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _under(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == folder or path.startswith(folder + "/") for folder in folders)


def _put_back(libc) -> None:
    """Over the child's own /tmp and /dev/shm: what is allowed under them, read-only (see ``prepare``)."""
    for i, path in enumerate(HELD):
        os.makedirs(path, 0o755, exist_ok=True)
        _mount(libc, f"/.held/{i}", path, None, MS_BIND | MS_REC)
        _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        raise Unavailable(f"{path}: {exc.strerror}") from None


def _bind(libc, new: str, path: str) -> None:
    """Make ``path`` (and the links on the way to it) appear in the new root, read-only."""
    path = os.path.abspath(path)
    parts = path.strip("/").split("/")
    here = "/"
    for i, part in enumerate(parts):
        here = os.path.join(here, part)
        inside = new + here
        if os.path.islink(here):
            if not os.path.lexists(inside):
                os.symlink(os.readlink(here), inside)
            _bind(libc, new, os.path.join(os.path.dirname(here), os.readlink(here)) + "/" + "/".join(parts[i + 1:]))
            return
        if i < len(parts) - 1:
            if not os.path.isdir(inside):
                os.mkdir(inside, 0o755)
            continue
        if os.path.ismount(inside) or (os.path.lexists(inside) and not os.path.isdir(inside)):
            return  # already there
        if os.path.isdir(here):
            os.makedirs(inside, 0o755, exist_ok=True)
        else:
            open(inside, "x").close()
        _mount(libc, here, inside, None, MS_BIND | MS_REC)
        kept = os.statvfs(here).f_flag & (os.ST_NOEXEC | os.ST_NOSUID | os.ST_NODEV)  # a user namespace keeps these
        _mount(libc, None, inside, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
               | (MS_NOEXEC if kept & os.ST_NOEXEC else 0))


def own_pid_namespace() -> int:
    """A handle on this process's PID namespace, to start each child in a fresh one (see ``next_in_new_pid``)."""
    return os.open("/proc/self/ns/pid", os.O_RDONLY)


def next_in_new_pid(handle: int) -> None:
    """Make the next fork the first process of a new PID namespace (within this process's own, ``handle``)."""
    _check(_libc().unshare(CLONE_NEWPID), "a PID namespace")


def back_in_own_pid(handle: int) -> None:
    """After that fork: the next ones (and threads, which the kernel refuses meanwhile) in this process's own."""
    _check(_libc().setns(handle, CLONE_NEWPID), "back to the template's PID namespace")


# Each child: first thing after the fork.

def enter(limits: Limits, user: str, uid: int | None) -> None:
    """Isolate this child (the first process of its PID namespace) and limit it; see the module's docstring."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "the child's namespaces")
    _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    size = max(limits.output_kb, 1024) * 1024
    _mount(libc, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size},nr_inodes=4096")
    _mount(libc, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=1m,nr_inodes=64")
    _put_back(libc)
    os.chdir("/tmp")
    if user == "root":
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to a user of its own: every capability goes
    else:
        outside_uid, outside_gid = os.geteuid(), os.getegid()
        _check(libc.unshare(CLONE_NEWUSER), "the child's user namespace")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{INSIDE} {outside_uid} 1")
        _write("/proc/self/gid_map", f"{INSIDE} {outside_gid} 1")
        os.setresgid(INSIDE, INSIDE, INSIDE)
        os.setresuid(INSIDE, INSIDE, INSIDE)
        _drop_capabilities(libc)
    _limit(resource.RLIMIT_NPROC, limits.processes)  # counted for this child's user alone
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
    limit(limits)


def _drop_capabilities(libc) -> None:
    _, capset = _syscalls()
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    _check(libc.syscall(capset, header, data), "dropping capabilities")


def limit(limits: Limits) -> None:
    """Resource limits any child takes, isolated or not; the parent's death ends it."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the cap fails with EFBIG instead
    _limit(resource.RLIMIT_CPU, int(limits.seconds_per_submission) + 1)
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


class Users:
    """User ids for children as root: one per child, never reused within a run (a random start, counting up)."""

    def __init__(self):
        self._next = UID_BASE + int.from_bytes(os.urandom(4), "big") % 1_000_000_000

    def take(self) -> int:
        self._next += 1
        return self._next


def undumpable() -> None:
    """Keep other processes of the same user from reading the grading process's memory."""
    try:
        _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def describe(user: str, uid: int | None) -> dict:
    """The protections in force for a child, as the report shows them."""
    who = (f"uid {uid}, a user of its own (never reused in this run)" if user == "root"
           else "a user of its own user namespace, with no capabilities")
    return {
        "process": "its own PID namespace: every process it starts ends with it",
        "user": who,
        "network": "none (a network namespace of its own)",
        "files": "read-only: Python, its packages and the grader; read-write: a private /tmp; nothing else",
    }


NONE = {
    "process": "a child process of its own, ended with its process group",
    "user": "the grader's own",
    "network": "not isolated",
    "files": "not isolated: the code can read and write what the grader's user can",
}
