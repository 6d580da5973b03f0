"""Recognising typical mistakes from the shape of a difference.

Given the expected and the got arrays (already known to differ), name the patterns
they show: a constant factor, an opposite sign, a history shifted by one or of the
wrong length, a column that never changes, a loss that rises, a first update of the
wrong size or direction, a first update that matches before the rest drifts, a grid
transposed or mirrored (flipped along an axis, e.g. (b, w) pairs for (w, b)). The engine
knows no exercise: an Output maps the patterns it cares about to a likely cause.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

CLOSE = dict(rtol=1e-3, atol=1e-9)


def _close(a, b) -> bool:
    return a.shape == b.shape and a.size > 0 and bool(np.allclose(a, b, **CLOSE))


def _factor(expected, got):
    """The constant c with got = c * expected, if there is one."""
    mask = np.abs(expected) > 1e-12
    if not mask.any() or not np.all(np.isfinite(got)) or np.any(np.abs(got[~mask]) > 1e-9):
        return None
    ratios = got[mask] / expected[mask]
    c = float(np.median(ratios))
    return c if np.allclose(ratios, c, rtol=1e-3, atol=1e-9) else None


def patterns(expected: np.ndarray, got: np.ndarray, columns=(), history=False) -> Iterator[tuple[str, dict]]:
    """Yield (pattern, fields) for each pattern the difference shows, most telling first."""
    if history and len(got) >= 2 and len(expected) >= 2:
        yield from _history_patterns(expected, got, columns)
    if expected.shape != got.shape:
        return
    if not np.any(expected) and np.any(got):
        yield "not_zero", {}
    if np.any(expected) and not np.any(np.abs(got) > 1e-12):
        yield "zero", {}
    if expected.ndim == 1 and len(columns) == len(expected):
        for j, name in enumerate(columns):
            if expected[j] != 0 and got[j] == 0:
                yield "zero_column", {"column": name}
    factor = _factor(expected, got)
    if factor is not None and abs(factor - 1) > 1e-3:
        yield ("opposite", {}) if abs(factor + 1) < 1e-3 else ("scaled", {"factor": factor})


def _any(expected, got, columns=(), history=False):
    yield from patterns(expected, got, columns, history)
    yield "any", {}  # the catch-all an output may explain
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(got, expected.T):
        yield "transposed", {}
    for axis in range(expected.ndim):
        if expected.shape[axis] > 1 and _close(got, np.flip(expected, axis)):
            yield "flipped", {"axis": axis}


def _history_patterns(e, g, columns):
    n = min(len(e), len(g))
    if len(e) != len(g):
        yield "length", {"got": len(g), "expected": len(e)}
    if n >= 3 and _close(g[: n - 1], e[1:n]):
        yield "shifted", {}
    if e.ndim == 2 and e.shape[1:] == g.shape[1:]:
        for j in range(e.shape[1]):
            if np.ptp(g[:n, j]) == 0 and np.ptp(e[:n, j]) > 0:
                yield "frozen", {"column": columns[j] if j < len(columns) else f"column {j}"}
    if e.ndim == 1 and e[n - 1] < e[0] and g[n - 1] > 2 * abs(g[0]) and np.mean(np.diff(g[:n]) > 0) >= 0.8:
        yield "rising", {}
    if e.shape[1:] == g.shape[1:] and _close(g[0], e[0]):
        de, dg = e[1] - e[0], g[1] - g[0]
        if _close(dg, de):
            if not _close(g[:n], e[:n]):
                yield "drift", {}
        else:
            factor = _factor(de, dg)
            if factor is None:
                yield "first_differs", {}
            else:
                yield ("opposite", {}) if abs(factor + 1) < 1e-3 else ("step_scaled", {"factor": factor})


def hint(hints, expected, got, columns=(), history=False) -> str:
    """The likely cause the output declares for the first pattern found, or ''."""
    for name, fields in _any(expected, got, columns, history):
        if name in hints:
            return hints[name].format(**fields)
    return ""
