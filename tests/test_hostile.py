"""Hostile and broken submissions: each gets 0 for what it breaks, with its message; the grader survives.

The first tests grade one submission at a time. The class tests run a whole class, honest students beside
attackers who have read the grader's source, once as root and once as an unprivileged user (the user-namespace
path), and check that every attacker earns only what its code earns, classmates lose nothing, nothing of the
reference, the hidden cases or a classmate reaches any file the run writes or prints, nothing outlives the run,
and the grading process's memory stays bounded.
"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import hostile
from conftest import failed, mutate
from grader import Grader, GraderError, exercise, paths
from grader.protocol import Limits

LIMITS = Limits(seconds_per_check=3, seconds_per_submission=60, memory_mb=400, output_kb=64)
MARKS = ("REF-MARK", "HID-MARK", hostile.ADA_MARK, hostile.TOKEN_MARK)


def poison_targets() -> dict[str, str | None]:
    """What hostile.POISON writes to (compiled grader code, a .pth that every Python start runs, the environment's
    bin/): each one's digest, None when absent."""
    import site

    targets = (paths.PACKAGE / "__pycache__" / "compare.cpython-311.pyc", paths.PACKAGE / "judge.py",
               Path(site.getsitepackages()[0]) / "zzz-gdgrader.pth", Path(sys.prefix) / "bin" / "python-owned")
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in targets}


def project_files() -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths.ROOT.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
            and ".git" not in p.parts and ".venv" not in p.parts and ".pytest_cache" not in p.parts
            and "demo-out" not in p.parts}


@pytest.fixture(scope="module")
def strict():
    before = project_files()
    grader = Grader(limits=LIMITS, exercises=("minibatch",))
    yield grader
    grader.runner.close()
    assert project_files() == before, "the corpus changed the project's files"


