"""The child side: run one submission's items and send back plain data.

A child process is forked for one submission (every exercise of it). It enters the
sandbox, then for each item runs the exercise's code afresh, builds the case's
inputs, swaps in reference helpers where the check says so, calls the probe, and
sends one JSON message: the outputs as plain data, or what went wrong. It never
sees expected values and decides nothing.
"""
from __future__ import annotations

import ast
import errno
import inspect
import json
import random
import sys
import traceback
import types
from dataclasses import dataclass, field, replace

from . import paths, sandbox
from .plain import Unconvertible, describe, to_plain
from .probes import Missing, ProbeError
from .specs import exercise

SEED = 0


@dataclass(frozen=True)
class Task:
    """One exercise of a submission: its source and the items to run."""

    exercise: str
    source: str
    filename: str  # as shown in messages and tracebacks
    items: tuple[int, ...]
    reference: str | None = None  # source of the reference, for swapped-in helpers


@dataclass(frozen=True)
class Job:
    """What the child needs: plain values only (sent from the grading process)."""

    tasks: tuple[Task, ...]
    hidden: dict = field(default_factory=dict)  # exercise -> its hidden cases, by check name
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    workdir: str = "."
    uid: int | None = None  # the user to become (as root), or None to stay the grader's user


class RefusedImport(ImportError):
    """Submissions may not import the reference solutions."""


class _RefuseReference:
    """An import hook that refuses the reference solutions."""

    def find_spec(self, name, path=None, target=None):
        if name == "reference" or name.startswith("reference."):
            raise RefusedImport("importing the reference solutions is not allowed")
        return None


def main(conn, box: list) -> None:
    """Entry point of the child process; ``box`` holds the Job, so that only this frame keeps it."""
    job = box.pop()
    sandbox.enter(job.limits, job.workdir)
    helpers = [_helpers(task, job.hidden) for task in job.tasks]  # the reference is read before isolation
    job = replace(job, tasks=tuple(replace(task, reference=None) for task in job.tasks))
    sys.meta_path.insert(0, _RefuseReference())
    protections = sandbox.isolate(job.uid, job.limits.processes, readonly=str(paths.ROOT),
                                  hide=(str(paths.REFERENCE), str(paths.HIDDEN)),
                                  reveal=(sys.prefix, sys.base_prefix, *sys.path, str(paths.ROOT), job.workdir))
    _send(conn, {"sandbox": {**protections, "limits": job.limits.describe()}})
    for number, task in enumerate(job.tasks):
        sandbox.capture(f"{task.exercise}.txt")
        _run_task(conn, number, task, exercise(task.exercise).items(job.hidden.get(task.exercise, {})), helpers[number])
    conn.close()


def _helpers(task: Task, hidden: dict) -> dict:
    """For each set of names the task's checks swap in, the reference's definitions of them."""
    if not task.reference:
        return {}
    ex = exercise(task.exercise)
    swaps = {ex.items(hidden.get(task.exercise, {}))[i].check.swap for i in task.items} - {()}
    return {swap: _load_helpers(task.reference, ex, swap) for swap in swaps}


def _run_task(conn, number: int, task: Task, items, helpers: dict) -> None:
    try:
        code, fatal = compile(task.source, task.filename, "exec", dont_inherit=True), None
    except (SyntaxError, ValueError) as exc:
        code, fatal = None, _syntax_error(exc)
    for i in task.items:
        tag = {"task": number, "item": i}
        if code is None:
            _send(conn, {**tag, "error": fatal, "fatal": True})
            continue
        message = {**tag, **_run_item(conn, tag, items[i], code, task, helpers)}
        _send(conn, message)
        if message.get("fatal"):
            fatal, code = message["error"], None


def _send(conn, message: dict) -> None:
    conn.send_bytes(json.dumps(message).encode())


def _run_item(conn, tag: dict, item, code, task: Task, helpers: dict) -> dict:
    check, params = item.check, item.params
    module = types.ModuleType(task.exercise)
    module.__file__ = task.filename
    sys.modules[task.exercise] = module
    _seed(SEED)
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # the whole file failed: every item fails the same way
        return {"error": _error(exc, task.filename, "load"), "fatal": True}
    _send(conn, {**tag, "loaded": True})
    target = module.__dict__.get(check.target)
    if target is None:
        return {"error": {"kind": "missing", "message": f"your file defines no `{check.target}`"}}
    module.__dict__.update(helpers.get(check.swap, {}))
    try:
        _seed(SEED)
        args = check.build(params)
        _bind(target, args)
        raw = check.probe(target, args, params)
    except BaseException as exc:
        return {"error": _error(exc, task.filename, "call")}
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
    return {"outputs": outputs, "problems": problems}


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


class _SignatureError(Exception):
    pass


def _exact(value):
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) in (list, tuple):
        return [_exact(v) for v in value]
    raise Unconvertible(describe(value))


def _syntax_error(exc) -> dict:
    if isinstance(exc, SyntaxError):
        where = f"line {exc.lineno}" if exc.lineno else ""
        text = (exc.text or "").strip()
        return {"kind": "syntax", "message": f"{exc.msg}" + (f": {text}" if text else ""), "where": where}
    return {"kind": "syntax", "message": str(exc)}


def _error(exc: BaseException, filename: str, stage: str) -> dict:
    """What went wrong, for the student: a kind, a short message, where, and their own frames only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    where = f"line {frames[-1].lineno}, in {frames[-1].name}" if frames else ""
    trace = "".join(traceback.format_list(frames[-6:])) if frames else ""
    text = _first_line(exc)
    if isinstance(exc, NotImplementedError):
        kind, text = "not attempted", "not attempted yet"
    elif isinstance(exc, RefusedImport):
        kind = "refused"
    elif isinstance(exc, SyntaxError):
        return _syntax_error(exc)
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
    else:
        kind = "exception"
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return {"kind": kind, "message": text, "where": where, "trace": trace}


def _first_line(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def _load_helpers(source: str, ex, swap: tuple[str, ...]) -> dict:
    """The reference's definitions of ``swap``, loaded without the other graded targets.

    Every top-level statement of the reference runs except the definitions of graded
    targets outside ``swap``, so a swapped-in helper cannot lead to other answers.
    """
    path = f"reference/{ex.filename}"
    tree = ast.parse(source, path)
    hidden = set(ex.targets) - set(swap)
    tree.body = [node for node in tree.body
                 if not (isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in hidden)]
    namespace = {"__name__": f"{ex.id}_reference_helpers"}
    exec(compile(tree, path, "exec"), namespace)
    return {name: namespace[name] for name in swap if name in namespace}
