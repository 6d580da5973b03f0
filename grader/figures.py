"""Reading a matplotlib Figure as plain data, in the child process.

A plotting exercise is graded from what its figure holds, never from pixels: the axes
and their labels, the legend, the data of each line and scatter, the extent and the
range of values of each contour set, the data limits of each 3D view. The reading is
the same whatever the style: pyplot's state machine or ``fig, ax = plt.subplots()``,
``plot`` or ``scatter``, ``contour`` or ``contourf``, one artist or one per point.
matplotlib is imported only when a figure is read, so the grading process never loads it.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .plain import describe, text
from .probes import HINT, ProbeError, explained

W_WORDS, B_WORDS = ("w", "weight", "weights", "slope"), ("b", "bias", "intercept")

# Errors that plotting code often raises, and what they mean (a clue in the error's text -> a hint).
PLOT_ERRORS = {
    "'tuple' object has no attribute": "plt.subplots() gives back two things, the Figure and its Axes: "
                                       "fig, ax = plt.subplots()",
    "'Figure' object has no attribute 'plot": "a Figure does not draw: draw on one of its Axes "
                                              "(fig, ax = plt.subplots(), then ax.plot(...))",
    "object has no attribute 'plot_surface'": "a 3D surface needs 3D axes: "
                                              "fig.add_subplot(1, 2, 1, projection='3d')",
    "object has no attribute 'xlabel'": "an Axes sets its labels with ax.set_xlabel(...) and ax.set_ylabel(...) "
                                        "(plt.xlabel works on the current axes)",
    "object has no attribute 'ylabel'": "an Axes sets its labels with ax.set_xlabel(...) and ax.set_ylabel(...) "
                                        "(plt.ylabel works on the current axes)",
    "object has no attribute 'title'": "an Axes sets its title with ax.set_title(...)",
    "'Text' object is not callable": "ax.title is the title itself, not a function: ax.set_title(...)",
}


@dataclass(frozen=True)
class Series:
    """A drawn sequence of points: from a line, a scatter, or single-point artists put together."""

    label: str
    xy: np.ndarray  # shape (n, 2)
    artist: object = None  # the Line2D or PathCollection drawn, if one


@contextmanager
def drawn(target, args, what: str):
    """Call a plotting target on a clean pyplot state and yield the Figure it returns; close every figure after.

    A typical plotting error comes back with what it means (``PLOT_ERRORS``)."""
    import matplotlib.pyplot as plt

    plt.close("all")
    try:
        yield as_figure(explained(target, args, PLOT_ERRORS), what)
    finally:
        plt.close("all")


def as_figure(result, what: str):
    """The Figure a plotting function gave back: a Figure, or found in an Axes or a (fig, ax) tuple."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    if isinstance(result, (tuple, list)):
        result = next((r for r in result if isinstance(r, Figure)), next(iter(result), None))
    if isinstance(result, Axes):
        result = result.figure
    if isinstance(result, SubFigure):
        result = result.figure
    if isinstance(result, Figure):
        return result
    raise ProbeError(f"{what} returned {'None' if result is None else describe(result)}; expected the matplotlib "
                     f"Figure it drew{HINT}end with `return fig`, or `return plt.gcf()`")


def flat_axes(fig) -> list:
    """The figure's 2D axes, in the order they were added."""
    return [ax for ax in fig.get_axes() if getattr(ax, "name", "") != "3d"]


def axes_3d(fig) -> list:
    return [ax for ax in fig.get_axes() if getattr(ax, "name", "") == "3d"]


def label_of(artist) -> str:
    """An artist's label as plain text; '' for none (matplotlib's own '_child0' style names included)."""
    label = text(artist.get_label())
    return "" if label.startswith("_") else label


def lines(ax) -> list[Series]:
    """The Line2D artists of an axes, each as (label, points)."""
    out = []
    for line in ax.get_lines():
        xy = _points(line.get_xydata())
        if xy is not None:
            out.append(Series(label_of(line), xy, line))
    return out