def descendants(pid: int) -> list[str]:
    """The live processes below ``pid``, described."""
    parents, described = {}, {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{entry}/stat").read()
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            parents[int(entry)], described[int(entry)] = int(parent), f"{entry}: {cmdline}"
    found = []
    for child, parent in parents.items():
        while parent > 1 and parent != pid:
            parent = parents.get(parent, 0)
        if parent == pid and child != pid:
            found.append(described[child])
    return found


def survivors() -> list[str]:
    """Processes anywhere that an attacker left running."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            state = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and ("sleep 777" in cmdline or hostile.SURVIVOR in cmdline):
            found.append(f"{entry}: {cmdline}")
    return found


@pytest.mark.parametrize("name", hostile.CASES)
def test_a_hostile_or_broken_submission_loses_only_what_it_breaks(name, strict, tmp_path):
    (tmp_path / "minibatch.py").write_text(hostile.source(name))
    result = strict.grade(tmp_path).exercises[0]
    owners, text = hostile.CASES[name][1]
    owners = {c.name for c in result.checks} if owners == hostile.ALL else owners
    assert failed(result) == owners, [c.message for c in result.checks if not c.passed][:3]
    for check in result.checks:
        if check.name in owners and text and not check.hidden:  # a hidden case shows no text the code wrote
            assert text in check.message, check.message
        if check.name in owners:
            assert "Traceback (most recent call last)" not in check.message
            frames = [line for line in check.message.splitlines() if line.strip().startswith('File "')]
            assert all(line.strip().startswith('File "minibatch.py"') for line in frames), "only their own frames"
    waiter = strict.runner._server._process.pid  # the template is its one child, the first of its PID namespace
    template = [int(pid) for pid in open(f"/proc/{waiter}/task/{waiter}/children").read().split()]
    deadline = time.monotonic() + 10  # a child ends as soon as it is done; the grader does not wait for that
    while len(template) == 1 and descendants(template[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(template) == 1 and descendants(template[0]) == [], "a child outlived its job"
    assert survivors() == []


def test_a_file_in_another_encoding_gets_a_clear_message(strict, tmp_path):
    (tmp_path / "minibatch.py").write_bytes(hostile.LATIN1.encode("latin-1") + b"x = 1\n")
    result = strict.grade(tmp_path).exercises[0]
    assert result.score == 0
    assert {c.message for c in result.checks} == {"minibatch.py is not UTF-8 text (line 2): save it as UTF-8 "
                                                  "and submit it again"}


def test_code_that_imports_more_of_python_than_the_grader_preloads_runs_as_usual(strict, tmp_path):
    """A child sees the whole Python installation, wherever it is installed (here, under a 0700 /root)."""
    imports = "import graphlib, shelve, wave, numpy.testing, scipy" if _has("scipy") else \
        "import graphlib, shelve, wave, numpy.testing"
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", ("import torch\n", f"import torch\n{imports}\n")))
    result = strict.grade(tmp_path).exercises[0]
    assert failed(result) == set(), [c.message for c in result.checks if not c.passed][:2]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_the_report_says_which_protections_were_in_force(strict, tmp_path):
    (tmp_path / "minibatch.py").write_text(hostile.source("wrong shape"))
    sandbox = strict.grade(tmp_path).exercises[0].sandbox
    assert set(sandbox) == {"process", "user", "network", "files", "limits"}
    assert "PID namespace" in sandbox["process"] and sandbox["network"].startswith("none")
    assert sandbox["files"].startswith("read-only: Python")
    assert "3 s per check" in sandbox["limits"]


def test_without_isolation_grade_refuses_and_check_runs(tmp_path):
    """Where children cannot be isolated, grading other people's code is refused unless asked for, and says why;
    a student's own check still runs."""
    (tmp_path / "minibatch.py").write_text(mutate("minibatch"))
    grader = Grader(limits=LIMITS, exercises=("minibatch",), isolate=False)
    try:
        with pytest.raises(GraderError, match="cannot be isolated here .*--unsafe"):
            grader.grade(tmp_path)
    finally:
        grader.runner.close()
    check = Grader(limits=LIMITS, exercises=("minibatch",), isolate=False, hidden=False)
    unsafe = Grader(limits=LIMITS, exercises=("minibatch",), isolate=False, unsafe=True)
    try:
        for grader in (check, unsafe):
            report = grader.grade(tmp_path)
            assert report.score == report.max_score > 0
            assert report.exercises[0].sandbox["files"].startswith("not isolated")
    finally:
        check.runner.close()
        unsafe.runner.close()


# A class under attack.

def marked_course(root: Path) -> paths.Course:
    """A copy of the course with a marker in every graded body of the reference and in every hidden case."""
    for part in ("exercises", "reference", "hidden"):
        shutil.copytree(paths.ROOT / part, root / part)
    reference, targets = root / "reference" / "minibatch.py", exercise("minibatch").targets
    reference.write_text(re.sub(r"^(def|class) (\w+)(.*:)\n",
                                lambda m: m.group(0) + (f'    "REF-MARK-{m.group(2)}"\n' if m.group(2) in targets else ""),
                                reference.read_text(), flags=re.MULTILINE))
    scenarios = json.loads((root / "hidden" / "minibatch.json").read_text())
    for i, scenario in enumerate(scenarios):
        scenario["params"]["marker"] = f"HID-MARK-scenario-{i}"
    (root / "hidden" / "minibatch.json").write_text(json.dumps(scenarios))
    return paths.Course(root)


CLASS_RUN = """
import json, resource, sys
from pathlib import Path
from grader import Grader, batch, paths
from grader.protocol import Limits

course, folder, out = map(Path, sys.argv[1:4])
grader = Grader(course=paths.Course(course), exercises=("minibatch",),
                limits=Limits(seconds_per_check=5, seconds_per_submission=90, memory_mb=700, output_kb=128))
grader.protections()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = batch.grade_class(batch.Threads(grader, 2), folder, out)
grader.runner.close()
print(json.dumps({"base_kb": base, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "failed": summary.failed, "graded": sorted(summary.graded)}))
"""


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


HANDED_IN = ("links-its-file-to-the-solutions", "links-its-folder-to-the-solutions", "hands-in-a-named-pipe")


def attack_class(root: Path) -> tuple[Path, Path]:
    """Honest students and one attacker per attack, in a marked course; every folder readable by any user."""
    course = marked_course(root / "course")
    folder = root / "class"
    students = {"ada": mutate("minibatch", ("import torch\n", f'import torch\nADA_MARK = "{hostile.ADA_MARK}"\n')),
                "bo": mutate("minibatch", (hostile.FORWARD, hostile.READ_SHARED.lstrip("\n") + hostile.FORWARD))}
    students |= {slug(name): mutate("minibatch", *replacements) for name, (replacements, _) in hostile.ATTACKS.items()}
    for name, source in students.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "minibatch.py").write_text(source)
    # 3. Paths the grader must not trust: a file linked to the solutions, a whole folder linked to them, a pipe.
    for name in HANDED_IN:
        (folder / name).mkdir()
    (folder / "links-its-file-to-the-solutions" / "minibatch.py").symlink_to(course.reference / "minibatch.py")
    (folder / "links-its-folder-to-the-solutions").rmdir()
    (folder / "links-its-folder-to-the-solutions").symlink_to(course.reference)
    os.mkfifo(folder / "hands-in-a-named-pipe" / "minibatch.py")
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() else 0o666 if stat.S_ISFIFO(path.lstat().st_mode) else 0o644)
    return course.root, folder


