"""Recognising typical mistakes from the shape of a difference.

Given the expected and the got arrays (already known to differ), name the patterns
they show, most telling first. The engine knows no exercise: an Output maps the
patterns it cares about to a likely cause (its hints), and the first pattern found
that the output declares is the hint shown. ``patterns.PATTERNS`` lists every pattern with
sample values of the fields its hint may use; a spec's hints are checked against it
when the spec loads.

Shapes. ``shape``: another shape (of the whole value, or of a history's entries).

Counts. A history of the wrong length: ``length``; when the history knows how entries
are counted (``spec.Batches``), also ``partial_batch`` (the last, smaller batch of each
epoch missing), ``epochs`` (a whole number of epochs, but not the right one),
``batches_per_epoch``, or ``epochs_or_batches`` when the count fits either.

Histories. ``aliased``: every entry (or every entry of some columns) the same value,
and not the start: the same live tensor or array appended each time, so every entry
shows its final value. ``shifted``: one entry late. ``start``: the very first entry
already differs. ``frozen``: a column that stays at its start. ``rising``: a loss that
grows. Then the first step, from a start that agrees: ``drift`` (it agrees, later ones
do not), ``opposite``, ``step_scaled``, ``crossed`` (one column moved as another should
have) or ``first_differs``.

Whole values. ``zero``, ``not_zero``, ``zero_column``, ``opposite``, ``scaled`` (a
constant factor), ``multiple`` (a whole factor, 2 or more: a sum where a mean is asked
gives the number of points), ``offset`` (a constant difference), ``swapped`` (two
named columns the wrong way round), ``crossed`` (a part, or the whole output, holding
what another should), ``in_order`` (increasing where it should not be: never
shuffled), ``permuted`` (the same rows in another order), ``transposed``, ``flipped``
(mirrored along an axis), and ``any``.
"""
from __future__ import annotations

from typing import Iterator, Mapping

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


def _offset(expected, got):
    """The constant d with got = expected + d, if there is one and it is not zero."""
    d = got - expected
    d0 = float(np.median(d))
    scale = float(np.abs(expected).max())
    if abs(d0) <= 1e-6 * (1 + scale) or np.ptp(d) > 1e-3 * abs(d0) + 1e-6 * scale:
        return None
    return d0


def _fmt(row) -> str:
    row = np.atleast_1d(row)
    return f"{row[0]:.6g}" if row.size == 1 else "(" + ", ".join(f"{v:.6g}" for v in row) + ")"


def patterns(expected: np.ndarray, got: np.ndarray, *, columns=(), layout=None, params: Mapping | None = None,
             first: int | None = None, name: str = "", others: Mapping[str, np.ndarray] | None = None,
             lengths: Mapping[str, int] | None = None) -> Iterator[tuple[str, dict]]:
    """Yield (pattern, fields) for each pattern the difference shows, most telling first.

    ``layout`` names a history's positions (None: not a history); ``first`` is the first entry of a
    history out of tolerance; ``others`` are the expected values of the check's other outputs, by
    name (``crossed``: this output, ``name``, holds what one of them should); ``lengths`` the lengths
    of the other outputs the student's code gave (a layout may count epochs by one of them).
    """
    history = layout is not None and expected.ndim >= 1 and got.ndim >= 1
    rows = int(history)  # a history's entries are compared for their shape, the whole value otherwise
    if expected.shape[rows:] != got.shape[rows:]:
        yield "shape", {"got": str(got.shape[rows:]), "expected": str(expected.shape[rows:])}
        return
    history = history and len(expected) >= 1 and len(got) >= 1
    if history and len(got) != len(expected):
        if hasattr(layout, "counts"):
            n = min(len(expected), len(got))
            yield from layout.counts(len(got), len(expected), params or {}, lengths or {},
                                     _close(got[:n], expected[:n]))
        yield "length", {"got": len(got), "expected": len(expected)}
    if history and len(got) >= 2 and len(expected) >= 2:
        yield from _aliased(expected, got, columns)
        n = min(len(expected), len(got))
        if n >= 3 and _close(got[: n - 1], expected[1:n]):
            yield "shifted", {}
    if expected.shape == got.shape:
        yield from _whole(expected, got, columns)
        for other, value in (others or {}).items():
            if value.size == got.size and _close(got.reshape(-1), value.reshape(-1)) \
                    and not _close(expected.reshape(-1), value.reshape(-1)):
                yield "crossed", {"column": name, "other": other}
                break
    if history:
        if first == 0:
            yield "start", {"expected": _fmt(expected[0]), "got": _fmt(got[0])}
        if len(got) >= 2 and len(expected) >= 2:
            yield from _steps(expected, got, columns)
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(got, expected.T):
        yield "transposed", {}
    for axis in range(expected.ndim):
        if expected.shape[axis] > 1 and _close(got, np.flip(expected, axis)):
            yield "flipped", {"axis": axis}
    yield "any", {}  # the catch-all an output may explain


