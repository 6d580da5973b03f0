"""Checks for exercises/seeing.py: the loss surface, the parameter path and the loss histories (labs 003, 000).

The plots are graded from the Figure each function returns (grader/figures.py reads it),
on inputs given as data: lab 003's own loss histories and path for the public cases, and
made-up bowls, paths and histories for the rest. A plotting check then depends neither on
the student's training code nor on a copy of the solutions shipped with the grader.
"""
import numpy as np

from .. import figures, hints, variants
from ..plain import text
from ..probes import Missing, unpack
from ..spec import Check, Exercise, Output, per_iteration, public, settings
from .minibatch import DATA, data  # lab 003's noisy line

SURFACE = dict(DATA, w_range=15.0, b_range=13.0, n_samples=30)
EXTENT = ("w min", "w max", "b min", "b max", "Z min", "Z max")  # a contour's or a 3D view's, as figures reads them


# Builders: case parameters -> the target's arguments (run in the child).

# Lab 003's loss histories (compare_methods of exercise minibatch, 7 digits) and the path of its batch
# gradient descent, (w, b) before each update; a test holds them to the reference.
LAB_HISTORIES = {
    "Batch Gradient Descent": [835.2761, 175.4669, 55.02784, 26.09428, 15.25407, 9.538639, 6.074167, 3.886739,
                               2.490892, 1.597787],
    "Stochastic Gradient Descent": [835.2761, 83.79591, 20.33747, 4.659733, 1.211859, 0.2537616, 0.09298458,
                                    0.02195824, 0.02104446, 0.01302954],
    "Mini-Batch Gradient Descent, Batch size: 5": [835.2761, 0.1872183, 0.008115153, 0.008204607, 0.008205196,
                                                   0.008205196, 0.008205196, 0.008205196, 0.008205196, 0.008205196],
    "Mini-Batch Gradient Descent, Batch size: 10": [835.2761, 33.13597, 0.6413561, 0.008567413, 0.008839358,
                                                    0.008353776, 0.008299479, 0.008299305, 0.008299971, 0.008300039],
    "Mini-Batch Gradient Descent, Batch size: 20": [835.2761, 85.69485, 5.429042, 0.3364383, 0.02750107,
                                                    0.008916188, 0.007833735, 0.007779546, 0.007779109, 0.007779789],
}
LAB_PATH = [(-15.0, -10.0), (-5.480622, -8.364511), (-1.659689, -6.960926), (-0.1185547, -5.799848),
            (0.5089962, -4.855575), (0.76925, -4.093881), (0.8808817, -3.481923), (0.9316168, -2.991241),
            (0.9568007, -2.598187), (0.9707964, -2.283493)]


def bowl(p):
    """The lab's (w, b) grid, and a made-up bowl on it: a plotting check needs a surface, not the real cost."""
    W, B = np.meshgrid(np.linspace(-p["w_range"], p["w_range"], p["n_samples"]),
                       np.linspace(-p["b_range"], p["b_range"], p["n_samples"]))
    dw, db = W - p["w_low"], B - p["b_low"]
    return W, B, p["z_low"] + p["steep"] * dw ** 2 + db ** 2 + p["tilt"] * dw * db


def path(p):
    """Lab 003's path, or a made-up one from (w0, b0) to the bottom of the bowl."""
    if p.get("path") == "lab":
        return LAB_PATH
    return [(p["w_low"] + (p["w0"] - p["w_low"]) * p["rate"] ** k,
             p["b_low"] + (p["b0"] - p["b_low"]) * p["rate"] ** (k / 2)) for k in range(p["num_updates"])]


def path_args(p):
    return (*bowl(p), path(p))


def histories_args(p):
    """Lab 003's loss histories, or made-up ones: each method falls from the same start at its own rate."""
    if p.get("methods") == "lab":
        return (LAB_HISTORIES,)
    return ({label: [p["floor"] + (p["start"] - p["floor"]) * rate ** epoch for epoch in range(p["num_epochs"])]
             for label, rate in p["methods"].items()},)


# Probes: how each target is exercised (run in the child).

def probe_grid(loss_surface, args, p):
    return unpack(loss_surface(*args), ("W", "B", "Z"), "loss_surface()")


