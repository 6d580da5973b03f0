"""The child side: run one job's items on the code it was given, and send back plain data.

A child holds one job (see protocol.py): one submission's code, the items of one group
(their checks' names and their cases' parameters) and, only when the grading process
says so, reference definitions to swap in. For each item it gives the code a fresh
module (the file run again, or, when its top-level code is slow, a fork of the process
right after the first run), builds the case's inputs, calls the probe, and sends one
message: the outputs as plain data, or what went wrong, as structure. It never sees an
expected value and decides nothing.

On Linux the child is forked from the fork template and isolated by sandbox.py; on
other systems (``python -m grader.child``) it is a plain process of its own.
"""
from __future__ import annotations

import errno
import inspect
import os
import pickle
import random
import sys
import threading
import time
import traceback
import types

from . import protocol
from .plain import Unconvertible, describe, to_plain
from .probes import Missing, ProbeError, first_line
from .protocol import Failure, Job
from .specs import exercise

SEED = 0
PLAIN_TORCH = "GDGRADER_PLAIN_TORCH"  # set: torch exactly as it comes (no seeding or optimizer shortcuts)
SLOW_LOAD = 0.05
SENT = 86  # the exit status of a fork of the loaded module once its item's result is sent  # seconds of top-level code past which each item gets a fork of the loaded module instead


class RefusedImport(ImportError):
    """Submissions may not import the reference solutions."""


class _RefuseReference:
    """An import hook that refuses the reference solutions (they are not there to import anyway)."""

    def find_spec(self, name, path=None, target=None):
        if name == "reference" or name.startswith("reference."):
            raise RefusedImport("importing the reference solutions is not allowed")
        return None


class _SignatureError(Exception):
    pass


# Set-up in the fork template, once.

def warm(imports: tuple[str, ...], figure: bool = True) -> None:
    """Do once in the template what every child would otherwise do first: lazy imports, first calls, seeding;
    for the ``imports`` of the exercises graded only (a self-check of an exercise without plots draws no figure),
    and the first figure only if ``figure`` (many children to come)."""
    import numpy as np

    np.random.default_rng(0).random(3)
    np.linalg.lstsq(np.eye(2), np.ones(2), rcond=None)
    if "torch" in imports:
        _warm_torch(imports)
    if "matplotlib.pyplot" in imports and figure:
        _warm_matplotlib()
    sys.meta_path.insert(0, _RefuseReference())


def _warm_torch(imports: tuple[str, ...]) -> None:
    import torch
    from torch import nn

    torch.set_num_threads(1)  # no thread pools to break across fork
    if not os.environ.get(PLAIN_TORCH):
        _fast_seeding(torch)
    X = torch.arange(-3, 3, 0.5).view(-1, 1)
    model = nn.Linear(1, 1)
    loss = nn.MSELoss()(model(X), 2 * X) + nn.functional.mse_loss(model(X), 2 * X)
    loss.backward()
    torch.tensor(1.0, dtype=torch.float64).numpy()
    if "torch.utils.data" in imports:
        from torch.utils.data import DataLoader, TensorDataset

        list(DataLoader(TensorDataset(X, 2 * X), batch_size=4, shuffle=True))
    if "torch.optim" in imports:
        if not os.environ.get(PLAIN_TORCH):
            _dynamo_on_demand(torch)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer.step()
        optimizer.zero_grad()


def _fast_seeding(torch) -> None:
    """``torch.manual_seed`` without its lazy seeding of accelerators, where there is none to seed.

    On a machine without CUDA, MPS, XPU or MTIA, ``manual_seed`` queues a call for each
    of them with a formatted copy of the Python stack, costing more than the seeding
    itself. Here it seeds the CPU generator the same way, so every random stream is the
    same (tests/test_seeding.py compares every reference output, bit for bit).
    """
    import torch.random as random_module

    def available(name):
        backend = getattr(torch, name, None)
        try:
            return bool(backend and backend.is_available())
        except Exception:
            return True

    if any(available(name) for name in ("cuda", "mps", "xpu", "mtia")):
        return

    def manual_seed(seed):
        seed = int(seed)
        random_module._seed_custom_device(seed)
        return random_module.default_generator.manual_seed(seed)

    random_module._manual_seed_impl = manual_seed


