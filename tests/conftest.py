"""Shared fixtures: one Grader (fork server and reference results) for the whole session; the grader and
the student release installed as users install them; how a mistake and a correct style must be graded,
and the counts the suite prints (margins, and how each mistake is named)."""
from __future__ import annotations

import ast
import os
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import Grader, exercise, exercises, paths
from grader.judge import KNOWN, WIDTH
from grader.results import ExerciseResult
from grader.spec import load_hidden

def load_reference(exercise: str):
    """reference/<exercise>.py, loaded fresh as a module of its own (students' code may not import it)."""
    found = importlib.util.spec_from_file_location(f"{exercise}_reference", paths.REFERENCE / f"{exercise}.py")
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def all_items(exercise_id: str):
    """Every item of an exercise, its hidden cases included."""
    return exercise(exercise_id).items(load_hidden(paths.HIDDEN, exercise_id))


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The reference's results are cached in a folder of the test session's own (see grader/cache.py)."""
    os.environ["GDGRADER_CACHE"] = str(tmp_path_factory.mktemp("cache"))


MARGINS: dict[tuple[str, str], float] = {}  # (exercise, what) -> deviation / tolerance
MISTAKE, STYLE = "smallest deviation of a mistake", "largest deviation of a correct style"


@pytest.fixture(scope="session")
def grader():
    g = Grader()
    yield g
    g.runner.close()


def mutate(exercise: str, *replacements: tuple[str, str]) -> str:
    """The reference of ``exercise`` with each (old, new) replaced; each old must occur exactly once."""
    source = (paths.REFERENCE / f"{exercise}.py").read_text(encoding="utf-8")
    for old, new in replacements:
        assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times in reference/{exercise}.py"
        source = source.replace(old, new)
    return source


@pytest.fixture
def grade_source(grader, tmp_path):
    """Grade one exercise's source text as a submission; returns its ExerciseResult."""

    def grade(exercise: str, source: str, suffix: str = ".py") -> ExerciseResult:
        folder = tmp_path / f"submission{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / f"{exercise}{suffix}").write_text(source, encoding="utf-8")
        report = grader.grade(folder)
        return next(e for e in report.exercises if e.exercise == exercise)

    return grade


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def code_of(source: str) -> tuple[set[str], set[str], set[str]]:
    """Statements, pairs of consecutive statements, and expressions, at any depth, as normalised code."""
    singles, pairs, expressions = set(), set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.expr):
            expressions.add(ast.unparse(node))
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, [])
            block = [ast.unparse(s) for s in statements if isinstance(s, ast.stmt) and not _is_docstring(s)] \
                if isinstance(statements, list) else []
            singles |= set(block)
            pairs |= {f"{a}\n{b}" for a, b in zip(block, block[1:])}
    return singles, pairs, expressions


def solutions(exercise: str) -> list[tuple[str, str]]:
    """What must not leave the repository: of each graded body, its statement (a one-line body) or its pairs
    of consecutive statements, and the expressions it returns; (kind, code) pairs the stub does not hold."""
    ex = next(e for e in exercises() if e.id == exercise)
    stub = code_of((paths.EXERCISES / f"{exercise}.py").read_text())
    found = []
    for node in ast.parse((paths.REFERENCE / f"{exercise}.py").read_text()).body:
        if getattr(node, "name", None) not in ex.targets:
            continue
        functions = [node] if isinstance(node, ast.FunctionDef) else [n for n in node.body
                                                                       if isinstance(n, ast.FunctionDef)]
        for function in functions:
            body = [ast.unparse(s) for s in function.body if not _is_docstring(s)]
            if len(body) == 1:
                found.append(("statement", body[0]))
            found += [("pair", f"{a}\n{b}") for a, b in zip(body, body[1:])]
            found += [("expression", ast.unparse(n.value)) for n in ast.walk(function)
                      if isinstance(n, ast.Return) and n.value is not None and len(ast.unparse(n.value)) > 12]
    index = {"statement": 0, "pair": 1, "expression": 2}
    return [(kind, code) for kind, code in found if code not in stub[index[kind]]]


