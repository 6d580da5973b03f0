"""The pytest route: one item per check, the grader's message on failure, points as properties."""
import subprocess
import sys

from conftest import mutate


def test_pytest_grade_gives_one_item_per_check_with_the_message(tmp_path):
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", ("torch.mean((y_hat - y) ** 2)",
                                                                "torch.sum((y_hat - y) ** 2)")))
    junit = tmp_path / "junit.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "--grade", str(tmp_path), "--grade-exercise", "minibatch",
                           "-p", "no:cacheprovider", f"--junitxml={junit}"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 1, out
    assert "2 failed, 21 passed" in out
    assert "FAILED minibatch::criterion - 0 / 1" in out
    assert "possibly a sum where a mean is asked" in out
    assert 'name="points" value="1.0"' in junit.read_text()
    assert "gdgrader score: 36 / 38" in out
