"""A student's self-check is the public part of the grade: the same items, the same scores, the same messages.

The exercises' tests grade each typical mistake once, public and hidden cases together, and ask that the public
cases lose points on every check the hidden ones do; this holds them to a real self-check, the Grader a
student's ``python -m grader check`` runs.
"""
import pytest

import test_autograd
import test_features
import test_minibatch
import test_numpy_by_hand
import test_pytorch_way
import test_seeing
from conftest import mutate
from grader import Grader, paths

CORPORA = {module.__name__.removeprefix("test_"): module.MISTAKES for module in (
    test_numpy_by_hand, test_autograd, test_minibatch, test_pytorch_way, test_features, test_seeing)}


@pytest.fixture(scope="module")
def self_check():
    grader = Grader(hidden=False)
    yield grader
    grader.runner.close()


def test_the_self_check_gives_the_grades_public_results(grader, self_check, tmp_path):
    """A submission holding the first typical mistake of each exercise, graded both ways."""
    for exercise, mistakes in CORPORA.items():
        replacements = next(iter(mistakes.values()))[0]
        (tmp_path / f"{exercise}.py").write_text(mutate(exercise, *replacements), encoding="utf-8")
    graded, checked = grader.grade(tmp_path), self_check.grade(tmp_path)
    public = [(e.exercise, c) for e in graded.exercises for c in e.checks if not c.hidden]
    mine = [(e.exercise, c) for e in checked.exercises for c in e.checks]
    assert [(e, c.name, c.score, c.status, c.message) for e, c in mine] == \
        [(e, c.name, c.score, c.status, c.message) for e, c in public]
    assert any(c.score < c.max_score for _, c in mine)


def release_check(release, exercise: str) -> Grader:
    """The self-check of a student release: no reference, so every function runs with the student's own helpers."""
    return Grader(hidden=False, exercises=(exercise,), course=paths.Course(release),
                  expected=release / "grader" / "expected.json")


INLINE_BATCH = ("    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=len(X))\n",
                "    data_iter = DataLoader(LinearData(X, y), batch_size=len(X))\n"
                "    losses, params = [], []\n    for epoch in range(num_epochs):\n"
                "        losses.append(criterion(forward(X, w, b), y).item())\n"
                "        for X_batch, y_batch in data_iter:\n"
                "            params.append((w.item(), b.item()))\n"
                "            loss = criterion(forward(X_batch, w, b), y_batch)\n"
                "            loss.backward()\n            step(w, b, lr)\n"
                "    return Fit(w.item(), b.item(), losses, params)\n")


def test_a_self_check_notes_a_failed_helper_once_and_only_where_it_was_called(student_release, tmp_path):
    """Without the reference, a loop runs with the student's own helpers: a helper that fails its own check is
    named once per exercise, on the first failed function that called it, and never where it was not called."""
    grader = release_check(student_release, "minibatch")
    try:
        (tmp_path / "a").mkdir()
        (tmp_path / "a" / "minibatch.py").write_text(mutate("minibatch", ("    return w * X + b\n",
                                                                          "    return w * X + b + 0.5\n")))
        checks = grader.grade(tmp_path / "a").exercises[0].checks
        notes = [c for c in checks if "Note:" in c.message]
        assert len(notes) == 1 and "called your own forward" in " ".join(notes[0].message.split())
        assert notes[0] == next(c for c in checks if not c.passed and c.name != "forward")
        (tmp_path / "b").mkdir()  # train_minibatch loses its lr; train_batch is written out and never calls it
        (tmp_path / "b" / "minibatch.py").write_text(mutate(
            "minibatch", INLINE_BATCH, ("    data_iter = DataLoader(LinearData(X, y), batch_size=batch_size)\n",
                                        "    lr = 0.1\n    data_iter = DataLoader(LinearData(X, y), "
                                        "batch_size=batch_size)\n")))
        checks = grader.grade(tmp_path / "b").exercises[0].checks
        failed = [c.name for c in checks if not c.passed]
        assert failed == ["train_stochastic [lr=0.05, num_epochs=2]", "train_minibatch [batch_size=25, lr=0.05]",
                          "compare_methods [lr=0.05, num_epochs=2]"]  # train_batch, inline, keeps its lr
        notes = [c for c in checks if "Note:" in c.message]
        assert [c.name for c in notes] == [failed[0]] and "your own train_minibatch" in notes[0].message
    finally:
        grader.runner.close()
