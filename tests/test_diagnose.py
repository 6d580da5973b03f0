"""Recognising mistakes from the shape of a difference: each pattern fires where it must and not where it must not,
every hint an exercise declares can fire on its own outputs, and a hint keyed to no pattern fails when a spec loads."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import all_items
from grader import exercises
from grader.compare import compare
from grader.diagnose import patterns
from grader.patterns import PATTERNS
from grader.spec import Batches, Case, Check, Output, SpecError, per_epoch

SIX_BY_25 = Batches(lambda p: 60, lambda p: 25)  # 60 points in batches of 25: 25, 25, 10
START = np.array([-15.0, -10.0])


def fit(steps, start=START, rate=0.5):
    """A made-up (w, b) history: each step halves the distance to (1, -1)."""
    rows, now = [], start.copy()
    for _ in range(steps):
        rows.append(now.copy())
        now += rate * (np.array([1.0, -1.0]) - now)
    return np.array(rows)


def found(expected, got, **context):
    """The patterns, in order, that got shows against expected (a history's first entry out of tolerance found)."""
    e, g = np.asarray(expected, float), np.asarray(got, float)
    if context.get("layout") is not None and e.shape == g.shape:
        off = ~np.isclose(g, e, rtol=1e-4, atol=1e-5).reshape(len(e), -1).all(axis=1)
        context = dict(context, first=int(np.argmax(off)) if off.any() else None)
    return [name for name, _ in patterns(e, g, **context)]


E9 = fit(9)  # 3 epochs of 3 updates

# pattern: (expected, a got that shows it, a got that shows another mistake and must not show it, context)
CASES = {
    "aliased": (E9, np.repeat(E9[-1:] + 0.4, 9, 0), np.column_stack([E9[:, 0], np.full(9, -10.0)]),
                dict(columns=("w", "b"), layout=per_epoch)),
    "partial_batch": (E9, np.concatenate([E9[0:2], E9[3:5], E9[6:8]]) + 1, E9[:6],
                      dict(layout=SIX_BY_25, params={})),
    "epochs": (E9, E9[:6], np.concatenate([E9[0:2], E9[3:5], E9[6:8]]) + 1, dict(layout=SIX_BY_25, params={})),
    "batches_per_epoch": (E9, np.full((12, 2), 7.0), E9[:6],
                          dict(layout=Batches(lambda p: 60, lambda p: 25, epochs_from="losses"), params={},
                               lengths={"losses": 3})),
    "epochs_or_batches": (E9, np.full((18, 2), 7.0), E9[:6], dict(layout=SIX_BY_25, params={})),
    "length": (E9, E9[:8], E9 + 1, dict(layout=SIX_BY_25, params={})),
    "shifted": (E9, np.concatenate([E9[1:], E9[-1:]]), np.concatenate([E9[:1] + 3, E9[1:]]),
                dict(layout=per_epoch)),
    "start": (E9, np.concatenate([E9[:1] + 3, E9[1:]]), np.concatenate([E9[:2], E9[2:] * 1.5]),
              dict(layout=per_epoch)),
    "frozen": (E9, np.column_stack([E9[:, 0], np.full(9, -10.0)]), np.repeat(E9[-1:] + 0.4, 9, 0),
               dict(columns=("w", "b"), layout=per_epoch)),
    "rising": ([100.0, 50, 25, 12], [100.0, 300, 900, 2700], [100.0, 50, 30, 40], dict(layout=per_epoch)),
    "drift": (E9, np.concatenate([E9[:2], E9[2:] * 1.5]), fit(9, rate=0.7), dict(layout=per_epoch)),
    "first_differs": (E9, E9 + np.array([[0, 0]] + [[1.0, -3.0]] * 8), fit(9, rate=0.7), dict(layout=per_epoch)),
    "opposite": ([1.0, 2.0], [-1.0, -2.0], [1.0, -2.0], {}),
    "step_scaled": (E9, fit(9, rate=0.7), E9 + np.array([[0, 0]] + [[1.0, -3.0]] * 8), dict(layout=per_epoch)),
    "crossed": ([3.0, 1.8], [1.8, 1.8], [1.8, 3.0], dict(columns=("w", "b"))),
    "swapped": ([3.0, 1.8], [1.8, 3.0], [1.8, 1.8], dict(columns=("w", "b"))),
    "zero": ([3.0, 1.8], [0.0, 0.0], [0.0, 1.8], {}),
    "zero_column": ([3.0, 1.8], [3.0, 0.0], [1.8, 3.0], dict(columns=("w", "b"))),
    "not_zero": ([0.0, 0.0], [1.0, 0.0], [0.0, 0.0], {}),
    "in_order": ([3.0, 0.0, 2.0, 1.0], [0.0, 1.0, 2.0, 3.0], [0.0, 3.0, 1.0, 2.0], {}),
    "permuted": ([[3.0, 1], [0, 2], [2, 3]], [[0.0, 2], [2, 3], [3, 1]], [[3.0, 1], [0, 2], [2, 4]], {}),
    "transposed": ([[1.0, 2], [3, 4]], [[1.0, 3], [2, 4]], [[4.0, 3], [2, 1]], {}),
    "flipped": ([[1.0, 2], [3, 4]], [[3.0, 4], [1, 2]], [[1.0, 3], [2, 4]], {}),
    "multiple": ([1.0, 2.0, 4.0], [60.0, 120.0, 240.0], [2.5, 5.0, 10.0], {}),
    "scaled": ([1.0, 2.0, 4.0], [2.5, 5.0, 10.0], [1.5, 2.5, 4.5], {}),
    "offset": ([1.0, 2.0, 4.0], [1.5, 2.5, 4.5], [2.5, 5.0, 10.0], {}),
    "shape": ([[1.0], [2.0]], [1.0, 2.0], [[1.0], [3.0]], {}),
    "any": ([1.0, 2.0], [1.0, 3.0], None, {}),
}


def test_every_pattern_has_a_case():
    assert set(CASES) == set(PATTERNS)


@pytest.mark.parametrize("pattern", CASES)
def test_a_pattern_fires_on_its_mistake_and_not_on_another(pattern):
    expected, fires, other, context = CASES[pattern]
    assert pattern in found(expected, fires, **context)
    if other is not None:
        assert pattern not in found(expected, other, **context)


def test_a_history_of_live_tensors_is_aliased_not_frozen():
    """Appending w and b themselves: every entry shows the final (w, b), which is not the start."""
    assert found(E9, np.repeat(E9[-1:], 9, 0), columns=("w", "b"), layout=per_epoch)[:1] == ["aliased"]


def test_a_dropped_last_batch_is_not_a_wrong_number_of_epochs():
    dropped = np.concatenate([E9[0:2], E9[3:5], E9[6:8]])
    names = found(E9, dropped + 1, layout=SIX_BY_25, params={})
    assert names[0] == "partial_batch" and "epochs" not in names


def test_fewer_epochs_run_right_are_not_a_dropped_batch():
    """3 epochs of 2 updates or 2 epochs of 3 give 6 entries: agreeing entries tell it is the epochs."""
    names = found(E9, E9[:6], layout=SIX_BY_25, params={})
    assert names[0] == "epochs" and "partial_batch" not in names


def test_a_count_that_fits_several_causes_names_both():
    names = found(E9, np.full((18, 2), 7.0), layout=SIX_BY_25, params={})
    assert names[0] == "epochs_or_batches"


def test_a_way_started_elsewhere_is_named_at_its_start():
    """The hint for ways that start apart is reachable: the very first entry differs."""
    output = Output("autograd", history=per_epoch, hints={"start": "starts at {got}, not {expected}"})
    verdict = compare(output, [0.25, 0.4796, 0.6], [1.5, 1.6, 1.7])
    assert verdict.hint == "starts at 1.5, not 0.25"


def test_a_hint_keyed_to_no_pattern_fails_when_the_spec_loads():
    with pytest.raises(SpecError, match="no hint pattern called 'frozne'"):
        Output("params", hints={"frozne": "{column} never changes"})
    with pytest.raises(SpecError, match="uses a field the pattern does not give"):
        Output("params", hints={"frozen": "{colum} never changes"})
    with pytest.raises(SpecError, match="its cases need labels"):
        Check("f", 1.0, build=tuple, probe=dict, outputs=(), cases=(Case({}), Case({"lr": 0.1})))


def test_a_check_is_named_after_its_target_unless_told():
    check = Check("train", 1.0, build=tuple, probe=dict, outputs=())
    assert check.name == "train"
    assert Check("train", 1.0, build=tuple, probe=dict, outputs=(), name="train again").name == "train again"


# Every hint an exercise declares, on the exercise's own expected values: it can fire, and a mistake of
# another shape on the same output never shows it.

def _rows(e):
    return e.reshape(len(e), -1)


def _disagree(shape, e):
    return np.full(shape, float(np.abs(e).max()) * 3 + 7)


def candidates(pattern, e, output, params, others):
    """Made-up answers that show ``pattern`` on this output: (got, the student's other outputs)."""
    if output.exact:
        if pattern == "any":
            value = e.tolist()
            yield (value[::-1] if isinstance(value, list) and len(set(map(str, value))) > 1 else "something else"), {}
        return
    layout, columns, n = output.history, output.columns, len(e) if e.ndim else 0
    scale = float(np.abs(e).max()) + 1 if e.size else 1.0
    history = layout is not None and e.ndim >= 1 and n >= 2
    batches = isinstance(layout, Batches)
    if pattern == "any":
        yield e + scale * np.linspace(0.3, 0.9, e.size).reshape(e.shape), {}
    if pattern == "aliased" and history:
        last = e[-1] + scale * 0.3
        yield np.repeat(last[None], n, axis=0), {}
    if batches:
        points, size = layout.points(params), layout.batch_size(params)
        per, full = layout.per_epoch(params), points // size
        epochs = n // per if layout.epochs else 1
        ran = {layout.epochs_from: [0.0] * epochs} if layout.epochs_from else {}
        if pattern == "partial_batch" and points % size:
            got = np.concatenate([e[k * per:k * per + full] for k in range(epochs)])
            yield (got + scale if layout.epochs and epochs > 1 else got), ran
        if pattern == "epochs" and layout.epochs and epochs >= 2:
            yield e[:(epochs - 1) * per], ({layout.epochs_from: [0.0] * (epochs - 1)} if layout.epochs_from else {})
        if pattern == "batches_per_epoch" and layout.epochs:
            for other in range(1, points + 1):
                if other != per and (layout.epochs_from or (epochs * other) % per):
                    yield _disagree((epochs * other, *e.shape[1:]), e), ran
                    break
        if pattern == "epochs_or_batches" and layout.epochs and not layout.epochs_from and 2 * per <= points:
            yield _disagree((2 * n, *e.shape[1:]), e), {}
    if pattern == "length" and history:
        yield e[:-1], {}
        yield np.concatenate([e, e[-1:]]), {}
    if pattern == "shifted" and history and n >= 3:
        yield np.concatenate([e[1:], e[-1:]]), {}
    if pattern == "start" and history:
        got = e.copy()
        got[0] = e[0] + scale * 0.5
        yield got, {}
    if pattern == "frozen" and history and e.ndim == 2:
        for j in range(e.shape[1]):
            got = e.copy()
            got[:, j] = e[0, j]
            yield got, {}
    if pattern == "rising" and history and e.ndim == 1 and e[0] > 0:
        yield e[0] * 2.0 ** np.arange(n), {}
    if pattern == "drift" and history and n >= 3:
        got = e.copy()
        got[2:] = e[2:] + scale * 0.5
        yield got, {}
    if history and n >= 2:
        step = e[1] - e[0]
        if pattern == "first_differs" and e.ndim == 2 and e.shape[1] >= 2:
            got = e.copy()
            got[1:] += scale * np.linspace(0.2, -0.5, e.shape[1])
            yield got, {}
        if pattern == "opposite":
            yield e[0] - (e - e[0]), {}
        if pattern == "step_scaled":
            yield e[0] + 3.0 * (e - e[0]), {}
        if pattern == "crossed" and e.ndim == 2 and len(columns) == e.shape[1] >= 2:
            got = e.copy()
            got[1:, 0] = e[0, 0] + step[1]
            yield got, {}
    if pattern == "crossed":
        for value in others.values():
            if value.size == e.size:
                yield value.reshape(e.shape), {}
        if e.ndim == 1 and len(columns) == len(e) >= 2:
            got = e.copy()
            got[0] = e[1]
            yield got, {}
    if pattern == "swapped" and len(columns) == 2 and e.shape[-1:] == (2,):
        yield e[..., ::-1], {}
    if pattern == "zero":
        yield np.zeros_like(e), {}
    if pattern == "zero_column" and e.ndim == 1 and len(columns) == len(e):
        for j in range(len(e)):
            got = e.copy()
            got[j] = 0.0
            yield got, {}
    if pattern == "not_zero" and not np.any(e):
        yield np.ones_like(e), {}
    if pattern == "in_order" and e.ndim == 1 and n >= 3:
        yield (np.arange(n) + 1.0) * scale, {}
    if pattern == "permuted" and e.ndim >= 1 and n >= 2:
        yield np.roll(e, 1, axis=0), {}
    if pattern == "transposed" and e.ndim == 2 and e.shape[0] == e.shape[1]:
        yield e.T, {}
    if pattern == "flipped":
        for axis in range(e.ndim):
            yield np.flip(e, axis), {}
    if pattern == "opposite":
        yield -e, {}
    if pattern == "shape" and e.ndim >= 1:
        yield e[..., None], {}
    if pattern == "multiple":
        yield e * 7.0, {}
    if pattern == "scaled":
        yield e * 0.37, {}
    if pattern == "offset" and e.size > 1:
        yield e + scale * 0.5, {}


def declared():
    """(exercise, check, output) for every output that declares hints."""
    return [(ex.id, check.name, output.name) for ex in exercises() for check in ex.checks for output in check.outputs
            if output.hints]


def shown(grader, exercise, check, output_name):
    """pattern -> [the pattern each of its made-up answers shows], over every item of the check."""
    results = {}
    for item in all_items(exercise):
        if item.check.name != check:
            continue
        output = next(o for o in item.check.outputs if o.name == output_name)
        outputs = grader.expected[exercise][item.name].outputs
        e = outputs[output_name]
        e_array = np.asarray(e, dtype=float) if not output.exact else np.asarray(e, dtype=object)
        if not output.exact:  # a correct answer in another style: within tolerance, no hint
            close = compare(output, e, (e_array * (1 + output.rtol / 4)).tolist(), params=item.params, others=outputs)
            assert close.passed and not close.hint, (item.name, close.message)
        others = {k: np.asarray(v, dtype=float) for k, v in outputs.items() if k != output_name
                  and not next(o for o in item.check.outputs if o.name == k).exact}
        for pattern in PATTERNS:
            for got, answers in candidates(pattern, e_array, output, item.params, others):
                got = np.asarray(got).tolist() if not isinstance(got, (str, list)) else got
                verdict = compare(output, e, got, params=item.params, others=outputs, answers=answers)
                if not verdict.passed:
                    results.setdefault(pattern, []).append(verdict.pattern)
    return results


@pytest.mark.parametrize("exercise, check, output", declared())
def test_every_declared_hint_can_fire_and_names_no_other_shape(grader, exercise, check, output):
    hints = next(o for c in next(e for e in exercises() if e.id == exercise).checks if c.name == check
                 for o in c.outputs if o.name == output).hints
    results = shown(grader, exercise, check, output)
    unreachable = [p for p in hints if p not in results.get(p, [])]
    assert not unreachable, f"hints that no answer of their shape shows: {unreachable}"
    for pattern in hints:
        others = [p for p in results if p != pattern and p not in OVERLAP.get(pattern, ())]
        wrong = sorted({p for p, seen in results.items() if p != pattern and p not in OVERLAP.get(pattern, ())
                        and pattern in seen})
        assert others or pattern in ("any", "not_zero"), f"no answer of another shape to test {pattern!r} against"
        assert not wrong, f"the hint for {pattern!r} shows on answers shaped as {wrong}"


# Shapes that are also another pattern's: their made-up answers may rightly show it.
OVERLAP = {
    "flipped": ("swapped", "permuted", "shifted"),  # two columns reversed, or rows in reverse order
    "in_order": ("rising", "flipped", "permuted"),  # an increasing answer
    "epochs": ("length",),  # with one update an epoch, any count is a count of epochs
    "first_differs": ("crossed", "flipped", "swapped", "permuted", "any"),  # each also changes the first update
    "transposed": ("crossed",),  # B is W transposed when both ranges are the same
    "rising": ("flipped", "in_order", "crossed", "permuted"),  # a loss that grows, however it came
    "not_zero": tuple(PATTERNS),  # where zero is expected, every mistake is "not zero"
    "partial_batch": ("length",),  # the last batch missing is one batch fewer
    "frozen": ("zero",),  # from a start at zero, zero throughout is frozen
    "swapped": ("flipped", "permuted"),  # a pair reversed is each of them
    "crossed": ("swapped", "zero_column", "frozen", "first_differs", "any", "flipped", "permuted", "opposite"),
    "permuted": ("flipped", "swapped", "in_order"),
    "scaled": ("multiple", "step_scaled", "opposite"),
    "multiple": ("scaled",),
    "step_scaled": ("opposite", "scaled", "multiple", "rising"),
    "start": ("shifted", "aliased", "offset", "scaled", "multiple", "zero", "permuted", "flipped", "opposite",
              "in_order", "any", "swapped", "transposed", "crossed"),  # any of these may begin at another start
    "length": ("partial_batch", "epochs", "batches_per_epoch", "epochs_or_batches"),
    "zero": ("zero_column", "crossed"),  # another output may be all zero
    "any": tuple(PATTERNS),
}
