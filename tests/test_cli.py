"""The command line, run as a user runs it."""
import json
import os
import subprocess
import sys

import pytest

from grader import __version__, paths


def run(*args, cwd=paths.ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_grade_reference_writes_the_json_report(tmp_path):
    out = tmp_path / "r.json"
    done = run("grade", "reference", "--json", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert set(report) >= {"submission", "score", "max_score", "exercises"}
    assert report["score"] == report["max_score"] > 0
    check = report["exercises"][0]["checks"][0]
    assert set(check) >= {"name", "score", "max_score", "passed", "hidden", "message"}
    assert any(c["hidden"] for e in report["exercises"] for c in e["checks"])
    assert "Total:" in done.stdout


def test_grade_the_stubs_scores_zero_and_still_exits_0(tmp_path):
    done = run("grade", "exercises", "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0
    assert "not attempted yet" in done.stdout


def test_one_file_with_the_exercise_from_its_name_the_option_or_what_it_defines(tmp_path):
    (tmp_path / "homework.py").write_text((paths.REFERENCE / "minibatch.py").read_text())
    done = run("grade", str(tmp_path / "homework.py"), "--exercise", "minibatch", "--quiet")
    assert done.returncode == 0 and done.stdout.startswith("Total: ") and done.stdout.split()[1] == \
        done.stdout.split()[3]
    done = run("grade", str(tmp_path / "homework.py"))
    assert done.returncode == 0 and done.stdout.startswith("warning: homework.py was graded as minibatch, by the "
                                                           "functions it defines")
    (tmp_path / "notes.py").write_text("x = 1\n")
    done = run("grade", str(tmp_path / "notes.py"))
    assert done.returncode == 2 and "no exercise called 'notes'" in done.stderr


def test_a_missing_file_is_not_submitted(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run("grade", str(tmp_path / "empty"), "--json", str(tmp_path / "r.json"))
    checks = [c for e in json.loads((tmp_path / "r.json").read_text())["exercises"] for c in e["checks"]]
    assert done.returncode == 0 and {c["status"] for c in checks} == {"not submitted"}


@pytest.mark.parametrize("args, says", [
    (("grade", "no/such/folder"), "no such file or folder"),
    (("grade",), "the following arguments are required: path"),
    (("frobnicate",), "invalid choice"),
    (("grade", "reference", "--exercise", "nope"), "no exercise called 'nope'"),
])
def test_usage_errors_exit_2_with_a_message(args, says):
    done = run(*args)
    assert done.returncode == 2 and says in done.stderr


def test_check_runs_the_public_cases_and_exits_1_when_something_fails():
    done = run("check")
    assert done.returncode == 1
    assert "hidden" not in done.stdout and "not attempted yet" in done.stdout


def test_list_and_help():
    assert run("list").stdout.splitlines()[0].split("\t")[0] in {e for e in run("list").stdout.split()}
    help_text = run("--help").stdout
    assert "check" in help_text and "grade" in help_text


def test_version_and_help_name_the_command_as_invoked():
    assert run("--version").stdout == f"gdgrader {__version__}\n"
    assert run("--help").stdout.startswith("usage: python -m grader ")
    for command in ("check", "grade", "list", "release", "gradescope", "notebooks"):
        assert "--course DIR" in run(command, "--help").stdout, command


def test_a_python_without_torch_or_numpy_gets_one_line_and_exit_2(tmp_path):
    """Forgetting the virtual environment: this Python has none of the packages (the grader itself is found in
    the working directory)."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    for args in (("check",), ("grade", "reference"), ("list",)):
        done = subprocess.run([str(bare / "bin" / "python"), "-m", "grader", *args], cwd=paths.ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(f"error: this Python ({bare / 'bin' / 'python'}) has no torch, numpy, "
                                      "matplotlib: ")
        assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in done.stderr


def test_classroom_output_is_for_a_github_actions_step():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    done = subprocess.run([sys.executable, "-m", "grader", "check", "--classroom"], cwd=paths.ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert "--classroom runs in a GitHub Actions step, which sets GITHUB_STEP_SUMMARY and GITHUB_OUTPUT" in done.stderr
