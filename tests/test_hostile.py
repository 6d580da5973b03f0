"""Hostile and broken submissions: each gets 0 for what it breaks, with its message; the grader survives."""
import hashlib
import json
import os

import pytest

import hostile
from conftest import failed, mutate
from grader import Grader, paths, sandbox
from grader.sandbox import UID_BASE, Limits

LIMITS = Limits(seconds_per_check=3, seconds_per_submission=60, memory_mb=400, output_kb=64)


def project_files() -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths.ROOT.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            and ".git" not in p.parts and ".venv" not in p.parts and ".pytest_cache" not in p.parts}


@pytest.fixture(scope="module")
def strict():
    before = project_files()
    grader = Grader(limits=LIMITS, exercises=("minibatch",))
    yield grader
    grader.runner.close()
    assert project_files() == before, "the corpus changed the project's files"


def stray_processes() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = open(f"/proc/{pid}/status").read()
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "\nState:\tZ" in status:
            continue  # already dead, waiting to be reaped
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if (uid - UID_BASE) // 100 == os.getpid() % 100_000 or "sleep 777" in cmdline:  # our children's users
            found.append(f"{pid} uid {uid}: {cmdline}")
    return found


@pytest.mark.parametrize("name", hostile.CASES)
def test_a_hostile_or_broken_submission_loses_only_what_it_breaks(name, strict, tmp_path):
    if name in hostile.NEEDS_ROOT and os.geteuid() != 0:
        pytest.skip("this protection needs the grader to run as root")
    (tmp_path / "minibatch.py").write_text(hostile.source(name))
    result = strict.grade(tmp_path).exercises[0]
    owners, text = hostile.CASES[name][1]
    owners = {c.name for c in result.checks} if owners == hostile.ALL else owners
    assert failed(result) == owners, [c.message for c in result.checks if not c.passed][:3]
    for check in result.checks:
        if check.name in owners and text:
            assert text in check.message, check.message
            assert "Traceback (most recent call last)" not in check.message
            frames = [line for line in check.message.splitlines() if line.strip().startswith('File "')]
            assert all(line.strip().startswith('File "minibatch.py"') for line in frames), "only their own frames"
    assert stray_processes() == []


def test_a_file_in_another_encoding_gets_a_clear_message(strict, tmp_path):
    (tmp_path / "minibatch.py").write_bytes(hostile.LATIN1.encode("latin-1") + b"x = 1\n")
    result = strict.grade(tmp_path).exercises[0]
    assert result.score == 0
    assert {c.message for c in result.checks} == {"minibatch.py is not UTF-8 text (line 2): save it as UTF-8 "
                                                  "and submit it again"}


def test_code_that_imports_more_of_python_than_the_grader_preloads_runs_as_usual(strict, tmp_path):
    """A child with a user of its own still reads the interpreter's files, wherever Python is installed."""
    imports = "import graphlib, shelve, wave, numpy.testing"  # none of them loaded before the fork
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", ("import torch\n", f"import torch\n{imports}\n")))
    result = strict.grade(tmp_path).exercises[0]
    assert failed(result) == set(), [c.message for c in result.checks if not c.passed][:2]


def test_the_report_says_which_protections_were_in_force(strict, tmp_path):
    (tmp_path / "minibatch.py").write_text(hostile.source("wrong shape"))
    sandbox = strict.grade(tmp_path).exercises[0].sandbox
    assert set(sandbox) == {"process", "user", "network", "files", "limits"}
    if os.geteuid() == 0:
        assert "unprivileged" in sandbox["user"] and sandbox["network"] == "none"
        assert sandbox["files"].startswith("project read-only")
    assert "3 s per check" in sandbox["limits"]


def test_without_isolation_writing_into_the_reference_is_undone_and_scores_0(tmp_path):
    """As a user who cannot isolate children, changes to the grader's files are caught and put back."""
    before = project_files()
    grader = Grader(limits=LIMITS, exercises=("minibatch",), isolate=False)
    try:
        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "minibatch.py").write_text(hostile.source("writes into the reference"))
        (tmp_path / "good").mkdir()
        (tmp_path / "good" / "minibatch.py").write_text(hostile.mutate("minibatch"))
        bad, good = grader.grade(tmp_path / "bad"), grader.grade(tmp_path / "good")
    finally:
        grader.runner.close()
    assert project_files() == before
    assert bad.score == 0 and "changed the grader's files (reference/minibatch.py)" in bad.warnings[0]
    assert good.score == good.max_score and not good.warnings


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_a_child_reaches_what_it_needs_under_a_folder_closed_to_other_users(tmp_path):
    """A project under /root or a 0700 home: the child's user gets the way to Python and the project, no more."""
    closed = tmp_path / "home"
    (closed / "project" / "grader").mkdir(parents=True)
    (closed / "project" / "grader" / "a.py").write_text("ok")
    (closed / "secret.txt").write_text("secret")
    closed.chmod(0o700)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as the grader's children start
        try:
            os.close(read)
            sandbox.isolate(UID_BASE + 99, 8, reveal=(str(closed / "project"),))
            seen = [(closed / "project" / "grader" / "a.py").read_text(), sorted(os.listdir(closed))]
            for attempt in (lambda: (closed / "secret.txt").read_text(), lambda: (closed / "new").mkdir()):
                try:
                    attempt()
                    seen.append("allowed")
                except OSError as exc:
                    seen.append(type(exc).__name__)
            os.write(write, json.dumps(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        seen = json.loads(pipe.read() or "null")
    os.waitpid(pid, 0)
    assert seen == ["ok", ["project"], "FileNotFoundError", "OSError"]
    assert sorted(os.listdir(closed)) == ["project", "secret.txt"]  # only the child's view changed
