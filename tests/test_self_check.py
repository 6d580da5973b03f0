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
from grader import Grader

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