def point_series(ax) -> list[Series]:
    """Every candidate for a drawn path: each line, each scatter, and all single-point artists in drawing order."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    out, singles = [], []
    for artist in ax.get_children():
        if isinstance(artist, Line2D):
            xy = _points(artist.get_xydata())
        elif isinstance(artist, PathCollection):
            xy = _points(artist.get_offsets())
        else:
            continue
        if xy is None:
            continue
        out.append(Series(label_of(artist), xy, artist))
        if len(xy) == 1:
            singles.append(xy)
    if len(singles) > 1:
        out.append(Series("", np.concatenate(singles)))
    return out


def _points(data) -> np.ndarray | None:
    try:
        xy = np.ma.filled(np.ma.asarray(data, dtype=np.float64), np.nan)
    except (TypeError, ValueError):
        return None
    return xy if xy.ndim == 2 and xy.shape[1] == 2 and len(xy) > 0 else None


def contour_sets(ax) -> list:
    from matplotlib.contour import ContourSet

    return [c for c in ax.get_children() if isinstance(c, ContourSet)]


def contour_extent(cs) -> list[float]:
    """A contour set's grid extent and range of values: [x min, x max, y min, y max, z min, z max]."""
    mins, maxs = getattr(cs, "_mins", None), getattr(cs, "_maxs", None)
    if mins is None or maxs is None:  # not a grid contour: the extent of what it drew
        box = cs.get_datalim(cs.axes.transData)
        mins, maxs = (box.x0, box.y0), (box.x1, box.y1)
    return [float(mins[0]), float(maxs[0]), float(mins[1]), float(maxs[1]), float(cs.zmin), float(cs.zmax)]


def surface_extent(ax) -> list[float] | None:
    """A 3D axes' data limits: [x min, x max, y min, y max, z min, z max]; None if nothing is drawn on it."""
    if not ax.collections and not ax.get_lines():
        return None
    xy, z = ax.xy_dataLim, ax.zz_dataLim
    return [float(xy.x0), float(xy.x1), float(xy.y0), float(xy.y1), float(z.x0), float(z.x1)]


def legend_entries(fig) -> list[tuple[str, object]] | None:
    """(text, handle) of every entry of every legend in the figure (axes or figure legends); None if there is none."""
    legends = [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None] + list(fig.legends)
    if not legends:
        return None
    entries = []
    for legend in legends:
        handles = getattr(legend, "legend_handles", None)
        entries += zip((text(t.get_text()) for t in legend.get_texts()),
                       handles if handles is not None else legend.legendHandles)
    return entries


def _looks(line) -> tuple:
    from matplotlib.colors import to_rgba

    return to_rgba(line.get_color()), line.get_linestyle(), str(line.get_marker())


def legend_text(series: Series, entries: list[tuple[str, object]]) -> str | None:
    """The text the legend shows for a drawn line: the entry drawn like it (colour, line style, marker)
    with the line's own label, else the only entry drawn like it (as ``plt.legend(labels)`` makes)."""
    from matplotlib.lines import Line2D

    if not isinstance(series.artist, Line2D):
        return series.label if series.label in [t for t, _ in entries] else None
    alike = [t for t, h in entries if isinstance(h, Line2D) and _looks(h) == _looks(series.artist)]
    if series.label in alike:
        return series.label
    return alike[0] if len(alike) == 1 else None


def names(label: str) -> str:
    """'w' or 'b' if an axis label names that parameter (e.g. 'w', '$w$', 'bias'); else the label itself."""
    words = set(re.findall(r"[a-z]+", label.lower()))
    is_w, is_b = bool(words & set(W_WORDS)), bool(words & set(B_WORDS))
    if is_w != is_b:
        return "w" if is_w else "b"
    return label


def axis_labels(ax) -> list[str]:
    """The x and y labels of an axes, each read by ``names``."""
    return [names(text(ax.get_xlabel())), names(text(ax.get_ylabel()))]


def distance(xy: np.ndarray, target: np.ndarray) -> float:
    """How far drawn data is from the data meant (same shape): the largest relative difference; inf otherwise."""
    if xy.shape != target.shape:
        return float("inf")
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.abs(xy - target) / (1e-8 + 1e-6 * np.abs(target))
    return float(np.nanmax(d)) if np.all(np.isfinite(xy)) else float("inf")


def closest(candidates: list[Series], target: np.ndarray) -> Series | None:
    """The candidate that draws ``target`` (n, 2): the same number of points first, then the nearest data."""
    if not candidates:
        return None
    return min(candidates, key=lambda s: (abs(len(s.xy) - len(target)), distance(s.xy, target)))


def match(series: list[Series], wanted: dict[str, np.ndarray]) -> dict[str, Series]:
    """Assign a drawn line to each wanted series (key -> y values) by data, not by order.

    Lines that draw a series' data exactly are assigned first (a label naming the key breaks
    ties); each key left over takes the remaining line its label names, else the nearest.
    A key with no line left is absent from the result.
    """
    free, found = list(series), {}

    def prefer(key, s):
        label = s.label.strip().lower()
        return (label != key.strip().lower(), key.strip().lower() not in label)

    for exact in (True, False):
        for key, y in wanted.items():
            if key in found:
                continue
            pool = [s for s in free if distance(s.xy[:, 1], y) <= 1] if exact else free
            if pool:
                best = min(pool, key=lambda s: (*prefer(key, s), len(s.xy) != len(y),
                                                distance(s.xy[:, 1], y)))
                found[key] = best
                free.remove(best)
    return found