def _dynamo_on_demand(torch) -> None:
    """Optimizers without their first call's import of ``torch._dynamo`` (a second: sympy and more).

    torch's optimizers import ``torch._dynamo`` on their first call, only for what matters
    when code is compiled: ``step`` marks graph breaks around the update (no-ops when
    nothing is compiled), and several methods are wrapped in ``torch._disable_dynamo``,
    which marks them as never to be compiled. Until something imports ``torch._dynamo``
    nothing can be compiled, so here those methods make the same calls without it; once
    it is imported (code that compiles), they are torch's own again. tests/test_cache.py
    compares every reference output with and without this, bit for bit.
    """
    from torch.optim import optimizer

    disabled = torch._disable_dynamo(lambda: None).__code__
    graph_breaks = optimizer._use_grad_for_differentiable(lambda self: None).__code__
    for name, module in list(sys.modules.items()):
        if not name.startswith("torch.optim") or module is None:
            continue
        for cls in [value for value in vars(module).values() if isinstance(value, type)]:
            for attribute, method in list(vars(cls).items()):
                code = getattr(method, "__code__", None)
                if code is disabled:
                    fn, recursive = _closed(method, "fn", "recursive")
                    if getattr(fn, "__dynamo_disable", None) is None:
                        fn.__dynamo_disable = _disable_on_demand(fn, recursive)
                elif code is graph_breaks:
                    setattr(cls, attribute, _step_on_demand(method, *_closed(method, "func")))


def _closed(function, *names: str) -> list:
    cells = dict(zip(function.__code__.co_freevars, (cell.cell_contents for cell in function.__closure__)))
    return [cells[name] for name in names]


def _disable_on_demand(fn, recursive: bool):
    def call(*args, **kwargs):
        dynamo = sys.modules.get("torch._dynamo")
        if dynamo is None or not hasattr(dynamo, "disable"):
            return fn(*args, **kwargs)
        fn.__dynamo_disable = dynamo.disable(fn, recursive, wrapping=False)
        return fn.__dynamo_disable(*args, **kwargs)
    return call


def _step_on_demand(original, func):
    import functools

    import torch

    @functools.wraps(func)
    def step(*args, **kwargs):
        if "torch._dynamo" in sys.modules:
            return original(*args, **kwargs)
        previous = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(args[0].defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            torch.set_grad_enabled(previous)
    return step


def _warm_matplotlib() -> None:
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure()
    ax = fig.add_subplot(1, 2, 1)
    W, B = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    ax.contour(W, B, W ** 2 + B ** 2)
    ax.contourf(W, B, W ** 2 + B ** 2)
    ax.plot([0, 1], [1, 0], "rx-", label="line")
    ax.scatter([0, 1], [1, 0])
    ax.legend()
    ax.set_xlabel("x")
    ax.set_title("t")
    ax3d = fig.add_subplot(1, 2, 2, projection="3d")
    ax3d.plot_surface(W, B, W * B)
    ax3d.plot_wireframe(W, B, W * B)
    fig.savefig(io.BytesIO(), format="png")
    plt.close("all")


def compact() -> None:
    """Back the template's heap with huge pages where the kernel can: each fork then copies far fewer page tables."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        huge = 2 << 20
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                start, end = (int(x, 16) for x in parts[0].split("-"))
                anonymous = len(parts) < 6 or parts[5] == "[heap]"
                if anonymous and parts[1].startswith("rw") and parts[1].endswith("p"):
                    start, end = -(-start // huge) * huge, end // huge * huge
                    if end > start:
                        libc.madvise(start, end - start, 25)  # MADV_COLLAPSE; fails harmlessly where unknown
    except (OSError, AttributeError):
        pass


# The child.

class Channel:
    """The child's end of its reply pipe: one framed JSON message at a time."""

    def __init__(self, fd: int):
        self.fd = fd
        self.lock = threading.Lock()

    def send(self, message: dict) -> None:
        data = protocol.frame(message)
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]