def the_contour(fig):
    """The first 2D axes holding a contour set, and that set; (None, None) if there is none."""
    for ax in figures.flat_axes(fig):
        sets = figures.contour_sets(ax)
        if sets:
            return ax, sets[0]
    return None, None


NO_CONTOUR = Missing("no contour map in the figure", "draw one with ax.contour(W, B, Z) or plt.contour(W, B, Z)")
NO_3D = Missing("no 3D axes in the figure", "draw the surface on fig.add_subplot(1, 2, 1, projection='3d')")


def probe_surface(plot_surface, args, p):
    with figures.drawn(plot_surface, args, "plot_surface()") as fig:
        _, cs = the_contour(fig)
        views = [figures.surface_extent(ax) for ax in figures.axes_3d(fig)]
        views = [v for v in views if v is not None]
        return {"contour": figures.contour_extent(cs) if cs is not None else NO_CONTOUR,
                "surface": views[0] if views else NO_3D}


def map_axes(fig):
    """The axes of the contour map; without a contour, the first 2D axes (or None)."""
    ax, _ = the_contour(fig)
    return ax or next(iter(figures.flat_axes(fig)), None)


NO_AXES = Missing("no 2D axes in the figure")


def probe_surface_labels(plot_surface, args, p):
    with figures.drawn(plot_surface, args, "plot_surface()") as fig:
        ax, three = map_axes(fig), figures.axes_3d(fig)
        return {"axis labels": figures.axis_labels(ax) if ax is not None else NO_AXES,
                "surface axis labels": figures.axis_labels(three[0]) if three else NO_3D}


def probe_path(plot_path, args, p):
    params = np.asarray(args[3], dtype=np.float64)
    with figures.drawn(plot_path, args, "plot_path()") as fig:
        _, cs = the_contour(fig)
        candidates = [s for ax in figures.flat_axes(fig) for s in figures.point_series(ax)]
        drawn = figures.closest(candidates, params)
        return {"contour": figures.contour_extent(cs) if cs is not None else NO_CONTOUR,
                "path": drawn.xy if drawn is not None else Missing(
                    "no path in the figure", "draw the (w, b) of params with plot or scatter, w on the x axis")}


def probe_path_labels(plot_path, args, p):
    with figures.drawn(plot_path, args, "plot_path()") as fig:
        ax = map_axes(fig)
        return {"axis labels": figures.axis_labels(ax) if ax is not None else NO_AXES}


def drawn_lines(fig, histories):
    """Each history's line (matched by its data), and the axes it is on."""
    where = [(ax, s) for ax in figures.flat_axes(fig) for s in figures.lines(ax)]
    found = figures.match([s for _, s in where], {k: np.asarray(v, dtype=np.float64) for k, v in histories.items()})
    axes = {id(s): ax for ax, s in where}
    return found, [axes[id(s)] for s in found.values()]


def epochs_ok(x, n):
    return len(x) == n and (np.array_equal(x, np.arange(n)) or np.array_equal(x, np.arange(1, n + 1)))


def probe_lines(plot_loss_histories, args, p):
    histories = args[0]
    with figures.drawn(plot_loss_histories, args, "plot_loss_histories()") as fig:
        found, _ = drawn_lines(fig, histories)
        missing = [k for k in histories if k not in found]
        if missing:
            return {"lines": Missing(f"no line for {', '.join(map(repr, missing))}: the figure has "
                                     f"{len(found)} line(s) for {len(histories)} histories",
                                     "draw one line per history, whatever their number: loop over histories")}
        for key, losses in histories.items():
            x = found[key].xy[:, 0]
            if len(x) != len(losses):
                return {"lines": Missing(f"the line of {key!r} has {len(x)} points; its history has "
                                         f"{len(losses)} epochs", "draw every loss of each history, one per epoch")}
            if not epochs_ok(x, len(losses)):
                return {"lines": Missing(f"the line of {key!r} has x values {x[:3].tolist()}...",
                                         "plot each loss at its epoch (x = 0, 1, 2, ... or 1, 2, 3, ..., "
                                         "or leave x out)")}
        return {"lines": np.concatenate([found[k].xy[:, 1] for k in histories])}


def names_key(label, keys):
    """The key a line's label names: the longest key it holds (case aside), so that
    'Mini-Batch Gradient Descent, Batch size: 5' names that key, not 'Batch Gradient Descent'."""
    held = [k for k in keys if k.lower() in label.lower()]
    return max(held, key=len) if held else None