def leaks(exercise: str, released: dict[str, tuple[set[str], set[str], set[str]]]) -> list[str]:
    """Where, among released code (name -> code_of(...)), any part of an exercise's solutions stands."""
    index = {"statement": 0, "pair": 1, "expression": 2}
    return [f"{exercise}: the {kind} {code!r} is in {name}" for kind, code in solutions(exercise)
            for name, found in released.items() if code in found[index[kind]]]


def failed(result: ExerciseResult) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def every(exercise_id: str, check: str) -> set[str]:
    """The names of a check's items, public and hidden."""
    return {item.name for item in all_items(exercise_id) if item.check.name == check}


def public_items(exercise_id: str, check: str) -> set[str]:
    return {item.name for item in all_items(exercise_id) if item.check.name == check and not item.hidden}


def flat(message: str) -> str:
    """A message as one line: its wrapping undone, to look for a phrase in it."""
    return " ".join(message.split())


def hint_of(message: str) -> str:
    """The hint a message gives ('' if none), its wrapping undone."""
    found = re.search(r"^Hint: (.*(?:\n  .*)*)", message, re.M)
    return flat(found.group(1)) if found else ""


def known_of(message: str) -> str:
    """The known mistake a message names ('' if none), its wrapping undone."""
    found = re.search(rf"^{KNOWN}(.*(?:\n  .*)*)", message, re.M)
    return flat(found.group(1)) if found else ""


def cause_of(message: str) -> str:
    """The cause a message names: the known mistake it matches, else its hint ('' if neither)."""
    return known_of(message) or hint_of(message)


def naming(message: str) -> str:
    """How a message names the cause of a mistake: 'known' (it matches a known mistake), 'pattern' (a hint from
    the shape of the difference or a known error), or 'unnamed' (what differs and where, no cause)."""
    if known_of(message):
        return "known"
    return "pattern" if hint_of(message) else "unnamed"


def assert_layout(message: str):
    """A message in short lines: what was checked first, then the cause (a known mistake or a hint) on a line of
    its own, then what differs; every line fits the width, except the student's own traceback lines at its end."""
    lines = message.split('\n  File "')[0].splitlines()
    long = [line for line in lines if len(line) > WIDTH]
    assert not long, f"lines longer than {WIDTH} columns: {long}"
    assert lines[0].startswith("Checked ")
    checked = 1 + next((i for i, line in enumerate(lines[1:]) if not line.startswith("  ")), len(lines) - 1)
    causes = [i for i, line in enumerate(lines) if line.startswith(("Hint: ", KNOWN))]
    assert causes in ([], [checked]), f"the cause should follow what was checked, once:\n{message}"


NAMED: dict[tuple[str, str], tuple[bool, str]] = {}  # (exercise, mistake) -> (caught by a public case, naming)


def assert_mistake(exercise: str, result: ExerciseResult, owners: set[str], text: str | tuple[str, ...],
                   failing: set[str] | None = None, *, hint: str | tuple[str, ...] | None = None, name: str = ""):
    """A mistake fails exactly the checks that own it (``failing``, when several mistakes are graded together),
    a public case among them, so that the self-check loses points on the same checks as the grade; its first
    message holds ``text``; it stands far outside the tolerance. Every cause its messages name (a known mistake
    or a hint) holds ``hint`` (one of them, when several checks each name the cause in their own words), and with
    ``hint`` None, none names one: no message names a cause the mistake does not have."""
    assert failed(result) == (owners if failing is None else failing)
    checks = {item.name: item for item in all_items(exercise)}
    lost = {checks[c.name].check.name for c in result.checks if not c.passed and c.name in owners}
    lost_public = {checks[c.name].check.name for c in result.checks
                   if not c.passed and c.name in owners and not checks[c.name].hidden}
    assert lost_public == lost, f"only the hidden cases catch it on {lost - lost_public}"
    first = next(c for c in result.checks if c.name in owners)
    for part in (text,) if isinstance(text, str) else text:
        assert part in flat(first.message), first.message
    causes = (hint,) if isinstance(hint, str) else hint
    if causes is not None:
        assert any(cause in cause_of(first.message) for cause in causes), first.message
    for c in result.checks:
        if c.name in owners:
            assert_layout(c.message)
            given = cause_of(c.message)
            if causes is None:
                assert not given, f"{c.name}: a cause for a mistake it cannot name: {given!r}"
            elif given:
                assert any(cause in given for cause in causes), \
                    f"{c.name}: the cause {given!r} is another than {causes}"
    smallest = min(c.deviation for c in result.checks if c.name in owners)
    MARGINS[exercise, MISTAKE] = min(MARGINS.get((exercise, MISTAKE), float("inf")), smallest)
    NAMED[exercise, name or text] = (bool(lost_public), naming(first.message))
    assert smallest > 100, f"a deviation of only {smallest:.3g}x the tolerance"


