"""Plots: a failed history drawn against the expected one; the class at a glance."""
import subprocess
import sys

import numpy as np

from conftest import mutate
from grader import paths
from grader.plots import class_figure, history_figure

SHUFFLED = ("batch_size=batch_size)", "batch_size=batch_size, shuffle=True)")
PNG = b"\x89PNG\r\n\x1a\n"


def test_a_failed_history_keeps_both_sides_and_where_they_part(grade_source):
    result = grade_source("minibatch", mutate("minibatch", SHUFFLED))
    check = next(c for c in result.checks if c.name == "train_minibatch [batch_size=20]")
    losses, params = check.curves
    assert (losses.output, losses.unit, losses.first, losses.where) == ("losses", "epoch", 1, "at epoch 1")
    assert losses.expected[0] == losses.got[0] and losses.expected[1] != losses.got[1]
    assert (params.output, params.unit, params.first, params.columns) == ("params", "update", 1, ("w", "b"))
    assert {c.name.split(" [")[0] for c in result.checks if not c.passed} == {"train_minibatch"}
    assert all(c.passed == (not c.curves) for c in result.checks)  # only failures are drawn


def test_the_figure_shows_expected_and_got_with_the_first_miss_marked(grade_source):
    result = grade_source("minibatch", mutate("minibatch", SHUFFLED))
    check = next(c for c in result.checks if c.name == "train_minibatch [batch_size=5]")
    fig = history_figure(check.name, check.curves)
    losses, w, b = fig.axes  # losses, then params split into its columns w and b
    expected, got, marker = losses.lines
    assert np.allclose(expected.get_ydata(), check.curves[0].expected)
    assert np.allclose(got.get_ydata(), check.curves[0].got)
    assert list(marker.get_xdata()) == [check.curves[0].first] * 2
    assert losses.get_yscale() == "log" and losses.get_xlabel() == "epoch" and w.get_xlabel() == "update"
    params = np.asarray(check.curves[1].expected)
    assert np.allclose(w.lines[0].get_ydata(), params[:, 0]) and np.allclose(b.lines[0].get_ydata(), params[:, 1])


def test_check_plots_writes_a_png_per_failed_history_and_says_where(tmp_path):
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", SHUFFLED))
    run = [sys.executable, "-m", "grader", "check", str(tmp_path / "minibatch.py")]
    without = subprocess.run(run, cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    assert without.returncode == 1 and "add --plots DIR" in without.stdout
    done = subprocess.run([*run, "--plots", str(tmp_path / "plots")], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=300)
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == [f"minibatch.train_minibatch_batch_size={n}.png" for n in ("10", "20", "25_lr=0.05", "5")]
    assert all((tmp_path / "plots" / name).read_bytes().startswith(PNG) for name in written)
    assert f"4 plots of the histories that went wrong in {tmp_path / 'plots'}/" in done.stdout


def test_nothing_is_drawn_for_a_perfect_submission(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "check", "reference/minibatch.py", "--plots",
                           str(tmp_path / "plots")], cwd=paths.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and not (tmp_path / "plots").exists() and "--plots" not in done.stdout


def test_the_class_figure_spreads_the_totals_and_sums_each_checks_cases():
    def report(a, a_hidden, b):  # points on check a (public and hidden case) and on check b
        checks = [{"name": "a", "score": a, "max_score": 1}, {"name": "a [hidden 1]", "score": a_hidden,
                                                                "max_score": 1}, {"name": "b", "score": b, "max_score": 2}]
        return {"score": a + a_hidden + b, "max_score": 4, "exercises": [{"exercise": "e", "checks": checks}]}

    fig = class_figure([report(1, 1, 2), report(1, 1, 0), report(0, 0, 0), report(1, 0, 0)])
    totals, checks = fig.axes
    assert sorted(p.get_height() for p in totals.patches if p.get_height()) == [1, 1, 1, 1]  # 0, 25, 50, 100%
    assert [p.get_width() for p in checks.patches] == [62.5, 25]  # a: 5 of 8 points; b: 2 of 8
    assert [t.get_text() for t in checks.get_yticklabels()] == ["e: a", "e: b"]
