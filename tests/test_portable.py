"""The self-check where there is no fork, no `resource` and no `fcntl` (macOS, Windows): student code still runs
in a process of its own, with a wall-clock limit and a clean kill, and the report says what was not applied.
Proved here by taking those away from the grader in a process of its own."""
import json
import subprocess
import sys

from conftest import mutate
from grader import paths

WITHOUT_POSIX = """
import os, sys
sys.modules["resource"] = None  # `import resource` fails, as on Windows
sys.modules["fcntl"] = None
del os.fork  # and there is no fork
from grader.cli import main
sys.exit(main(sys.argv[1:]))
"""


def check(*args, timeout=600):
    return subprocess.run([sys.executable, "-c", WITHOUT_POSIX, "check", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=paths.ROOT)


def test_a_complete_submission_passes_every_public_check(tmp_path):
    (tmp_path / "minibatch.py").write_text(mutate("minibatch"))
    done = check(tmp_path / "minibatch.py", "--json", tmp_path / "report.json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["score"] == report["max_score"] > 0
    sandbox = report["exercises"][0]["sandbox"]
    assert sandbox["files"] == "not isolated" and "process of its own" in sandbox["process"]


def test_a_broken_submission_gets_its_messages_and_limits(tmp_path):
    (tmp_path / "minibatch.py").write_text(mutate(
        "minibatch", ("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)"),
        ("    return w * X + b\n", "    while True:\n        pass\n")))
    done = check(tmp_path / "minibatch.py", "--time-per-check", "2", "--json", tmp_path / "report.json")
    assert done.returncode == 1, done.stderr[-3000:]
    checks = {c["name"]: c for c in json.loads((tmp_path / "report.json").read_text())["exercises"][0]["checks"]}
    assert "time limit per check (2 s) hit" in checks["forward"]["message"]
    assert "with the squared errors summed instead of averaged" in " ".join(checks["criterion"]["message"].split())
    assert checks["step"]["passed"] and checks["LinearData"]["passed"]
    assert "syntax error" not in done.stdout and "Traceback" not in done.stdout


def test_the_grader_does_not_need_them_to_start(tmp_path):
    done = subprocess.run([sys.executable, "-c", WITHOUT_POSIX, "list"], capture_output=True, text=True, timeout=60,
                          cwd=paths.ROOT)
    assert done.returncode == 0 and "minibatch" in done.stdout, done.stderr