def assert_style(exercise: str, result: ExerciseResult, checks: set[str] | None = None):
    """A correct style gets full marks, well inside the tolerance (on ``checks``, or every check)."""
    assert failed(result) == set(), "\n".join(c.message for c in result.checks if not c.passed)
    assert result.score == result.max_score
    largest = max(c.deviation for c in result.checks if checks is None or c.name in checks)
    MARGINS[exercise, STYLE] = max(MARGINS.get((exercise, STYLE), 0.0), largest)
    assert largest < 0.1, f"a deviation of {largest:.3g}x the tolerance"


def pytest_terminal_summary(terminalreporter):
    if MARGINS:
        terminalreporter.section("tolerance margins: deviation / tolerance, per exercise")
        for exercise in sorted({e for e, _ in MARGINS}):
            style, mistake = MARGINS.get((exercise, STYLE)), MARGINS.get((exercise, MISTAKE))
            terminalreporter.write_line(f"{exercise:<15} correct styles at most {style or 0:.3g}, "
                                        f"mistakes at least {mistake if mistake is not None else float('nan'):.3g}")
    if NAMED:
        terminalreporter.section("typical mistakes: caught by the public cases, and how the message names them")
        terminalreporter.write_line(f"{'exercise':<15}{'mistakes':>9}{'(a) public':>12}{'(b) known':>11}"
                                    f"{'(c) pattern':>13}{'(d) unnamed':>13}")
        for exercise in sorted({e for e, _ in NAMED}):
            rows = [v for (e, _), v in NAMED.items() if e == exercise]
            count = {kind: sum(named == kind for _, named in rows) for kind in ("known", "pattern", "unnamed")}
            terminalreporter.write_line(f"{exercise:<15}{len(rows):>9}{sum(public for public, _ in rows):>12}"
                                        f"{count['known']:>11}{count['pattern']:>13}{count['unnamed']:>13}")


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the grader installed from its wheel, as a user installs it: not
    editable, no course inside (constraints.txt makes torch this machine's local CPU wheel)."""
    work = tmp_path_factory.mktemp("installed")
    source = work / "source"
    shutil.copytree(paths.PACKAGE, source / "grader", ignore=shutil.ignore_patterns("__pycache__", "expected.json"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(paths.ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "wheel", source)
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "pip", "install", "--quiet", "-c", paths.ROOT / "constraints.txt",
        *(work / "wheel").glob("gdgrader-*.whl"))
    return venv


@pytest.fixture(scope="session")
def student_release(tmp_path_factory) -> Path:
    """The student release, as ``release`` writes it (untouched: copy it before changing it)."""
    from grader import release

    return release.build(tmp_path_factory.mktemp("release") / "course")


@pytest.fixture(scope="session")
def installed_release(installed, student_release, tmp_path_factory) -> Path:
    """A virtual environment with the student release installed (`pip install .` in it, not editable): a copy
    of ``installed`` (hard links: its packages are already there) with the release in place of the wheel."""
    work = tmp_path_factory.mktemp("installed-release")
    shutil.copytree(student_release, work / "course")
    venv = work / "venv"
    run("cp", "-al", installed, venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", work / "course")
    return venv
