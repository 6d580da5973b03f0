"""Pictures of what went wrong: a failed history against the expected one, and a class at a glance.

Drawn in the grading process from plain numbers it already holds (never by student
code), with matplotlib's object API so that no display is needed. Imported only when
a plot is asked for.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .results import Curve, Report

EXPECTED, GOT = "#1f77b4", "#d62728"


def history_figure(title: str, curves: tuple[Curve, ...]) -> Figure:
    """One panel per history (per column for (w, b) histories): expected and got, the first miss marked."""
    panels = [(curve, j) for curve in curves for j in (range(len(curve.columns)) if curve.columns else (None,))]
    fig = Figure(figsize=(6.4, 2.6 * len(panels) + 0.6), layout="constrained")
    fig.suptitle(title, fontsize=11)
    for ax, (curve, j) in zip(fig.subplots(len(panels), 1, squeeze=False)[:, 0], panels):
        e, g = np.asarray(curve.expected, float), np.asarray(curve.got, float)
        if j is not None:
            e, g = e[:, j], g[:, j]
        ax.plot(e, color=EXPECTED, lw=2.5, alpha=0.6, label="expected")
        ax.plot(g, color=GOT, lw=1.2, marker="." if len(g) <= 60 else None, label="yours")
        ax.axvline(curve.first, color="grey", ls="--", lw=1)
        ax.annotate(f"first out of tolerance: {curve.where or f'{curve.unit} {curve.first}'}", (curve.first, 1),
                    xycoords=("data", "axes fraction"), xytext=(4, -12), textcoords="offset points", fontsize=8,
                    color="dimgrey", bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))
        if _log_scale(e, g):
            ax.set_yscale("log")
        name = curve.output + (f": {curve.columns[j]}" if j is not None else "")
        ax.set_title(f"{name} ({curve.about})" if curve.about else name, fontsize=9, loc="left")
        ax.set_xlabel(curve.unit)
        ax.legend(fontsize=8)
    return fig


def _log_scale(e: np.ndarray, g: np.ndarray) -> bool:
    """A log axis for positive values that span decades (losses falling from 800 to 0.01)."""
    values = np.concatenate([e[np.isfinite(e)], g[np.isfinite(g)]])
    return values.size > 0 and bool(np.all(values > 0)) and values.max() / values.min() > 100


def png(fig: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def write_history_plots(report: Report, folder: Path) -> list[Path]:
    """A PNG for every failed check with a history to show; the files written."""
    written = []
    for ex in report.exercises:
        for check in ex.checks:
            if check.curves:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{ex.exercise}.{slug(check.name)}.png"
                history_figure(f"{ex.exercise}: {check.name}", check.curves).savefig(path, dpi=110)
                written.append(path)
    return written


def class_figure(reports: list[dict]) -> Figure:
    """The class at a glance: how the totals spread, and the share of the points the class earned on each
    check (its public and hidden cases together)."""
    totals = [r["score"] / r["max_score"] * 100 if r["max_score"] else 0.0 for r in reports]
    earned: dict[str, list[float]] = {}
    for r in reports:
        for e in r["exercises"]:
            for c in e["checks"]:
                points = earned.setdefault(f"{e['exercise']}: {c['name'].split(' [')[0]}", [0.0, 0.0])
                points[0] += c["score"]
                points[1] += c["max_score"]
    names = list(earned)
    share = [100 * got / total if total else 0.0 for got, total in earned.values()]
    fig = Figure(figsize=(8, 3.2 + 0.22 * len(names)), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=(2.4, 0.22 * len(names) + 0.8))
    top.hist(totals, bins=np.linspace(0, 100, 21), color=EXPECTED, edgecolor="white")
    top.yaxis.get_major_locator().set_params(integer=True)
    top.set_xlim(0, 100)
    top.set_xlabel("total score (% of the maximum)")
    top.set_ylabel("students")
    top.set_title(f"{len(reports)} students: their totals", fontsize=10, loc="left")
    bottom.barh(range(len(names)), share, color=[EXPECTED if s >= 50 else GOT for s in share])
    bottom.set_yticks(range(len(names)), names, fontsize=8)
    bottom.invert_yaxis()
    bottom.set_xlim(0, 100)
    bottom.set_xlabel("points earned by the class (% of the points there were)")
    bottom.set_title("each check: red where the class earned less than half", fontsize=10, loc="left")
    return fig