def main(fds: list[int], ready: dict) -> None:
    """A forked child: read the job from its pipe, isolate itself, run the job."""
    job_fd, reply_fd, *outputs = fds
    with os.fdopen(job_fd, "rb") as f:
        job: Job = pickle.load(f)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    from . import sandbox

    if "user" in ready:
        sandbox.enter(job.limits, ready["user"], job.uid)
        protections = sandbox.describe(ready["user"], job.uid)
    else:
        os.setsid()
        sandbox.limit(job.limits)
        protections = dict(sandbox.NONE)
    os.environ.update(HOME=os.getcwd(), TMPDIR=os.getcwd(), MPLCONFIGDIR=os.getcwd())
    channel = Channel(reply_fd)
    channel.send({"hello": {**protections, "limits": job.limits.describe()}})
    files = dict(zip((code.exercise for code in job.codes), outputs))
    run(job, channel, lambda exercise: _capture(files[exercise]))


def _capture(fd: int) -> None:
    """Send stdout and stderr to ``fd``."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)


def run(job: Job, channel: Channel, capture) -> None:
    """Run every task of the job, exercise by exercise, sending one result per task."""
    codes = {code.exercise: code for code in job.codes}
    for name in codes:
        capture(name)
        tasks = [task for task in job.tasks if task.exercise == name]
        if tasks:
            _run_exercise(codes[name], tasks, job, channel)


def _run_exercise(code: protocol.Code, tasks, job: Job, channel: Channel) -> None:
    chunks, broken = _compile(code)
    helpers = _helpers(job, code.exercise)
    checks = {check.name: check for check in exercise(code.exercise).runnable}
    module, failures, seconds = _load(code, chunks, broken)
    if len(code.chunks) == 1 and (broken or failures):  # a file that does not load: every item fails the same way
        failure = Failure("syntax", broken[0][1], broken[0][0]) if broken else failures[0][0]
        for task in tasks:
            channel.send({"result": task.key, "failure": _plain(failure)})
        return
    fork = seconds > SLOW_LOAD and hasattr(os, "fork")
    for n, task in enumerate(tasks):
        if n > 0 and not fork:
            module, failures, _ = _load(code, chunks, broken)
        channel.send({"loaded": task.key})
        work = (lambda task=task, module=module, failures=failures: channel.send(
            {"result": task.key, **_outcome(task, checks[task.check], module, helpers, job, broken, failures)}))
        if fork:
            _in_fork(work, task, channel)
        else:
            work()


def _in_fork(work, task, channel: Channel) -> None:
    """Run ``work`` in a fork of this process, so that the next task starts from the module as loaded."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = SENT
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.waitstatus_to_exitcode(status) == SENT):  # code that exited or crashed
        channel.send({"result": task.key, "failure": _plain(protocol.ended(status))})


def _compile(code: protocol.Code):
    """Each chunk compiled, and the chunks that do not compile: [(first line, message, names it seems to define)]."""
    compiled, broken = [], []
    for first, text, names in code.chunks:
        try:  # blank lines first, so that line numbers count from the top of the file
            compiled.append((compile("\n" * (first - 1) + text, code.filename, "exec", dont_inherit=True), set(names)))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or first
            text_line = (getattr(exc, "text", None) or "").strip()
            message = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
            broken.append((line, message + (f": {text_line}" if text_line else ""), set(names)))
    return compiled, broken


