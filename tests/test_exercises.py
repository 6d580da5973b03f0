"""Every exercise: the reference gets full marks, the stub gets zero, and the two mirror each other."""
import ast

import pytest

from grader import exercises, paths

IDS = [ex.id for ex in exercises()]


@pytest.fixture(scope="module")
def reference_report(grader):
    return grader.grade(paths.REFERENCE)


@pytest.fixture(scope="module")
def stub_report(grader):
    return grader.grade(paths.EXERCISES)


@pytest.mark.parametrize("exercise", IDS)
def test_the_reference_gets_full_marks_hidden_cases_included(exercise, reference_report):
    result = next(e for e in reference_report.exercises if e.exercise == exercise)
    assert [c.message for c in result.checks if not c.passed] == []
    assert result.score == result.max_score > 0
    assert any(c.hidden for c in result.checks) and any(not c.hidden for c in result.checks)


@pytest.mark.parametrize("exercise", IDS)
def test_the_stub_gets_zero_as_not_attempted(exercise, stub_report):
    result = next(e for e in stub_report.exercises if e.exercise == exercise)
    assert result.score == 0
    assert {c.status for c in result.checks} == {"not attempted"}
    assert all(c.message.startswith("not attempted yet") for c in result.checks)


def _definitions(path):
    """Top-level statements, with graded bodies reduced to their docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out[node.name] = node
        else:
            out[ast.dump(node)] = node
    return out


def _shape(node):
    """A definition's signature and docstrings, without its body."""
    if isinstance(node, ast.FunctionDef):
        return ("def", node.name, ast.dump(node.args), ast.get_docstring(node))
    if isinstance(node, ast.ClassDef):
        methods = [_shape(n) for n in node.body if isinstance(n, ast.FunctionDef)]
        return ("class", node.name, [ast.dump(b) for b in node.bases], ast.get_docstring(node), methods)
    return ast.dump(node)


def _raises_not_implemented(node) -> bool:
    body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.dump(body[0])


@pytest.mark.parametrize("exercise", IDS)
def test_stub_and_reference_mirror_each_other(exercise):
    ex = next(e for e in exercises() if e.id == exercise)
    stub = _definitions(paths.EXERCISES / ex.filename)
    reference = _definitions(paths.REFERENCE / ex.filename)
    assert list(stub) == list(reference), "the same definitions, in the same order"
    assert ast.get_docstring(ast.parse((paths.EXERCISES / ex.filename).read_text())) == \
        ast.get_docstring(ast.parse((paths.REFERENCE / ex.filename).read_text()))
    for name, node in stub.items():
        assert _shape(node) == _shape(reference[name]), f"{name} differs beyond its body"
        if name in ex.targets:
            bodies = [node] if isinstance(node, ast.FunctionDef) else [
                n for n in node.body if isinstance(n, ast.FunctionDef)]
            assert all(_raises_not_implemented(b) for b in bodies), f"the stub of {name} should only raise"
        else:
            assert ast.dump(node) == ast.dump(reference[name]), f"given code {name} differs"
    assert set(ex.targets) <= set(stub), "every graded name is in the stub"


# The sample class: which of its files are the course's own (a complete exercise, or an untouched stub).
SAMPLE_COPIES = {"reference": {"ada": ("autograd", "features", "numpy_by_hand", "pytorch_way", "seeing"),
                               "ben": ("numpy_by_hand",), "eve": ("features",)},
                 "exercises": {"ben": ("autograd",),
                               "cy": ("autograd", "features", "minibatch", "numpy_by_hand", "pytorch_way", "seeing")}}


def test_the_sample_class_holds_the_course_as_it_is():
    """A sample student's complete (or untouched) exercise is the reference (or the stub) as it is today."""
    for part, students in SAMPLE_COPIES.items():
        for student, ids in students.items():
            for id in ids:
                sample = paths.ROOT / "samples" / "class" / student / f"{id}.py"
                assert sample.is_file() and not sample.is_symlink(), sample
                assert sample.read_text() == (paths.ROOT / part / f"{id}.py").read_text(), \
                    f"{sample} differs from {part}/{id}.py: copy it again"
