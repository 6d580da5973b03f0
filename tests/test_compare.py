"""The comparison engine: order of checks, where a history first leaves tolerance, hints."""
import math

import pytest

from grader.compare import compare
from grader.spec import Batches, Output, per_epoch

LOSS = Output("losses", rtol=1e-4, atol=1e-6, history=per_epoch,
              hints={"shifted": "recorded late", "scaled": "factor {factor:.3g}", "length": "{got} not {expected}"})
THREE_BATCHES = Batches(lambda p: 6, lambda p: 2)  # 6 points in batches of 2: 3 updates an epoch
PARAMS = Output("params", rtol=1e-4, atol=1e-4, columns=("w", "b"), history=THREE_BATCHES,
                hints={"frozen": "{column} is stuck", "opposite": "wrong way", "step_scaled": "step x{factor:.3g}"})
EXPECTED = [100.0, 50.0, 25.0, 12.5, 6.25]


def test_identical_values_pass_with_zero_deviation():
    verdict = compare(LOSS, EXPECTED, list(EXPECTED))
    assert verdict.passed and verdict.deviation == 0


def test_within_tolerance_passes_and_reports_the_deviation():
    verdict = compare(LOSS, EXPECTED, [x * (1 + 5e-5) for x in EXPECTED])
    assert verdict.passed and 0.4 < verdict.deviation < 0.6


def test_a_history_reports_the_first_epoch_that_leaves_tolerance():
    got = EXPECTED[:2] + [26.0, 13.0, 7.0]
    verdict = compare(LOSS, EXPECTED, got)
    assert not verdict.passed
    assert verdict.where == "at epoch 2"
    assert "at epoch 2: expected 25, got 26" in verdict.message


def test_order_missing_then_unreadable_then_shape_then_finite():
    assert "missing" in compare(LOSS, EXPECTED, None, problem="missing").message
    assert "a str" in compare(LOSS, EXPECTED, None, problem="could not read it as numbers: got a str").message
    assert "rows have different lengths" in compare(PARAMS, [[1, 2], [3, 4]], [[1, 2], [3]]).message
    assert "expected shape (2,), got (3,)" in compare(Output("v"), [1, 2], [1, 2, 3]).message
    verdict = compare(LOSS, EXPECTED, [100.0, math.nan, 1, 1, 1])
    assert not verdict.passed and "nan at epoch 1" in verdict.message


def test_length_mismatch_says_how_many_and_whether_the_prefix_agrees():
    verdict = compare(LOSS, EXPECTED, EXPECTED[:4])
    assert "expected 5 entries (epoch 0 to epoch 4), got 4; the first 4 agree" in verdict.message
    assert verdict.hint == "4 not 5" and verdict.deviation == math.inf


def test_the_hint_comes_apart_from_the_message():
    verdict = compare(LOSS, EXPECTED, EXPECTED[1:] + [3.125])
    assert verdict.hint == "recorded late" and verdict.pattern == "shifted"
    assert "recorded late" not in verdict.message


def test_hints_name_the_pattern():
    assert compare(LOSS, EXPECTED, [60 * x for x in EXPECTED]).hint == "factor 60"
    stuck = compare(PARAMS, [[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 0], [2, 0]])
    assert stuck.hint == "b is stuck" and "epoch 0, batch 1 (update 1)" in stuck.message
    assert compare(PARAMS, [[0, 0], [1, 1], [2, 2]], [[0, 0], [-1, -1], [-3, -3]]).hint == "wrong way"
    assert compare(PARAMS, [[0, 0], [1, 1], [2, 2]], [[0, 0], [0.1, 0.1], [0.3, 0.3]]).hint == "step x0.1"


def test_a_probe_that_saw_the_cause_gives_its_hint():
    verdict = compare(LOSS, EXPECTED, None, problem="the loader gave no batches. Hint: return a DataLoader")
    assert verdict.message == "losses: the loader gave no batches"
    assert verdict.hint == "return a DataLoader" and verdict.pattern == ""


def test_a_value_that_belongs_to_another_output_is_named():
    output = Output("w_grad", hints={"crossed": "{column} is {other}'s"})
    verdict = compare(output, [1.0, 2.0], [3.0, 4.0], others={"w_grad": [1.0, 2.0], "b_grad": [3.0, 4.0]})
    assert verdict.hint == "w_grad is b_grad's"


def test_scalars_of_any_size_one_shape_compare_as_scalars():
    assert compare(Output("w"), 1.5, [[1.5]]).passed
    assert compare(Output("w"), [1.5], 1.5).passed


def test_columns_name_the_part_that_differs():
    verdict = compare(Output("update", columns=("w", "b")), [1.0, 2.0], [1.0, 3.0])
    assert verdict.message == "update: b expected 2, got 3"


def test_exact_outputs_compare_as_values_and_may_explain_any_difference():
    assert compare(Output("len", exact=True), 60, 60).passed
    assert compare(Output("len", exact=True), 60, 59).message == "len: expected 60, got 59"
    labelled = Output("labels", exact=True, hints={"any": "label each line"})
    assert compare(labelled, ["a", "b"], ["b", "a"]).hint == "label each line"


@pytest.mark.parametrize("got", [["1.0"], [{"a": 1}], [[1.0], 2.0]])
def test_anything_but_numbers_is_refused(got):
    assert not compare(Output("v"), [1.0], got).passed