def _load(code: protocol.Code, chunks, broken):
    """A fresh module with the code run in it, chunk by chunk, as a notebook runs its cells.

    Returns the module, the chunks that raised (each failure with the names its chunk seems to define),
    and the seconds the top-level code took. A file of one chunk stops at its first failure.
    """
    module = types.ModuleType(code.exercise)
    module.__file__ = code.filename
    sys.modules[code.exercise] = module
    _seed(SEED)
    start = time.perf_counter()
    failures = []
    for chunk, names in chunks:
        try:
            exec(chunk, module.__dict__)
        except BaseException as exc:
            failures.append((_failure(exc, code.filename, "load"), names))
            if len(code.chunks) == 1:
                break
    return module, failures, time.perf_counter() - start


def _helpers(job: Job, exercise_id: str) -> dict:
    """The namespace of the reference definitions the job swaps in for this exercise (with the reference's given
    code), loaded once; empty when there are none."""
    source = job.helpers.get(exercise_id)
    if not source:
        return {}
    namespace = {"__name__": f"{exercise_id}_reference_helpers"}
    exec(compile(source, f"reference/{exercise_id}.py", "exec"), namespace)
    return namespace


def _swap_in(module, helpers: dict, swap: tuple[str, ...], targets: tuple[str, ...]) -> None:
    """Give the module the swapped reference definitions; they in turn call the student's own other functions."""
    for name in set(targets) - set(swap):
        if name in module.__dict__:
            helpers[name] = module.__dict__[name]
        else:
            helpers.pop(name, None)
    module.__dict__.update({name: helpers[name] for name in swap if name in helpers})


def _outcome(task, check, module, helpers: dict, job: Job, broken, failures) -> dict:
    target = module.__dict__.get(check.target)
    if target is None:
        compiled = next(((line, message) for line, message, names in broken if check.target in names), None)
        if compiled:
            return {"failure": {"kind": "syntax", "line": compiled[0],
                                "message": f"{compiled[1]} (in the cell that defines {check.target})"}}
        raised = next((failure for failure, names in failures if check.target in names), None)
        if raised:
            return {"failure": _plain(raised)}
        return {"failure": {"kind": "missing", "message": f"your file defines no `{check.target}`"}}
    if helpers:
        _swap_in(module, helpers, job.swap.get(task.exercise, ()), exercise(task.exercise).targets)
    called: set[str] = set()
    traced = set(job.trace) & set(check.swap)
    try:
        _seed(SEED)
        args = check.build(task.params)
        _bind(target, args)
        with _tracing(module, traced, called):
            raw = check.probe(target, args, task.params)
    except BaseException as exc:
        return {"failure": _plain(_failure(exc, module.__file__, "call"))}
    outputs, problems = {}, {}
    for output in check.outputs:
        value = raw.get(output.name, Missing(f"no {output.name}"))
        try:
            if isinstance(value, Missing):
                problems[output.name] = value.reason
            else:
                outputs[output.name] = _exact(value) if output.exact else to_plain(value)
        except Unconvertible as exc:
            problems[output.name] = f"could not read it as numbers: got {exc}"
    return {"outputs": outputs, "problems": problems, "called": sorted(called)}


class _tracing:
    """Record which of the module's helpers ``names`` are called while the probe runs."""

    def __init__(self, module, names: set[str], called: set[str]):
        self.codes = {}
        for name in names:
            value = module.__dict__.get(name)
            functions = [value] if inspect.isfunction(value) else \
                [v for v in vars(value).values() if inspect.isfunction(v)] if inspect.isclass(value) else []
            self.codes.update({f.__code__: name for f in functions})
        self.called = called

    def _trace(self, frame, event, arg):
        name = self.codes.get(frame.f_code)
        if name is not None:
            self.called.add(name)
        return None

    def __enter__(self):
        if self.codes:
            sys.settrace(self._trace)

    def __exit__(self, *exc):
        if self.codes:
            sys.settrace(None)


