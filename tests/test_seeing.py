"""The seeing exercise: typical mistakes lose points where they belong; correct styles get full marks.

Also pins the loss surface of lab 003 (at grid points, summed by hand) and shows the
lab's own formula, (y - w*x + b), gives other numbers: the surface mirrored in b.
"""

import numpy as np
import pytest

from conftest import assert_mistake, assert_style, every, load_reference, mutate

SURFACE, PLOT_SURFACE, SURFACE_LABELS, PATH, PATH_LABELS, LINES, LINE_LABELS = (every("seeing", check) for check in (
    "loss_surface", "plot_surface", "plot_surface labels", "plot_path", "plot_path labels", "plot_loss_histories",
    "plot_loss_histories labels"))

GRID = "W, B = np.meshgrid(np.linspace(-w_range, w_range, n_samples), np.linspace(-b_range, b_range, n_samples))"
COST = "Z = np.mean((y - y_hat) ** 2, axis=-1)"
SURFACE_BODY = """    x, y = np.asarray(X, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    W, B = np.meshgrid(np.linspace(-w_range, w_range, n_samples), np.linspace(-b_range, b_range, n_samples))
    y_hat = W[..., None] * x + B[..., None]  # (n_samples, n_samples, m): every line at every x
    Z = np.mean((y - y_hat) ** 2, axis=-1)
    return W, B, Z
"""
VIEW_3D = """    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(W, B, Z, cmap="viridis", edgecolor="none")
    ax.set(title="Loss Surface", xlabel="w", ylabel="b")
"""
CONTOUR_VIEW = """    ax = fig.add_subplot(1, 2, 2)
    ax.contour(W, B, Z)
    ax.set(title="Loss Surface Contour", xlabel="w", ylabel="b")
    return fig
"""
PATH_BODY = """    fig, ax = plt.subplots()
    ax.contour(W, B, Z)
    w, b = np.asarray(params, dtype=np.float64).T
    ax.plot(w, b, "rx-")
    ax.set(title="Loss Surface Contour", xlabel="w", ylabel="b")
    return fig
"""
HISTORIES_BODY = """    fig, ax = plt.subplots()
    for label, losses in histories.items():
        ax.plot(losses, label=label)
    ax.set(title="Loss at the start of each epoch", xlabel="epoch", ylabel="loss")
    ax.legend()
    return fig
"""

# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    "the path never drawn": (
        [('    ax.plot(w, b, "rx-")\n', "")],
        PATH, "no path in the figure", "draw the (w, b) of params with plot or scatter"),
    "each loss plotted from x = 10": (
        [("        ax.plot(losses, label=label)\n", "        ax.plot(range(10, 10 + len(losses)), losses, label=label)\n")],
        LINES, "has x values [10", "plot each loss at its epoch"),
    "the lab's sign slip, y - w*x + b": (
        [(COST, "Z = np.mean((y - W[..., None] * x + B[..., None]) ** 2, axis=-1)")],
        SURFACE, "Z: at index", "with the lab helper's sign slip"),
    "meshgrid with indexing='ij' (W, B, Z transposed)": (
        [(GRID, GRID[:-1] + ", indexing='ij')")],
        SURFACE, "W: at index 0, 1: expected -13.9655, got -15 (870 of 900 values differ)",
        "with np.meshgrid(..., indexing='ij')"),
    "w_range and b_range swapped in the meshgrid": (
        [(GRID, "W, B = np.meshgrid(np.linspace(-b_range, b_range, n_samples), "
                "np.linspace(-w_range, w_range, n_samples))")],
        SURFACE,
        "W: at index 0, 0: expected -15, got -13",
        "when w_range and b_range are swapped in the meshgrid"),
    "sum instead of mean": (
        [(COST, "Z = np.sum((y - y_hat) ** 2, axis=-1)")],
        SURFACE, "Z: at index 0, 0: expected 893.341, got 53600.4",
        "with the squared errors summed instead of averaged"),
    "grid size hard-coded to 30, as in the lab": (
        [(GRID, GRID.replace("n_samples)", "30)"))],
        SURFACE - {"loss_surface"}, "expected shape (12, 12), got (30, 30)",
        "with the lab's 30 samples along each axis"),
    "contour drawn as contour(B, W, Z)": (
        [(CONTOUR_VIEW, CONTOUR_VIEW.replace("ax.contour(W, B, Z)", "ax.contour(B, W, Z)"))],
        PLOT_SURFACE, "contour: w min expected -15, got -13",
        "when the contour map is drawn as contour(B, W, Z)"),
    "contour(B, W, Z) in plot_surface, which plot_path reuses": (  # plot_path runs with the reference's
        [(CONTOUR_VIEW, CONTOUR_VIEW.replace("ax.contour(W, B, Z)", "ax.contour(B, W, Z)")),
         (PATH_BODY, "    fig = plot_surface(W, B, Z)\n    w, b = zip(*params)\n    fig.axes[1].plot(w, b, 'rx')\n"
                     "    return fig\n")],
        PLOT_SURFACE, "contour: w min expected -15, got -13",
        "when the contour map is drawn as contour(B, W, Z)"),
    "no 3D view": (
        [(VIEW_3D, "")],
        PLOT_SURFACE | SURFACE_LABELS, "surface: no 3D axes in the figure",
        "draw the surface on fig.add_subplot(1, 2, 1, projection='3d')"),
    "surface views without axis labels": (
        [(VIEW_3D, VIEW_3D.replace(', xlabel="w", ylabel="b"', "")),
         (CONTOUR_VIEW, CONTOUR_VIEW.replace(', xlabel="w", ylabel="b"', ""))],
        SURFACE_LABELS, "axis labels: expected ['w', 'b'], got ['', '']",
        'label the x axis w and the y axis b'),
    "path drawn as (b, w)": (
        [("w, b = np.asarray(params, dtype=np.float64).T", "b, w = np.asarray(params, dtype=np.float64).T")],
        PATH, "path: at iteration 0: w expected -15, got -10; b expected -10, got -15",
        "when the path is drawn as (b, w)"),
    "path drawn without its first point": (
        [('ax.plot(w, b, "rx-")', 'ax.plot(w[1:], b[1:], "rx-")')],
        PATH, "path: expected 10 entries (iteration 0 to iteration 9), got 9",
        "when the path is drawn from its second point on"),
    "path without the contour map": (
        [(PATH_BODY, PATH_BODY.replace("    ax.contour(W, B, Z)\n", ""))],
        PATH, "contour: no contour map in the figure",
        'draw one with ax.contour(W, B, Z)'),
    "path without axis labels": (
        [(PATH_BODY, PATH_BODY.replace(', xlabel="w", ylabel="b"', ""))],
        PATH_LABELS, "axis labels: expected ['w', 'b'], got ['', '']",
        'label the x axis w and the y axis b'),
    "path labels swapped": (
        [(PATH_BODY, PATH_BODY.replace('xlabel="w", ylabel="b"', 'xlabel="b", ylabel="w"'))],
        PATH_LABELS, "axis labels: expected ['w', 'b'], got ['b', 'w']",
        'label the x axis w and the y axis b'),
    "path figure not returned": (
        [(PATH_BODY, PATH_BODY.replace("    return fig\n", ""))],
        PATH | PATH_LABELS, "plot_path() returned None; expected the matplotlib Figure it drew",
        'end with `return fig`'),
    "a method missing": (
        [("for label, losses in histories.items():", "for label, losses in list(histories.items())[:-1]:")],
        LINES, "lines: no line for 'Mini-Batch Gradient Descent, Batch size: 20'",
        'draw one line per history'),
    "only the lab's four methods, hard-coded": (
        [("for label, losses in histories.items():", "for label, losses in list(histories.items())[:4]:")],
        LINES - {"plot_loss_histories [hidden 2]"},  # hidden 2 has three methods
        "lines: no line for 'Mini-Batch Gradient Descent, Batch size: 20'",
        'draw one line per history, whatever their number'),
    "losses plotted from epoch 1 on": (
        [("ax.plot(losses, label=label)", "ax.plot(losses[1:], label=label)")],
        LINES, "the line of 'Batch Gradient Descent' has 9 points; its history has 10 epochs",
        'draw every loss of each history'),
    "lines without labels": (
        [("ax.plot(losses, label=label)", "ax.plot(losses)")],
        LINE_LABELS, "labels: expected ['Batch Gradient Descent', 'Stochastic Gradient Descent'",
        "label each line with its own history's key"),
    "labels given in the wrong order": (
        [("    for label, losses in histories.items():\n        ax.plot(losses, label=label)\n",
          "    for label, losses in zip(reversed(histories), histories.values()):\n"
          "        ax.plot(losses, label=label)\n")],
        LINE_LABELS, "got ['Mini-Batch Gradient Descent, Batch size: 20'",
        "label each line with its own history's key"),
    "legend made before the lines": (
        [("    ax.legend()\n", ""), ("    fig, ax = plt.subplots()\n    for label, losses",
                                    "    fig, ax = plt.subplots()\n    ax.legend()\n    for label, losses")],
        LINE_LABELS, "legend: expected ['Batch Gradient Descent', 'Stochastic Gradient Descent', "
                     "'Mini-Batch Gradient Descent, Batch size: 5', 'Mini-Batch Gradient Descent, Batch size: 10', "
                     "'Mini-Batch Gradient Descent, Batch size: 20'], got ['', '', '', '', '']",
        'call ax.legend() after the labelled lines are drawn'),
    "legend labels in the wrong order": (
        [("ax.plot(losses, label=label)", "ax.plot(losses)"), ("ax.legend()", "ax.legend(list(histories)[::-1])")],
        LINE_LABELS, "labels: expected ['Batch Gradient Descent', 'Stochastic Gradient Descent', "
                     "'Mini-Batch Gradient Descent, Batch size: 5', 'Mini-Batch Gradient Descent, Batch size: 10', "
                     "'Mini-Batch Gradient Descent, Batch size: 20'], got ['Mini-Batch Gradient Descent, Batch "
                     "size: 20', 'Mini-Batch Gradient Descent, Batch size: 10'",
        "label each line with its own history's key"),
    "log of the losses plotted": (
        [("ax.plot(losses, label=label)", "ax.plot(np.log(losses), label=label)")],
        LINES, "lines: at 'Batch Gradient Descent', epoch 0: expected 835.276, got 6.72776",
        "when the log of each loss is plotted"),
    "no legend": (
        [("    ax.legend()\n", "")],
        LINE_LABELS, "legend: no legend",
        'call plt.legend() or ax.legend() after drawing the labelled lines'),
    "loss plot without axis labels": (
        [('title="Loss at the start of each epoch", xlabel="epoch", ylabel="loss"',
          'title="Loss at the start of each epoch"')],
        LINE_LABELS, "xlabel: the x axis has no label",
        'label both axes'),
    "loss figure not returned": (
        [(HISTORIES_BODY, HISTORIES_BODY.replace("    return fig\n", ""))],
        LINES | LINE_LABELS, "plot_loss_histories() returned None",
        'end with `return fig`'),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text, hint = MISTAKES[name]
    result = grade_source("seeing", mutate("seeing", *replacements))
    assert_mistake("seeing", result, owners, text, hint=hint, name=name)


