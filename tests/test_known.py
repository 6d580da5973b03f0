"""Known mistakes and per-step checks: every declared mistake is named where it shows and nowhere else; each
recorded update is checked from the student's own state; all of it in trusted children, for failed items only."""
import json
import os
import subprocess
import sys

import pytest

from conftest import all_items, flat, mutate
from grader import Grader, exercises, known, paths
from grader.compare import compare
from grader.protocol import Reply
from grader.spec import Check, Exercise, Mistake, Output, Replay, SpecError, per_iteration

DECLARED = [(ex.id, check.name, mistake.name) for ex in exercises() for check in ex.checks
            for mistake in check.mistakes]


@pytest.fixture(scope="session")
def mistakes(grader):
    """(exercise, item name) -> mistake name -> its reply on that item's case, for every item of every check that
    declares mistakes, computed as grading computes them (and kept in the session's cache)."""
    items = [item for ex in exercises() for item in all_items(ex.id) if item.check.mistakes]
    found = grader.reruns.mistakes(items, grader.expected)
    return {(item.exercise, item.name): found[item.exercise, item.index] for item in items}


def same(item, a: Reply, b: Reply) -> bool:
    """Whether two replies agree on every output, as an answer and the reference must to pass."""
    return all(a.problems.get(o.name) == b.problems.get(o.name) and (
        o.name in a.problems or compare(o, a.outputs.get(o.name), b.outputs.get(o.name), params=item.params).passed)
        for o in item.check.outputs)


@pytest.mark.parametrize("exercise, check, name", DECLARED)
def test_every_known_mistake_is_named_where_it_shows_and_nowhere_else(exercise, check, name, grader, mistakes):
    """On some case of its check, the mistake's own outputs are named as that mistake; a right answer matches no
    mistake; another mistake's outputs are never named as this one, unless they are the same on that case."""
    named = False
    for item in (item for item in all_items(exercise) if item.check.name == check):
        replies, reference = mistakes[exercise, item.name], grader.expected[exercise][item.name]
        right = known.match(item, reference, reference, replies)
        assert right is None or right.mistake is None, "a right answer is named"
        for other, reply in replies.items():
            if reply is None:
                continue
            found = known.match(item, reference, reply, replies)
            if other == name and found and found.mistake and found.mistake.name == name:
                named = True
            elif found and found.mistake and found.mistake.name == name:
                assert same(item, reply, replies[name]), f"{item.name}: {other!r} is named {name!r}"
    assert named, f"{name!r} is named on no case of {check}: it never shows, or an earlier mistake looks the same"


def test_every_code_level_mistake_has_its_file_and_every_file_is_declared():
    declared = {(ex.id, m.name) for ex in exercises() for m in ex.mistakes if m.code}
    files = {(path.parent.name, path.stem) for path in paths.MISTAKES.glob("*/*.py")}
    assert declared == files


def test_a_mistake_of_recorded_outputs_needs_no_run():
    """A history recorded one update late, or as one live tensor, comes from the reference's own outputs."""
    check = next(c for c in next(e for e in exercises() if e.id == "autograd").checks if c.name == "train_autograd")
    item = next(i for i in all_items("autograd") if i.check is check)
    late, aliased = (next(m for m in check.mistakes if m.name == f"history {kind}") for kind in ("late", "aliased"))
    out = {"a": 2.0, "losses": [9.0, 4.0, 1.0], "history": [[0.5], [1.0], [1.5]], "a_change": 1.5}
    assert late.outputs(out, item.params)["history"] == [[1.0], [1.5], [2.0]]
    assert aliased.outputs(out, item.params)["history"] == [[2.0], [2.0], [2.0]]
    assert not late.runs and not aliased.runs


# Matching, on plain data.

def toy(*mistakes, outputs=(Output("x", rtol=1e-6, atol=1e-9), Output("history", rtol=1e-6, atol=1e-9,
                                                                             history=per_iteration))):
    check = Check("descend", 1.0, build=lambda p: (), probe=lambda t, a, p: {}, outputs=outputs, mistakes=mistakes)
    return Exercise("toy", "toy", "-", "-", (check,)).items()[0]


SLOW = Mistake("slow", "with half the learning rate", params=lambda p: p)
BACKWARDS = Mistake("backwards", "when the steps go the wrong way", params=lambda p: p)
RIGHT = Reply(outputs={"x": 3.0, "history": [0.0, 1.0, 2.0]})


def test_the_first_declared_mistake_that_explains_every_difference_is_named_with_its_evidence():
    item = toy(SLOW, BACKWARDS)
    slow = Reply(outputs={"x": 1.5, "history": [0.0, 0.5, 1.0]})
    got = Reply(outputs={"x": 1.5 * (1 + 2e-7), "history": [0.0, 0.5, 1.0]})
    found = known.match(item, RIGHT, got, {"slow": slow, "backwards": slow})
    assert found.mistake is SLOW and found.outputs == ("x", "history") and 1e-7 < found.closeness < 3e-7
    assert found.line("descend") == ("Known mistake: you get what descend gives with half the learning rate: "
                                     "the same x and history, to 2e-7 at every iteration.")
    exact = known.match(item, RIGHT, Reply(outputs={"x": 1.5, "history": [0.0, 0.4, 1.0]}),
                        {"slow": Reply(outputs={"x": 1.5, "history": [0.0, 0.4, 1.0]}), "backwards": None})
    assert exact.line("descend").endswith("the same x and history, exactly at every iteration.")


