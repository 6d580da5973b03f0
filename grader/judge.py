"""Judging one item: the reference's reply against the student's, into a scored CheckResult.

Runs in the grading process on validated plain data. The message says what was
checked, what was expected, what was got and where it first went wrong, in short
lines: what was checked first, then the cause on a line of its own (the known mistake
the answer matches, "Known mistake: ...", else the likely cause from the shape of the
difference, "Hint: ...", else, where the check knows mistakes, that none matches), then
what redoing each update from the student's own state says ("Step by step, ..."), then
each output that differs. Every line fits ``WIDTH`` columns (longer ones wrap,
indented), so that a terminal, ``nbgrader validate`` and its feedback show the hint
whole; only the student's own traceback lines, quoted as they are, may be longer.
"""
from __future__ import annotations

import ast
import builtins
import textwrap
from pathlib import Path

from . import paths, sources, specs
from .compare import as_array, compare
from .known import Match
from .patterns import RANK
from .probes import split_hint
from .results import CheckResult, Curve
from .protocol import Failure, Reply
from .spec import Item

INF = float("inf")
WIDTH = 72  # 80 columns less the report's indent
KNOWN = "Known mistake: "  # starts the line that names a known mistake the answer matches (see known.py)


def wrap(line: str) -> str:
    """One message line cut into lines of at most WIDTH columns, the later ones indented."""
    return textwrap.fill(line, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


def compose(*lines: str) -> str:
    """Message lines, each wrapped; empty ones left out."""
    return "\n".join(wrap(line) for line in lines if line)


def hinted(hint: str) -> str:
    return f"Hint: {hint}" if hint else ""


def zero(item: Item, status: str, message: str) -> CheckResult:
    return CheckResult(item.name, 0.0, item.points, False, item.hidden, message, status, INF)


def judge(item: Item, expected: Reply, got: Reply, source: sources.Source, *,
          stubs: Path = paths.EXERCISES, known: Match | None = None, steps: str = "") -> CheckResult:
    """Score one item from the reference's reply and the student's. ``known``: the known mistake a failed answer
    matches (None: none was tried); ``steps``: what redoing its updates said. Neither changes the score."""
    check = item.check
    if got.failure:
        return zero(item, got.failure.status, _failure_text(got.failure, item, source, stubs))
    verdicts = [compare(output, expected.outputs.get(output.name), got.outputs.get(output.name),
                        problem=got.problems.get(output.name, "" if output.name in got.outputs else "missing"),
                        params=item.params, others=expected.outputs, answers=got.outputs)
                for output in check.outputs]
    deviation = max((v.deviation for v in verdicts), default=0.0)
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        return CheckResult(item.name, item.points, item.points, True, item.hidden, "passed", "passed", deviation)
    ruled_out = known.ruled_out(check.mistakes) if known is not None else set()
    with_hints = [v for v in failed if v.hint and v.pattern not in ruled_out]
    # the most telling hint: what the probe saw first, then patterns in their order
    hint = min(with_hints, key=lambda v: RANK.get(v.pattern, -1)).hint if with_hints else ""
    if known is not None and known.mistake is not None:
        cause = known.line(check.target)
    elif hint or known is None:
        cause = hinted(hint)
    else:
        first = "" if steps else next((f"; where it first differs: {o.name} {v.where}"
                                       for o, v in zip(check.outputs, verdicts) if not v.passed and v.where), "")
        cause = f"No known mistake matches this answer{first}."
    text = compose(checked(item), cause, steps, *(v.message for v in failed))
    curves = tuple(_curve(output, expected.outputs.get(output.name), got.outputs.get(output.name), v, item.params)
                   for output, v in zip(check.outputs, verdicts) if not v.passed and v.index is not None)
    return CheckResult(item.name, 0.0, item.points, False, item.hidden, text, "failed", deviation,
                       tuple(c for c in curves if c))


def checked(item: Item) -> str:
    """The message's first line: what was run, with which parameters."""
    return f"Checked {item.check.about or item.check.target}{_case_text(item)}."


def _curve(output, expected, got, verdict, params) -> Curve | None:
    """The history to plot, when both sides are lists of numbers (or of rows of numbers)."""
    e, g = as_array(expected), as_array(got)
    if e is None or g is None or e.ndim not in (1, 2) or e.ndim != g.ndim or e.shape[1:] != g.shape[1:]:
        return None
    return Curve(output.name, output.about, e.tolist(), g.tolist(), verdict.index, verdict.where, output.columns,
                 output.unit(len(e), params))


def _case_text(item: Item) -> str:
    """The case's own parameters; a hidden case's stay hidden."""
    if not item.case.params:
        return ""
    if item.hidden:
        return ", on a hidden case"
    return ", with " + ", ".join(f"{k}={v}" for k, v in item.case.params.items())


def _failure_text(failure: Failure, item: Item, source: sources.Source, stubs: Path) -> str:
    """The message for an item whose code failed: what, where (a notebook's cell and line), the student's frames."""
    where = source.locate(f"line {failure.line}") if failure.line else ""
    if failure.function and where:
        where += f", in {failure.function}"
    message = failure.message
    if failure.kind == "not attempted":
        function = failure.function
        if function and function != item.check.target and function in specs.exercise(item.exercise).targets:
            message += f" ({function} raises NotImplementedError)"
        return message
    if failure.kind == "syntax":
        return compose(f"syntax error{' at ' + where if where else ''}: {message}")
    if failure.kind == "signature":
        stub = stub_signature(stubs / f"{item.exercise}.py", item.check.target)
        return compose(message + (f"; the exercise defines it as {stub}" if stub else ""))
    message, hint = split_hint(message)
    if item.hidden and failure.kind in ("exception", "load", "exit", "return"):
        message, hint = _kind_only(failure), ""
    text = compose(checked(item), hinted(hint), message + (f" ({where})" if where else ""))
    if failure.trace and failure.kind in ("exception", "return", "limit", "exit", "load"):
        text += "\n" + "".join(  # the student's own lines, as they are
            f'  File "{source.filename}", {source.locate(f"line {line}")}, in {function}\n'
            + (f"    {code}\n" if code else "") for line, function, code in failure.trace).rstrip()
    return text


def _kind_only(failure: Failure) -> str:
    """A hidden case's failure without the text the code wrote into it (which could carry the case's parameters):
    the exception's type, when it is one of Python's own."""
    name = failure.exception
    if failure.kind == "return":
        return "what it returned could not be read"
    if isinstance(getattr(builtins, name, None), type) and issubclass(getattr(builtins, name), BaseException):
        return f"{name} (its message is not shown for a hidden case)"
    return "it raised an exception (its message is not shown for a hidden case)"


def stub_signature(stub: Path, name: str) -> str:
    """How the stub file defines ``name``, e.g. 'forward(X, w, b)'."""
    try:
        tree = ast.parse(stub.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            node = init or node
            return f"{name}({ast.unparse(init.args).replace('self, ', '').replace('self', '')})" if init else name
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return f"{name}({ast.unparse(node.args)})"
    return ""