def probe_line_labels(plot_loss_histories, args, p):
    histories = args[0]
    with figures.drawn(plot_loss_histories, args, "plot_loss_histories()") as fig:
        found, axes = drawn_lines(fig, histories)
        entries = figures.legend_entries(fig)
        ax = axes[0] if axes else next(iter(figures.flat_axes(fig)), None)
        shown = {k: figures.legend_text(s, entries or []) for k, s in found.items()}
        # A history without a line is the lines check's to report, not this one's. A line is labelled
        # by its own label or, failing that, by the legend entry drawn like it (plt.legend(labels)).
        labels = {k: (found[k].label or shown[k] or "") if k in found else k for k in histories}
        named = {k: names_key(labels[k], histories) == k for k in histories}
        out = {"labels": [k if named[k] else labels[k] for k in histories],
               # judged on the lines whose label is right: a wrong label is the labels output's to report
               "legend": [k if not named[k] or k not in found or names_key(shown[k] or "", histories) == k else ""
                          for k in histories] if entries is not None else Missing(
                   "no legend", "call plt.legend() or ax.legend() after drawing the labelled lines"),
               "xlabel": True, "ylabel": True}
        for axis in ("x", "y"):
            if ax is None or not text(getattr(ax, f"get_{axis}label")()).strip():
                out[f"{axis}label"] = Missing(f"the {axis} axis has no label", "label both axes: plt.xlabel(...) and "
                                              "plt.ylabel(...), or ax.set_xlabel(...) and ax.set_ylabel(...)")
        return out


# What is compared.

def per_method(i, p):
    """Names position i of all the histories one after the other: the method and the epoch."""
    (histories,) = histories_args(p)
    keys, n = list(histories), len(next(iter(histories.values())))
    return f"{keys[i // n]!r}, epoch {i % n}"


SHAPE = {"shape": "a grid of shape {got}, not {expected}: n_samples values along each axis"}
GRID_HINTS = {
    **SHAPE,
    "transposed": "the grid is transposed: np.meshgrid(w_values, b_values) with its default indexing='xy' "
                  "gives W[i, j] = the j-th w and B[i, j] = the i-th b",
    "scaled": "{factor:.4g}x the expected grid: are w_range and b_range (or the meshgrid arguments) swapped?",
}
Z_HINTS = {
    **hints.MEAN, **SHAPE,
    "flipped": "Z is the right surface mirrored, the cost at -b (or -w): a sign slip? "
               "The error of y_hat = w*x + b is y - (w*x + b), not y - w*x + b",
    "transposed": "Z is transposed: Z[i, j] belongs to the i-th b (row) and the j-th w (column)",
}
CONTOUR = Output("contour", "the contour map: the extent of its grid in w and b and its range of Z", rtol=1e-5,
                 atol=1e-6, columns=EXTENT, hints={
                     "crossed": "the {column} of the map is what the {other} should be: w goes on the x axis, "
                                "b on the y axis (contour(W, B, Z))"})
AXES_NAMED = {"any": "label the x axis w and the y axis b, e.g. ax.set_xlabel('w') and ax.set_ylabel('b')"}
AXIS_LABELS = Output("axis labels", "the x and y labels of the contour map, read as 'w' and 'b'", exact=True,
                     hints=AXES_NAMED)


BOWL = dict(w_range=15.0, b_range=13.0, n_samples=30, w_low=1.0, b_low=-1.0, z_low=0.01, steep=3.0, tilt=0.0)
PATH = dict(BOWL, path="lab")
HISTORIES = dict(methods="lab")