def test_an_answer_that_matches_no_mistake_or_only_part_of_one_is_not_named():
    item = toy(SLOW)
    slow = Reply(outputs={"x": 1.5, "history": [0.0, 0.5, 1.0]})
    assert known.match(item, RIGHT, Reply(outputs={"x": 1.6, "history": [0.0, 1.0, 2.0]}), {"slow": slow}) == \
        known.Match(None, tried=("slow",))
    partly = Reply(outputs={"x": 1.5, "history": [0.0, 0.5, 1.1]})  # x as the mistake gives, history neither
    assert known.match(item, RIGHT, partly, {"slow": slow}).mistake is None
    assert known.match(item, RIGHT, partly, {"slow": None}) is None, "nothing to try: nothing to say"


def test_outputs_that_could_not_be_read_match_only_for_the_same_reason():
    item = toy(SLOW)
    failed = Reply(outputs={"history": [0.0, 1.0, 2.0]}, problems={"x": "x diverged"})
    assert known.match(item, RIGHT, failed, {"slow": failed}).line("descend").endswith("the same x.")
    other = Reply(outputs={"history": [0.0, 1.0, 2.0]}, problems={"x": "x is None"})
    assert known.match(item, RIGHT, failed, {"slow": other}).mistake is None


def test_a_mistake_whose_run_blew_up_matches_nothing():
    item = toy(SLOW)
    blown = Reply(outputs={"x": float("inf"), "history": [0.0, 1.0, 2.0]})
    assert known.match(item, RIGHT, Reply(outputs={"x": 1e300, "history": [0.0, 1.0, 2.0]}), {"slow": blown}) \
        .mistake is None


def test_declarations_are_checked_when_a_spec_loads():
    with pytest.raises(SpecError, match="two mistakes share a name"):
        toy(SLOW, Mistake("slow", "another"))
    with pytest.raises(SpecError, match="two different mistakes are called"):
        first, second = (Check(name, 1.0, build=lambda p: (), probe=lambda t, a, p: {}, outputs=(Output("x"),),
                               mistakes=(mistake,)) for name, mistake in (("a", SLOW), ("b", Mistake("slow", "x"))))
        Exercise("toy", "toy", "-", "-", (first, second))
    with pytest.raises(SpecError, match="its replay names no output"):
        Check("descend", 1.0, build=lambda p: (), probe=lambda t, a, p: {}, outputs=(Output("x"),),
              replay=Replay("descend", lambda *a: None, history="history", final=("x",)))


# Per-step checks, graded for real.

def message(result, item):
    return flat(next(c.message for c in result.checks if c.name == item))


def test_each_update_is_checked_from_the_students_own_state_after_the_histories_drift_apart(grade_source):
    """A step that goes wrong only from the third epoch on: the histories differ from there, and the per-step check
    names the first update that is wrong from where the student was."""
    result = grade_source("minibatch", mutate("minibatch", ("            step(w, b, lr)\n",
                                                            "            step(w, b, lr if epoch < 2 else lr / 2)\n")))
    text = message(result, "train_minibatch [batch_size=5]")
    assert ("Step by step, from your own (w, b): the updates up to epoch 1, batch 11 (update 23) are right; the "
            "one at epoch 2, batch 0 (update 24) is not: from (") in text
    assert "No known mistake matches this answer." in text, "nor does a hint name a cause it cannot have"


def test_records_that_do_not_start_where_the_loop_starts_are_not_replayed(grade_source):
    """A history of live tensors holds no state the loop went through: there is nothing to replay, and the
    message says nothing step by step."""
    result = grade_source("minibatch", mutate("minibatch", ("params.append((w.item(), b.item()))",
                                                            "params.append((w, b))")))
    assert "Step by step" not in message(result, "train_minibatch [batch_size=5]")


# Cost: only failed items pay.

PERFECT = """
import json, sys
from pathlib import Path
from grader import Grader, paths
grader = Grader()
report = grader.grade(paths.REFERENCE)
grader.runner.close()
print(json.dumps({"full": report.score == report.max_score, "asked": len(grader.reruns._tables),
                  "files": sorted(p.name.split("-")[0] for p in Path(sys.argv[1]).glob("*.json"))}))
"""


def test_a_perfect_submission_computes_no_mistake_and_replays_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-c", PERFECT, str(tmp_path)], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=900, env={**os.environ, "GDGRADER_CACHE": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["full"] and result["asked"] == 0
    assert "mistakes" not in result["files"], "no mistake's outputs were computed"


def test_mistakes_outputs_are_kept_on_disk_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("GDGRADER_CACHE", str(tmp_path))
    submission = tmp_path / "student"
    submission.mkdir()
    (submission / "numpy_by_hand.py").write_text(mutate("numpy_by_hand", ("return b + w * x", "return w * x")))
    first = Grader(exercises=("numpy_by_hand",))
    named = first.grade(submission)
    first.runner.close()
    (kept,) = tmp_path.glob("mistakes-numpy_by_hand-*.json")
    stamp = kept.stat().st_mtime_ns
    again = Grader(exercises=("numpy_by_hand",))
    assert again.grade(submission).exercises[0].checks == named.exercises[0].checks
    again.runner.close()
    assert kept.stat().st_mtime_ns == stamp, "read back, not computed again"
    assert "when the predictions leave out the bias b" in message(named.exercises[0], "predict")
