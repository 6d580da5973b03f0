"""The pytest route: one item per check, the grader's message on failure, points as properties."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import mutate
from grader import exercises, paths


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
    assert "with the squared errors summed instead of averaged" in " ".join(out.split())
    assert 'name="points" value="1.0"' in junit.read_text()
    assert "gdgrader score: 36 / 38" in out


# A student's repository that makes every test pass: a conftest.py, or a plugin its pytest.ini loads.
FORCE_PASS = """\
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome, report.longrepr = "passed", None
    return report
"""
# The command a workflow in a student's repository runs (the README gives it): no configuration file, no
# plugin but the grader's, nothing from the working directory on the import path.
DOCUMENTED = ["-I", "-m", "pytest", "-c", "/dev/null", "-p", "gdgrader", "-p", "no:cacheprovider"]


def pytest_in(repository, venv, *args, documented=False):
    environ = {k: v for k, v in os.environ.items() if k not in (paths.ENV, "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    if documented:
        environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [str(venv / "bin" / "python"), *(DOCUMENTED if documented else ["-m", "pytest", "-p", "no:cacheprovider"]),
               *args]
    return subprocess.run(command, cwd=repository, capture_output=True, text=True, timeout=600, env=environ)


@pytest.fixture
def repository(student_release, tmp_path):
    """A student's repository: the release, one exercise done."""
    repo = shutil.copytree(student_release, tmp_path / "repository")
    shutil.copy(paths.REFERENCE / "minibatch.py", repo / "exercises" / "minibatch.py")
    return repo


PUBLIC = [(ex.id, item) for ex in exercises() for item in ex.items()]


def true_counts() -> str:
    done = sum(1 for id, _ in PUBLIC if id == "minibatch")
    return f"{len(PUBLIC) - done} failed, {done} passed"


@pytest.mark.slow
def test_a_conftest_that_makes_every_test_pass_is_never_loaded(repository, installed_release):
    (repository / "conftest.py").write_text(FORCE_PASS)
    (repository / "tests").mkdir()
    (repository / "tests" / "test_own.py").write_text("def test_fails():\n    assert False\n")
    forced = pytest_in(repository, installed_release, "tests")
    assert forced.returncode == 0 and "1 passed" in forced.stdout, "the conftest.py does force passes"
    for documented in (True, False):
        done = pytest_in(repository, installed_release, "--grade", "exercises", "--grade-public",
                         documented=documented)
        assert done.returncode == 1 and f"{true_counts()} in " in done.stdout, done.stdout[-2000:] + done.stderr
        assert f"collected {len(PUBLIC)} items" in done.stdout and "Warning" not in done.stdout


@pytest.mark.slow
def test_a_configuration_that_loads_a_plugin_is_ignored_or_refused(repository, installed_release):
    (repository / "always.py").write_text(FORCE_PASS)
    (repository / "pytest.ini").write_text("[pytest]\naddopts = -p always\n")
    documented = pytest_in(repository, installed_release, "--grade", "exercises", "--grade-public", documented=True)
    assert documented.returncode == 1 and f"{true_counts()} in " in documented.stdout, documented.stderr
    plain = pytest_in(repository, installed_release, "--grade", "exercises", "--grade-public")
    assert plain.returncode == 4 and plain.stdout == "", plain.stdout[-2000:]
    assert f"{repository / 'pytest.ini'} sets addopts" in plain.stderr and "(always)" in plain.stderr
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -I -m pytest -c /dev/null -p gdgrader" in plain.stderr


def test_the_readme_gives_the_command_that_ignores_the_repository():
    readme = (paths.ROOT / "README.md").read_text()
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python " + " ".join(DOCUMENTED) + " --grade exercises" in readme
