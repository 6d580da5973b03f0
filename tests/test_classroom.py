"""The GitHub Classroom workflow of the student release: its self-check step, run here as Actions runs it
(in the student's repository, with the release installed), writes the job summary and the points of each
check for Classroom's reporter, and exits 0 only when every check passes."""
import base64
import json
import os
import shutil
import subprocess

import pytest
import yaml

from grader import exercises, paths, release

pytestmark = pytest.mark.slow
IDS = [ex.id for ex in exercises()]


@pytest.fixture(scope="module")
def workflow(student_release):
    return yaml.safe_load((student_release / release.WORKFLOW).read_text())


def test_the_workflow_is_the_one_classroom_reads(workflow):
    job = workflow["jobs"]["run-autograding-tests"]  # Classroom reads the check run of this name
    assert set(workflow["on"]) >= {"push"} and workflow["permissions"]["checks"] == "write"
    steps = {step.get("id") or step.get("name"): step for step in job["steps"]}
    assert "--index-url https://download.pytorch.org/whl/cpu" in steps["Install the grader (torch's CPU build)"]["run"]
    reporter = steps["Report to GitHub Classroom"]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runner = reporter["with"]["runners"]
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": f"${{{{ steps.{runner}.outputs.result }}}}"}
    assert steps[runner]["run"] == "gdgrader check --classroom"


def run_step(workflow, repository, venv, tmp_path):
    """The self-check step's command, in the repository, with what Actions gives a step."""
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    environ = {k: v for k, v in os.environ.items() if k != paths.ENV}
    step = next(s for s in workflow["jobs"]["run-autograding-tests"]["steps"] if s.get("id") == "gdgrader")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repository, capture_output=True, text=True,
                          timeout=600, env={**environ, "PATH": f"{venv / 'bin'}{os.pathsep}{environ['PATH']}",
                                            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)})
    name, _, value = output.read_text().strip().partition("=")
    assert name == "result"
    return done, summary.read_text(), json.loads(base64.b64decode(value))


def classroom_points(result: dict) -> tuple[float, float]:
    """What the reporter tells Classroom: the tests' scores added up, out of max_score."""
    return sum(test["score"] for test in result["tests"]), result["max_score"]


def test_an_untouched_repository_fails_with_every_check_listed(workflow, student_release, installed_release,
                                                                tmp_path):
    repository = shutil.copytree(student_release, tmp_path / "repository")
    done, summary, result = run_step(workflow, repository, installed_release, tmp_path)
    assert done.returncode == 1, done.stderr
    items = [(ex.id, item.name) for ex in exercises() for item in ex.items()]
    assert result["status"] == "fail" and len(result["tests"]) == len(items)
    assert classroom_points(result) == (0, sum(item.points for ex in exercises() for item in ex.items()))
    assert summary.startswith(f"## ❌ Self-check: 0 / {result['max_score']:g}\n")
    rows = [line for line in summary.splitlines() if line.startswith("| ❌ |")]
    assert [row.split(" | ")[1] for row in rows] == [f"{id}: {name}" for id, name in items]
    assert "not attempted yet" in summary and "hidden" in summary


def test_a_finished_repository_passes_with_full_points(workflow, student_release, installed_release, tmp_path):
    repository = shutil.copytree(student_release, tmp_path / "repository")
    for id in IDS:
        shutil.copy(paths.REFERENCE / f"{id}.py", repository / "exercises" / f"{id}.py")
    wrong = (repository / "exercises" / "minibatch.py").read_text().replace("torch.mean((y_hat - y) ** 2)",
                                                                             "torch.sum((y_hat - y) ** 2)")
    done, summary, result = run_step(workflow, repository, installed_release, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    score, max_score = classroom_points(result)
    assert result["status"] == "pass" and score == max_score > 0
    assert summary.startswith(f"## ✅ Self-check: {max_score:g} / {max_score:g}\n") and "| ❌ |" not in summary

    (repository / "exercises" / "minibatch.py").write_text(wrong)
    (tmp_path / "summary.md").unlink()
    (tmp_path / "output.txt").unlink()
    done, summary, result = run_step(workflow, repository, installed_release, tmp_path)
    assert done.returncode == 1 and result["status"] == "fail"
    failed = {t["name"]: t for t in result["tests"] if t["status"] == "fail"}
    assert "minibatch: criterion" in failed and {name.split(":")[0] for name in failed} == {"minibatch"}
    score = classroom_points(result)[0]
    assert 0 < score < max_score and summary.startswith(f"## ❌ Self-check: {score:g} / {max_score:g}\n")
    assert "**minibatch: criterion** (0 / 1)" in summary and "a sum where a mean is asked" in " ".join(summary.split())