def shared_notes() -> list[str]:
    return [str(p) for p in (Path("/tmp"), Path("/dev/shm"), Path.home(), Path("/var/tmp"))
            if (p / hostile.SHARED).exists()]


def run_attacked_class(command_prefix: list[str]):
    root = Path(tempfile.mkdtemp(prefix="gdgrader-attack-"))
    try:
        root.chmod(0o777)
        course, folder = attack_class(root)
        out = root / "out"
        out.mkdir()
        out.chmod(0o777)
        before, poisoned = project_files(), poison_targets()
        done = subprocess.run([*command_prefix, sys.executable, "-c", CLASS_RUN, str(course), str(folder), str(out)],
                              capture_output=True, text=True, timeout=900, cwd=paths.ROOT,
                              env=dict(os.environ, **{hostile.TOKEN: hostile.TOKEN_MARK}))
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary["failed"] == {}, summary["failed"]
        reports = {p.stem: json.loads(p.read_text()) for p in (out / "reports").glob("*.json")}
        assert set(reports) == {"ada", "bo", *map(slug, hostile.ATTACKS), *HANDED_IN}
        for name in HANDED_IN:  # refused unopened: nothing of the solutions graded, nothing waited on
            assert reports[name]["score"] == 0, name
        for honest in ("ada", "bo"):
            assert reports[honest]["score"] == reports[honest]["max_score"] > 0, honest
        for name, (_, lost) in hostile.ATTACKS.items():
            checks = reports[slug(name)]["exercises"][0]["checks"]
            assert {c["name"] for c in checks if not c["passed"]} == lost, \
                (name, [c["message"][:300] for c in checks if not c["passed"]])
            assert all(hostile.SAYS.get(name, "") in c["message"] for c in checks if not c["passed"]), name
        written = [p for p in out.rglob("*") if p.is_file()]
        texts = {str(p): p.read_bytes().decode("utf-8", "replace") for p in written}
        texts["stdout"], texts["stderr"] = done.stdout, done.stderr
        leaks = [(where, mark) for where, text in texts.items() for mark in MARKS if mark in text]
        assert leaks == [], leaks
        assert "\x1b" not in done.stdout + done.stderr
        assert survivors() == [] and shared_notes() == []
        assert project_files() == before, "an attacker changed the project's files"
        assert poison_targets() == poisoned, "an attacker wrote into the grader's bytecode or the environment"
        grown = (summary["peak_kb"] - summary["base_kb"]) / 1024
        assert grown < 200, f"the grading process grew by {grown:.0f} MB"
        return summary
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_a_class_under_attack_as_root():
    if os.geteuid() != 0:
        pytest.skip("the root path needs root")
    run_attacked_class([])


def as_plain_user() -> list[str]:
    """A command prefix that runs as the unprivileged user nobody, with Python reachable when it lives under a
    folder closed to other users (such as /root); None where that cannot be set up."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    closed = [p for p in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), paths.ROOT.resolve()}
              if not _reachable_by_others(p)]
    if not closed:
        return prefix
    if closed != [p for p in closed if p.is_relative_to("/root")]:
        return None
    # Cover /root, in a mount namespace of the test's own, with an open folder holding just what Python needs.
    keep = sorted({str(p.relative_to("/root")).split("/")[0] for p in closed})
    script = "set -e; h=$(mktemp -d); " + "".join(f"mkdir -p $h/{k}; mount --bind /root/{k} $h/{k}; " for k in keep) \
        + "mount -t tmpfs -o mode=755 tmpfs /root; " \
        + "".join(f"mkdir -p /root/{k}; mount --bind $h/{k} /root/{k}; " for k in keep) + 'exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", *prefix]


def _reachable_by_others(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


@pytest.mark.slow
def test_a_class_under_attack_as_an_unprivileged_user():
    if os.geteuid() != 0:
        prefix = []  # already a plain user
    else:
        prefix = as_plain_user()
        if prefix is None or shutil.which("setpriv") is None or shutil.which("unshare") is None:
            pytest.skip("cannot make an unprivileged user here")
    summary = run_attacked_class(prefix)
    assert summary["graded"]