def _seed(seed: int) -> None:
    random.seed(seed)
    for name in ("numpy", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            (module.random.seed if name == "numpy" else module.manual_seed)(seed)


def _bind(target, args) -> None:
    """Raise a signature error before the call if the target cannot take the arguments."""
    if inspect.isfunction(target):
        try:
            inspect.signature(target).bind(*args)
        except TypeError as exc:
            raise _SignatureError(f"{target.__name__}() cannot be called with {len(args)} arguments: {exc}") from None


def _exact(value):
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) in (list, tuple):
        return [_exact(v) for v in value]
    raise Unconvertible(describe(value))


def _plain(failure: Failure) -> dict:
    return {"kind": failure.kind, "message": failure.message, "line": failure.line, "function": failure.function,
            "exception": failure.exception, "trace": [list(frame) for frame in failure.trace]}


def _failure(exc: BaseException, filename: str, stage: str) -> Failure:
    """What went wrong, for the student: a kind, a short message, where, and their own frames only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    trace = tuple((f.lineno or 0, f.name, (f.line or "").strip()) for f in frames[-protocol.MAX_TRACE:])
    line, function = (frames[-1].lineno or 0, frames[-1].name) if frames else (0, "")
    text = first_line(exc)
    if isinstance(exc, NotImplementedError):
        kind, text = "not attempted", "not attempted yet"
    elif isinstance(exc, RefusedImport):
        kind = "refused"
    elif isinstance(exc, SyntaxError):
        kind, line = "syntax", exc.lineno or line
        text = f"{exc.msg}" + (f": {exc.text.strip()}" if exc.text and exc.text.strip() else "")
    elif isinstance(exc, ImportError) and stage == "load":
        kind = "import"
    elif isinstance(exc, _SignatureError):
        kind = "signature"
    elif isinstance(exc, ProbeError):
        kind = "return"
    elif isinstance(exc, MemoryError) or "can't allocate memory" in text:
        kind, text = "limit", "memory limit hit"
    elif isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        kind, text = "limit", "output limit hit: the code printed or wrote too much"
    elif not isinstance(exc, Exception):
        kind, text = "exit", f"your code raised {type(exc).__name__}: a function must return its result, not exit"
    elif stage == "load":
        kind, text = "load", f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    else:
        kind = "exception"
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return Failure(kind, text, line, function, type(exc).__name__, trace)


# A child of its own, where there is no fork template (macOS, Windows): `python -m grader.child`.

def portable() -> None:
    """Read the job on stdin, send replies on stdout; the code's own output is kept in files and sent as messages."""
    import tempfile

    job: Job = pickle.load(sys.stdin.buffer)
    replies = os.dup(1)
    folder = tempfile.mkdtemp(prefix="gdgrader-")
    os.chdir(folder)
    os.environ.update(HOME=folder, TMPDIR=folder, MPLCONFIGDIR=folder)
    import importlib

    imports = tuple({name for task in job.tasks for name in exercise(task.exercise).imports})
    for name in ("numpy", *imports):
        importlib.import_module(name)  # before the first check's clock starts, as in the fork template
    warm(imports, figure=False)  # this process grades one job: its first figure is the job's own
    channel = Channel(replies)
    channel.send({"hello": {"process": "a process of its own, ended when it is done or out of time",
                            "user": "the student's own", "network": "not isolated", "files": "not isolated",
                            "limits": f"{job.limits.seconds_per_check:g} s per check, "
                                      f"{job.limits.seconds_per_submission:g} s per submission"}})
    current = []

    def capture(exercise_id: str) -> None:
        _send_output(channel, current)
        path = os.path.join(folder, f"{exercise_id}.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        _capture(fd)
        os.close(fd)
        current[:] = [exercise_id, path]

    run(job, channel, capture)
    _send_output(channel, current)


def _send_output(channel: Channel, current: list) -> None:
    if current:
        sys.stdout.flush()
        sys.stderr.flush()
        with open(current[1], "rb") as f:
            data = f.read(64 * 1024)
        channel.send({"output": current[0], "text": data.decode("utf-8", "replace")})


if __name__ == "__main__":
    portable()
