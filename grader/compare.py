"""Comparing a student's value with the reference's, in the grading process.

Both sides arrive as plain data (numbers, nested lists, text). The comparison goes
in order: present, readable as numbers, shape or length, finite, then values within
the output's rtol/atol. A history reports the first position that leaves tolerance,
with what was expected and what was got there. The likely cause, when the difference
shows a pattern the output declares a hint for, comes apart from the message.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from .diagnose import hint
from .probes import split_hint
from .spec import Output


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing one output."""

    passed: bool
    message: str = ""  # "<output>: what was expected and what was got, where"
    deviation: float = 0.0  # largest |got - expected| / (atol + rtol * |expected|); inf when not comparable
    where: str = ""  # the first position that left tolerance, e.g. "epoch 1"
    index: int | None = None  # in a history: the first entry that left tolerance (or is missing)
    hint: str = ""  # the likely cause, from the output's hints; '' when no declared pattern fits
    pattern: str = ""  # the pattern that hint is for (see patterns.PATTERNS); '' for what the probe saw


def fmt(x: float) -> str:
    return f"{x:.6g}"


def only_numbers(value: Any, depth: int = 0) -> bool:
    """Whether plain data holds numbers and lists of them, and nothing else."""
    if type(value) in (int, float, bool):
        return True
    return type(value) is list and depth < 32 and all(only_numbers(v, depth + 1) for v in value)


def as_array(value: Any) -> np.ndarray | None:
    """A float array from numbers and nested lists, or None if the rows have different lengths."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        return None


def compare(output: Output, expected: Any, got: Any, *, problem: str = "", params: Mapping | None = None,
            others: Mapping[str, Any] | None = None, answers: Mapping[str, Any] | None = None) -> Verdict:
    """Compare one output; ``problem`` is why the child could not read the student's value. ``others``
    are the expected values of the check's other outputs, ``answers`` the student's: the patterns
    that name a likely cause may look at them (a value that belongs to another output, a count)."""
    fail = _Fail(output)
    params = params or {}
    lengths = {name: len(value) for name, value in (answers or {}).items() if type(value) is list}
    if problem:
        text, cause = split_hint(problem)
        return replace(fail(text), hint=cause)  # the probe saw the cause: no pattern needed
    if output.exact:
        if got == expected:
            return Verdict(True)
        cause = output.hints.get("any", "")
        return replace(fail(f"expected {expected!r}, got {got!r}"), hint=cause, pattern="any" if cause else "")
    if not only_numbers(got):
        return fail("could not read it as numbers")
    e, g = as_array(expected), as_array(got)
    if g is None:
        return fail("could not read it as numbers: its rows have different lengths")
    if e.size == 1 and g.size == 1:
        e, g = e.reshape(()), g.reshape(())
    elif output.history and e.ndim >= 1 and (g.ndim != e.ndim or g.shape[1:] != e.shape[1:]):
        return _shape(output, e, g, f"expected one {_row(e, output)} per entry, got entries of shape {g.shape[1:]}")
    elif output.history and e.ndim >= 1 and len(g) != len(e):
        return _length(output, e, g, params, lengths)
    elif e.shape != g.shape:
        return _shape(output, e, g, f"expected shape {e.shape}, got {g.shape}")
    if not np.all(np.isfinite(g)):
        first = np.argwhere(~np.isfinite(g))[0]
        where = _position(output, first, params)
        verdict = fail(f"got {fmt(g[tuple(first)])} {where}".rstrip())
        return replace(verdict, index=int(first[0])) if output.history and g.ndim else verdict
    return _values(output, e, g, params, others=_arrays(others, output.name))


def _arrays(values: Mapping[str, Any] | None, skip: str) -> dict[str, np.ndarray]:
    arrays = {name: as_array(value) for name, value in (values or {}).items() if name != skip}
    return {name: a for name, a in arrays.items() if a is not None and only_numbers(values[name])}


class _Fail:
    def __init__(self, output: Output):
        self.output = output

    def __call__(self, what: str, deviation: float = float("inf"), where: str = "") -> Verdict:
        return Verdict(False, f"{self.output.name}: {what}", deviation, where)


def _shape(output: Output, e, g, what: str) -> Verdict:
    pattern, cause = _hint(output, e, g, {}, None)
    return replace(_Fail(output)(what), hint=cause, pattern=pattern)


def _deviation(output: Output, e: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.abs(g - e) / (output.atol + output.rtol * np.abs(e))


def _values(output: Output, e, g, params, hints: bool = True, others=None) -> Verdict:
    dev = _deviation(output, e, g)
    worst = float(dev.max()) if dev.size else 0.0
    if worst <= 1:
        return Verdict(True, deviation=worst)
    bad = np.argwhere(dev > 1) if dev.ndim else np.zeros((1, 0), dtype=int)
    first = tuple(bad[0])
    row = first[:1] if output.history else first
    if not output.history and output.columns and e.shape == (len(output.columns),):
        row = ()  # a named pair such as (w, b): say which of its parts differ
    where = _position(output, row, params)
    what = f"{where}: " if where else ""
    what += _expected_got(output, e[row], g[row])
    if row and not output.history and len(bad) > 1:
        what += f" ({len(bad)} of {e.size} values differ)"
    index = int(first[0]) if output.history and first else None
    pattern, cause = _hint(output, e, g, params, index, others) if hints else ("", "")
    return Verdict(False, f"{output.name}: {what}", worst, where, index, cause, pattern)


def _hint(output: Output, e, g, params, first, others=None, lengths=None) -> tuple[str, str]:
    return hint(output.hints, e, g, columns=output.columns, layout=output.history, params=params, first=first,
                name=output.name, others=others, lengths=lengths)


def _expected_got(output: Output, e, g) -> str:
    e, g = np.atleast_1d(e), np.atleast_1d(g)
    if output.columns and e.shape == (len(output.columns),):
        parts = [f"{c} expected {fmt(ec)}, got {fmt(gc)}"
                 for c, ec, gc in zip(output.columns, e, g) if not np.isclose(gc, ec, output.rtol, output.atol)]
        return "; ".join(parts)
    if e.size == 1:
        return f"expected {fmt(e.item())}, got {fmt(g.item())}"
    return f"expected {np.array2string(e, precision=5)}, got {np.array2string(g, precision=5)}"


def _position(output: Output, index, params) -> str:
    index = tuple(int(i) for i in index)
    if not index:
        return ""
    if output.history:
        return "at " + output.history(index[0], params)
    return "at index " + ", ".join(map(str, index)) if len(index) > 1 else f"at index {index[0]}"


def _row(e: np.ndarray, output: Output) -> str:
    if output.columns:
        return "(" + ", ".join(output.columns) + ")"
    return "number" if e.ndim == 1 else f"array of shape {e.shape[1:]}"


def _length(output: Output, e, g, params, lengths) -> Verdict:
    n = min(len(e), len(g))
    what = f"expected {len(e)} entries ({output.history(0, params)} to {output.history(len(e) - 1, params)}), got {len(g)}"
    prefix = _values(output, e[:n], g[:n], params, hints=False) if n else Verdict(True)
    if prefix.passed and n:
        what += f"; the first {n} agree"
    elif not prefix.passed:
        what += "; " + prefix.message.split(": ", 1)[1]
    index = n if prefix.passed else prefix.index
    pattern, cause = _hint(output, e, g, params, index, lengths=lengths)
    return Verdict(False, f"{output.name}: {what}", float("inf"), prefix.where, index, cause, pattern)
