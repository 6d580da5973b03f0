"""The child side: run one submission's items and send back plain data.

A child process is forked for one submission and one exercise. It enters the
sandbox, then for each item runs the submission's code afresh, builds the case's
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

from . import sandbox
from .plain import Unconvertible, describe, to_plain
from .probes import Missing, ProbeError
from .specs import exercise

SEED = 0


@dataclass(frozen=True)
class Job:
    """What the child needs: plain values only (sent from the grading process)."""

    exercise: str
    source: str
    filename: str  # as shown in messages and tracebacks
    items: tuple[int, ...]
    hidden: bool = True  # whether the item list includes the hidden cases
    reference: str | None = None  # source of the reference, for swapped-in helpers
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    workdir: str = "."
    uid: int | None = None


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
    ex = exercise(job.exercise)
    items = ex.items(hidden=job.hidden)
    helpers = {swap: _load_helpers(job.reference, ex, swap)
               for swap in {items[i].check.swap for i in job.items} - {()}} if job.reference else {}
    job = replace(job, reference=None)  # the reference's source is gone before student code runs
    sys.meta_path.insert(0, _RefuseReference())
    _send(conn, {"sandbox": sandbox.drop_privileges(job.uid, job.limits.processes)})
    try:
        code = compile(job.source, job.filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        code, fatal = None, _syntax_error(exc)
    for i in job.items:
        if code is None:
            _send(conn, {"item": i, "loaded": True, "error": fatal})
            continue
        message = _run_item(conn, items[i], code, job, helpers)
        _send(conn, message)
        if message.get("fatal"):
            fatal, code = message["error"], None
    conn.close()


def _send(conn, message: dict) -> None:
    conn.send_bytes(json.dumps(message).encode())


def _run_item(conn, item, code, job: Job, helpers: dict) -> dict:
    check, params = item.check, item.params
    reply = {"item": item.index}
    module = types.ModuleType(job.exercise)
    module.__file__ = job.filename
    sys.modules[job.exercise] = module
    _seed(SEED)
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # the whole file failed: every item fails the same way
        return {**reply, "error": _error(exc, job.filename, "load"), "fatal": True}
    _send(conn, {"item": item.index, "loaded": True})
    target = module.__dict__.get(check.target)
    if target is None:
        return {**reply, "error": {"kind": "missing", "message": f"your file defines no `{check.target}`"}}
    module.__dict__.update(helpers.get(check.swap, {}))
    try:
        _seed(SEED)
        args = check.build(params)
        _bind(target, args)
        raw = check.probe(target, args, params)
    except BaseException as exc:
        return {**reply, "error": _error(exc, job.filename, "call")}
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
    return {**reply, "outputs": outputs, "problems": problems}


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