# name: replacements that keep the answer correct
STYLES = {
    "loss surface in loops, as in the lab": [
        (SURFACE_BODY,
         "    x, y = X.numpy(), y.numpy()\n"
         f"    {GRID}\n"
         "    Z = np.zeros((n_samples, n_samples))\n"
         "    for i, (w_row, b_row) in enumerate(zip(W, B)):\n"
         "        for j, (w, b) in enumerate(zip(w_row, b_row)):\n"
         "            Z[i, j] = np.mean((y - (w * x + b)) ** 2)\n"
         "    return W, B, Z\n")],
    "loss surface in torch, float32 tensors back": [
        (SURFACE_BODY,
         "    W, B = torch.meshgrid(torch.linspace(-w_range, w_range, n_samples),\n"
         "                          torch.linspace(-b_range, b_range, n_samples), indexing='xy')\n"
         "    Z = ((y.view(1, 1, -1) - (W.unsqueeze(-1) * X.view(1, 1, -1) + B.unsqueeze(-1))) ** 2).mean(-1)\n"
         "    return W, B, Z\n")],
    "indexing='xy' spelled out, a list back": [
        (GRID, GRID[:-1] + ", indexing='xy')"), ("    return W, B, Z\n", "    return [W, B, Z.tolist()]\n")],
    "surface in pyplot's state machine, wireframe and contourf, contour first": [
        (VIEW_3D + CONTOUR_VIEW,
         "    plt.subplot(1, 2, 1)\n    plt.contourf(W, B, Z)\n    plt.xlabel('w')\n    plt.ylabel('b')\n"
         "    plt.subplot(1, 2, 2, projection='3d').plot_wireframe(W, B, Z)\n    plt.xlabel('$w$')\n"
         "    plt.ylabel('$b$')\n    return plt.gcf()\n")],
    "surface with tight_layout, saved and shown": [
        (CONTOUR_VIEW, CONTOUR_VIEW.replace("    return fig\n", "    fig.tight_layout()\n"
                                            "    fig.savefig('surface.png')\n    plt.show()\n    return fig\n"))],
    "surface views from subplot codes, labels spelled out": [
        (VIEW_3D, VIEW_3D.replace("1, 2, 1,", "121,").replace('xlabel="w", ylabel="b"',
                                                               'xlabel="weight w", ylabel="bias b"')),
        (CONTOUR_VIEW, CONTOUR_VIEW.replace("1, 2, 2", "122").replace('xlabel="w", ylabel="b"',
                                                                        'xlabel="Weight", ylabel="Bias"'))],
    "path as red x markers over plt.contour, as in the lab": [
        (PATH_BODY,
         "    plt.figure()\n    plt.contour(W, B, Z)\n"
         "    plt.scatter([p[0] for p in params], [p[1] for p in params], c='r', marker='x')\n"
         "    plt.xlabel('w')\n    plt.ylabel('b')\n    return plt.gcf()\n")],
    "path one marker at a time, fig and ax back": [
        (PATH_BODY,
         "    fig, ax = plt.subplots()\n    ax.contourf(W, B, Z, levels=20)\n"
         "    for w, b in params:\n        ax.plot(w, b, 'rx')\n"
         "    ax.set_xlabel('w')\n    ax.set_ylabel('b')\n    return fig, ax\n")],
    "path as float32 tensors over the reference's plot_surface": [
        (PATH_BODY,
         "    fig = plot_surface(W, B, Z)\n    ax = fig.axes[1]\n"
         "    path = torch.tensor(params)\n    ax.plot(path[:, 0], path[:, 1], 'r-x', label='path')\n"
         "    return ax\n")],
    "histories in pyplot's state machine, epochs from 1, a figure legend, log scale": [
        (HISTORIES_BODY,
         "    plt.figure()\n    for key in histories:\n"
         "        plt.plot(range(1, len(histories[key]) + 1), histories[key], label=key)\n"
         "    plt.yscale('log')\n    plt.xlabel('Epoch')\n    plt.ylabel('Cost')\n"
         "    plt.gcf().legend()\n    return plt.gcf()\n")],
    "unlabelled lines named by legend(labels), one colour each": [
        ("    for label, losses in histories.items():\n        ax.plot(losses, label=label)\n",
         "    for losses, colour in zip(histories.values(), ['k', 'r', 'g', 'b', 'm', 'c']):\n"
         "        ax.plot(losses, colour + '-o')\n"),
        ("ax.legend()", "ax.legend(list(histories))")],
    "histories as float32 tensors, longer labels, in reverse order": [
        ("    for label, losses in histories.items():\n        ax.plot(losses, label=label)\n",
         "    for label in reversed(list(histories)):\n"
         "        ax.plot(torch.tensor(histories[label]), label=f'{label} (lr = 0.1)')\n")],
}


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, grade_source):
    result = grade_source("seeing", mutate("seeing", *STYLES[name]))
    assert_style("seeing", result)