def _names(columns, width):
    return [columns[j] if j < len(columns) else f"column {j}" for j in range(width)]


def _aliased(e, g, columns):
    """Columns whose every entry is one value that is not their start, where the expected ones move."""
    e2, g2 = e.reshape(len(e), -1), g.reshape(len(g), -1)
    names = _names(columns, e2.shape[1])
    n = min(len(e2), len(g2))
    stuck = [j for j in range(e2.shape[1]) if np.ptp(g2[:, j]) == 0 and np.ptp(e2[:n, j]) > 0
             and not np.isclose(g2[0, j], e2[0, j], **CLOSE) and g2[0, j] != 0]  # all zero: never filled in
    if e.ndim == 1 and stuck:
        yield "aliased", {"columns": "value", "value": _fmt(g2[0])}
    elif e.ndim == 2 and stuck:
        yield "aliased", {"columns": ", ".join(names[j] for j in stuck), "value": _fmt(g2[0, stuck])}


def _whole(e, g, columns):
    if not np.any(e) and np.any(g):
        yield "not_zero", {}
    if np.any(e) and not np.any(np.abs(g) > 1e-12):
        yield "zero", {}
    if e.ndim == 1 and len(columns) == len(e):
        for j, name in enumerate(columns):
            if e[j] != 0 and g[j] == 0:
                yield "zero_column", {"column": name}
    factor = _factor(e, g)
    if factor is not None and abs(factor + 1) < 1e-3:
        yield "opposite", {}
    elif factor is not None and abs(factor - 1) > 1e-3 and factor != 0:  # zero is said above
        whole = round(factor)
        if whole >= 2 and abs(factor - whole) < 1e-3:
            yield "multiple", {"factor": whole}
        yield "scaled", {"factor": factor}
    offset = _offset(e, g) if e.size > 1 else None
    if offset is not None:
        yield "offset", {"offset": offset}
    swapped = len(columns) == 2 and e.ndim >= 1 and e.shape[-1] == 2 and _close(g[..., ::-1], e) \
        and not _close(g, e)
    if swapped:
        yield "swapped", {"first": columns[0], "second": columns[1]}
    elif e.ndim == 1 and len(columns) == len(e):
        yield from _crossed(e, g, columns)
    if e.ndim == 1 and len(e) >= 3 and np.all(np.diff(g) > 0) and not np.all(np.diff(e) > 0):
        yield "in_order", {}
    if e.ndim >= 1 and len(e) >= 2 and _close(_sorted_rows(g), _sorted_rows(e)) and not _close(g, e):
        yield "permuted", {}


def _sorted_rows(a):
    rows = a.reshape(len(a), -1)
    return rows[np.lexsort(rows.T[::-1])]


def _crossed(e, g, columns):
    """A part that took the value another part should have (w moved by b's step), the other part right or not."""
    for j, name in enumerate(columns):
        if np.isclose(g[j], e[j], **CLOSE):
            continue
        for k, other in enumerate(columns):
            if k != j and e[k] != e[j] and np.isclose(g[j], e[k], **CLOSE):
                yield "crossed", {"column": name, "other": other}
                return


def _steps(e, g, columns):
    n = min(len(e), len(g))
    if e.ndim == 2:
        for j, name in enumerate(_names(columns, e.shape[1])):
            if np.ptp(g[:n, j]) == 0 and np.ptp(e[:n, j]) > 0 and np.isclose(g[0, j], e[0, j], **CLOSE):
                yield "frozen", {"column": name}
    if e.ndim == 1 and e[n - 1] < e[0] and g[n - 1] > 2 * abs(g[0]) and np.mean(np.diff(g[:n]) > 0) >= 0.8:
        yield "rising", {}
    if _close(g[0], e[0]):
        de, dg = e[1] - e[0], g[1] - g[0]
        if _close(dg, de):
            if not _close(g[:n], e[:n]):
                yield "drift", {}
            return
        factor = _factor(de, dg)
        if factor is not None:
            yield ("opposite", {}) if abs(factor + 1) < 1e-3 else ("step_scaled", {"factor": factor})
            return
        if de.ndim == 1 and len(columns) == len(de):
            yield from _crossed(de, dg, columns)
        yield "first_differs", {}


def hint(hints: Mapping[str, str], expected, got, **context) -> tuple[str, str]:
    """(pattern, likely cause) for the first pattern found (see ``patterns``) that the output declares a hint
    for; ('', '') when there is none."""
    for name, fields in patterns(expected, got, **context):
        if name in hints:
            return name, hints[name].format(**fields)
    return "", ""