EXERCISE = Exercise(
    id="seeing",
    title="Seeing it: loss surface, parameter path and loss histories",
    lab="003, 000",
    teaches="the cost as a surface over (w, b), its contour map, the path of gradient descent, loss histories",
    imports=("torch", "matplotlib", "matplotlib.pyplot", "mpl_toolkits.mplot3d"),
    checks=(
        Check("loss_surface", 3.0,
              about="loss_surface(X, y, w_range, b_range, n_samples): the grid W, B and the cost Z on it",
              params=SURFACE, build=lambda p: (*data(p), p["w_range"], p["b_range"], p["n_samples"]),
              cases=public({}, {"w_range": 5.0, "b_range": 8.0, "n_samples": 12},
                           label=settings("w_range", "b_range", "n_samples")),
              probe=probe_grid,
              mistakes=(variants.code("sign_slip", "with the lab helper's sign slip, the error as y - w*x + b, "
                                                   "which mirrors the surface in b"),
                        variants.code("ij_indexing", "with np.meshgrid(..., indexing='ij'), which transposes the "
                                                     "grid and the surface"),
                        variants.code("ranges_swapped", "when w_range and b_range are swapped in the meshgrid"),
                        variants.code("sum", "with the squared errors summed instead of averaged"),
                        variants.setting("n_samples 30", "with the lab's 30 samples along each axis, whatever "
                                                         "n_samples it is given", "n_samples", 30)),
              outputs=(Output("W", "the w of each grid point", rtol=1e-5, atol=1e-4, hints=GRID_HINTS),
                       Output("B", "the b of each grid point", rtol=1e-5, atol=1e-4, hints=GRID_HINTS),
                       Output("Z", "the mean squared error at each grid point", rtol=1e-4, atol=1e-4,
                              hints=Z_HINTS))),
        Check("plot_surface", 1.0, params=BOWL, build=bowl, probe=probe_surface,
              mistakes=(variants.code("contour_bw", "when the contour map is drawn as contour(B, W, Z), b on "
                                                    "the x axis"),),
              about="plot_surface(W, B, Z): the 3D surface and the contour map of Z",
              outputs=(Output("surface", "the 3D view: its data limits in w, b and Z", rtol=1e-5, atol=1e-6,
                              columns=EXTENT), CONTOUR)),
        Check("plot_surface", 1.0, name="plot_surface labels", params=BOWL, build=bowl, probe=probe_surface_labels,
              about="plot_surface(W, B, Z): the axis labels of both views",
              outputs=(AXIS_LABELS, Output("surface axis labels", "the x and y labels of the 3D view", exact=True,
                                           hints=AXES_NAMED))),
        Check("plot_path", 2.0, params=PATH, build=path_args, probe=probe_path,
              mistakes=(variants.code("path_bw", "when the path is drawn as (b, w), b on the x axis"),
                        variants.code("path_from_second", "when the path is drawn from its second point on")),
              swap=("plot_surface",),
              about="plot_path(W, B, Z, params): the contour map of Z and the path of (w, b) drawn over it",
              outputs=(CONTOUR, Output("path", "the points of the path, as (w, b)", rtol=1e-5, atol=1e-6,
                                       columns=("w", "b"), history=per_iteration, hints={
                                           "shifted": "the path starts at its second point: draw every (w, b) "
                                                      "of params, from the first",
                                           "swapped": "the points are drawn as (b, w): w goes on the x axis, "
                                                      "b on the y axis",
                                           "flipped": "the points come in reverse order: draw params from the "
                                                      "first (w, b) to the last"}))),
        Check("plot_path", 1.0, name="plot_path labels", params=PATH, build=path_args, probe=probe_path_labels,
              swap=("plot_surface",), about="plot_path(W, B, Z, params): the axis labels", outputs=(AXIS_LABELS,)),
        Check("plot_loss_histories", 2.0, params=HISTORIES, build=histories_args,
              mistakes=(variants.code("log_losses", "when the log of each loss is plotted, not the loss"),),
              probe=probe_lines,
              about="plot_loss_histories(histories): a line per history, matched by its data",
              outputs=(Output("lines", "the y values of each history's line", rtol=1e-5, atol=1e-8,
                              history=per_method),)),
        Check("plot_loss_histories", 1.0, name="plot_loss_histories labels", params=HISTORIES, build=histories_args,
              probe=probe_line_labels,
              about="plot_loss_histories(histories): each line's label, the legend and the axis labels",
              outputs=(Output("labels", "the label of each history's line (its key, or the label found)", exact=True,
                              hints={"any": "label each line with its own history's key: "
                                            "for label, losses in histories.items(): ax.plot(losses, label=label)"}),
                       Output("legend", "the histories the legend names", exact=True, hints={
                           "any": "the legend names no line: call ax.legend() after the labelled lines are drawn"}),
                       Output("xlabel", "whether the x axis is labelled", exact=True),
                       Output("ylabel", "whether the y axis is labelled", exact=True))),
    ),
)
