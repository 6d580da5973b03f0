"""The grading process's side of isolation: what it loads, and what reaches a child."""
import json
import subprocess
import sys
from pathlib import Path

from conftest import mutate
from grader import paths

WHAT_LOADED = """
import json, sys
from grader import Grader
grader = Grader(exercises=("minibatch", "seeing"))
report = grader.grade(sys.argv[1])
grader.runner.close()
print(json.dumps({"score": report.score, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                                           ("torch", "matplotlib"))}))
"""


def test_the_grading_process_never_loads_torch_or_matplotlib(tmp_path):
    """Scores are decided from plain data: even naming the positions of failed histories needs no torch."""
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", ("    losses, params = [], []\n",
                                                                "    losses, params = [], []\n    lr = 0.01\n")))
    done = subprocess.run([sys.executable, "-c", WHAT_LOADED, str(tmp_path)], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert 0 < result["score"] < 30 and result["loaded"] == []


def test_packages_installed_under_tmp_stay_importable_in_a_child(tmp_path, monkeypatch):
    """A Python environment under /tmp (a virtual environment made there) is allowed like any other; each child's
    own /tmp covers the machine's, and what is allowed under it is put back, read-only: a module imported only
    once the code runs is found."""
    import pytest

    from grader import Grader

    if not str(tmp_path.resolve()).startswith("/tmp/"):
        pytest.skip("the temporary folder is not under /tmp here")
    packages = tmp_path / "env" / "site-packages"
    packages.mkdir(parents=True)
    (packages / "lazy_helper.py").write_text("def predict(X, w, b):\n    return w * X + b\n")
    monkeypatch.syspath_prepend(str(packages))
    monkeypatch.setenv("PYTHONPATH", str(packages))
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "minibatch.py").write_text(mutate("minibatch", (
        "    return w * X + b\n", "    import lazy_helper\n    return lazy_helper.predict(X, w, b)\n")))
    grader = Grader(hidden=False, exercises=["minibatch"])
    try:
        report = grader.grade(tmp_path / "work")
    finally:
        grader.runner.close()
    assert report.score == report.max_score, [c.message for e in report.exercises for c in e.checks if not c.passed]


def test_a_child_gets_only_the_allow_listed_environment(tmp_path, monkeypatch):
    """A token in the grading process's environment (CI's, an LMS's) or the course's location is not the code's."""
    from grader import Grader

    monkeypatch.setenv("SECRET_TOKEN", "tok-3f9a")
    monkeypatch.setenv("GDGRADER_COURSE", str(paths.ROOT))
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", (
        "    return w * X + b\n",
        "    import os\n    raise ValueError(os.environ.get('SECRET_TOKEN', 'no token') + ', '\n"
        "                     + os.environ.get('GDGRADER_COURSE', 'no course') + ', ' + os.environ['PATH'][:1])\n")))
    roots = set(Path("/tmp").glob("gdgrader-root-*"))
    grader = Grader(hidden=False, exercises=["minibatch"])
    try:
        report = grader.grade(tmp_path / "minibatch.py")
    finally:
        grader.runner.close()
    forward = next(c for c in report.exercises[0].checks if c.name.startswith("forward"))
    assert "ValueError: no token, no course, /" in forward.message
    assert set(Path("/tmp").glob("gdgrader-root-*")) == roots  # the template left no folder of its own behind


def test_a_course_kept_inside_what_children_may_read_stays_closed_to_them(tmp_path, monkeypatch):
    """Children may read the Python environment; a course kept inside it (or under /usr) keeps its solutions and
    hidden cases from them all the same."""
    import shutil

    from grader import Grader

    packages = tmp_path / "env" / "site-packages"
    course = packages / "course"
    for part in ("exercises", "reference", "hidden", "mistakes"):
        shutil.copytree(paths.ROOT / part, course / part)
    monkeypatch.syspath_prepend(str(packages))  # allowed, as any site-packages folder on the path
    (tmp_path / "minibatch.py").write_text(mutate("minibatch", (
        "    return w * X + b\n",
        "    seen = []\n"
        f"    for path in ({str(course / 'reference' / 'minibatch.py')!r}, {str(course / 'hidden')!r},\n"
        f"                 {str(course / 'exercises' / 'minibatch.py')!r}):\n"
        "        try:\n"
        "            seen.append(str(len(open(path).read())))\n"
        "        except OSError as exc:\n"
        "            seen.append(type(exc).__name__)\n"
        "    raise ValueError(' '.join(seen))\n")))
    grader = Grader(hidden=False, exercises=["minibatch"], course=paths.Course(course))
    try:
        report = grader.grade(tmp_path / "minibatch.py")
    finally:
        grader.runner.close()
    forward = next(c for c in report.exercises[0].checks if c.name.startswith("forward"))
    stub = len((paths.ROOT / "exercises" / "minibatch.py").read_text())
    assert f"ValueError: PermissionError PermissionError {stub}" in forward.message, forward.message