def _cost_by_hand(xs, ys, w, b, lab_slip=False):
    """The mean squared error of y_hat = w*x + b, as a plain Python sum (or with the lab's slip)."""
    total = 0.0
    for x, y in zip(xs, ys):
        error = (y - w * x + b) if lab_slip else (y - (w * x + b))
        total += error * error
    return total / len(xs)


def test_the_lab_surface_is_pinned_and_the_lab_formula_is_mirrored_in_b():
    seeing = load_reference("seeing")
    X, y = seeing.make_data()
    W, B, Z = seeing.loss_surface(X, y)  # the lab's plot_error_surfaces(15, 13, X, Y, 30)
    assert W.shape == B.shape == Z.shape == (30, 30)
    xs, ys = [float(v) for v in X.ravel()], [float(v) for v in y.ravel()]
    assert len(xs) == 60 and xs[0] == -3.0
    for i, j in [(0, 0), (0, 29), (29, 0), (7, 20), (10, 15), (14, 16), (29, 29)]:
        w, b = -15 + 30 * j / 29, -13 + 26 * i / 29
        assert W[i, j] == pytest.approx(w, abs=1e-12) and B[i, j] == pytest.approx(b, abs=1e-12)
        assert Z[i, j] == pytest.approx(_cost_by_hand(xs, ys, w, b), rel=1e-9)
        lab = _cost_by_hand(xs, ys, w, b, lab_slip=True)
        assert lab == pytest.approx(Z[29 - i, j], rel=1e-9)  # the lab's surface is this one, upside down in b
        assert abs(lab - Z[i, j]) > 1.0  # and differs at every one of these points (none has b = 0)
    assert (Z[0, 0], _cost_by_hand(xs, ys, -15, -13, lab_slip=True)) == pytest.approx((893.341, 988.114), abs=1e-3)
    assert Z.min() == pytest.approx(0.814119, abs=1e-6)
    i, j = np.unravel_index(np.argmin(Z), Z.shape)
    assert (round(W[i, j], 4), round(B[i, j], 4)) == (0.5172, -1.3448)  # the lowest grid point, near w=1, b=-1
    i, j = np.unravel_index(np.argmin(_lab_surface(xs, ys)), Z.shape)
    assert (round(W[i, j], 4), round(B[i, j], 4)) == (0.5172, 1.3448)  # the lab's lowest point has the wrong sign of b


def _lab_surface(xs, ys):
    w_values, b_values = np.linspace(-15, 15, 30), np.linspace(-13, 13, 30)
    return np.array([[_cost_by_hand(xs, ys, w, b, lab_slip=True) for w in w_values] for b in b_values])


def test_the_graders_lab_histories_and_path_are_the_minibatch_exercises():
    """The loss histories and path the public plotting checks draw are lab 003's: minibatch's reference gives them."""
    from grader.specs import seeing as spec

    minibatch = load_reference("minibatch")
    X, y = minibatch.make_data()
    expected = minibatch.compare_methods(X, y)
    assert len(spec.LAB_HISTORIES) == len(expected)
    for key, label in zip(expected, spec.LAB_HISTORIES):
        assert spec.LAB_HISTORIES[label] == pytest.approx(expected[key], rel=1e-6)
    fit = minibatch.train_minibatch(X, y, *minibatch.start(), 0.1, 10, 60)
    assert np.allclose(spec.LAB_PATH, fit.params, rtol=1e-6)
