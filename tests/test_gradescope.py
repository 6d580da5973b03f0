"""The Gradescope autograder, run as Gradescope runs it: the zip unpacked into an autograder root
(AUTOGRADER_ROOT instead of /autograder), run_autograder on a perfect, a partial and a hostile submission,
and each results.json held to Gradescope's documented format."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

from conftest import mutate
from grader import exercises, paths

pytestmark = pytest.mark.slow
IDS = [ex.id for ex in exercises()]

# Gradescope's autograder specification: results.json's fields and their values.
TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility",
       "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
        "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def assert_gradescope_format(results: dict) -> None:
    assert set(results) <= TOP and isinstance(results["tests"], list) and results["tests"]
    assert results.get("visibility", "visible") in VISIBILITY and results.get("output_format", "text") in FORMATS
    for test in results["tests"]:
        assert set(test) <= TEST, set(test) - TEST
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert all(isinstance(test[k], (int, float)) for k in ("score", "max_score"))
        assert 0 <= test["score"] <= test["max_score"] and test["status"] in {"passed", "failed"}
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
        assert test["visibility"] in VISIBILITY and test.get("output_format", "text") in FORMATS
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    target = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", str(target)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target


def test_the_zip_holds_the_two_scripts_at_its_root_and_the_course(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, f"{script} is not executable"
    assert {"pyproject.toml", "grader/__init__.py", "grader/requirements.txt"} <= names
    assert {f"{part}/{id}.py" for part in ("exercises", "reference") for id in IDS} <= names
    assert {f"hidden/{id}.json" for id in IDS} <= names
    assert {path.relative_to(paths.ROOT).as_posix() for path in paths.DEFAULT.mistakes.rglob("*.py")} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith("expected.json")]
    setup = zipfile.ZipFile(autograder).read("setup.sh").decode()
    torch, source = setup.index("install --quiet torch --index-url https://download.pytorch.org/whl/cpu"), \
        setup.index('install --quiet "$ROOT/source"')
    assert torch < source, "torch's CPU build must be in place before the grader's requirements are resolved"
    assert subprocess.run(["bash", "-n"], input=setup, text=True).returncode == 0


def unpack(autograder, root, files: dict[str, str]) -> None:
    """Unpack as Gradescope does (source/, run_autograder copied up) and hand in ``files``."""
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")


def run(root) -> dict:
    environ = {k: v for k, v in os.environ.items() if k != paths.ENV}
    done = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, timeout=600,
                          env={**environ, "AUTOGRADER_ROOT": str(root)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def run_autograder(autograder, venv, root, files: dict[str, str]) -> dict:
    unpack(autograder, root, files)
    (root / "venv").symlink_to(venv)  # what setup.sh builds: the grader installed, not editable
    results = run(root)
    assert_gradescope_format(results)
    return results


def test_when_the_grader_cannot_run_results_json_still_says_so(autograder, tmp_path):
    unpack(autograder, tmp_path, {"minibatch.py": ""})  # and no environment: setup.sh never ran
    results = run(tmp_path)
    assert set(results) == {"score", "output"} and results["score"] == 0
    assert "could not grade this submission (exit status 127)" in results["output"]


def notebook_of(exercise: str) -> str:
    """The exercise's nbgrader notebook with its solutions in place, as a student hands it in."""
    return (paths.ROOT / "course" / "source" / exercise / f"{exercise}.ipynb").read_text()


def test_a_perfect_submission_in_files_and_notebooks_gets_full_marks(autograder, installed, tmp_path):
    files = {f"{id}.py": (paths.REFERENCE / f"{id}.py").read_text() for id in IDS}
    files.pop("minibatch.py")
    files["minibatch.ipynb"] = notebook_of("minibatch")
    results = run_autograder(autograder, installed, tmp_path, files)
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert {t["name"].split(":")[0] for t in results["tests"]} == set(IDS)
    assert {t["visibility"] for t in results["tests"] if "[hidden" in t["name"]} == {"after_published"}
    assert {t["visibility"] for t in results["tests"] if "[hidden" not in t["name"]} == {"visible"}


def test_a_partial_submission_loses_what_it_breaks_with_messages_and_plots(autograder, installed, tmp_path):
    wrong = mutate("minibatch", ("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)"),
                   ("batch_size=batch_size)", "batch_size=batch_size, shuffle=True)"))
    results = run_autograder(autograder, installed, tmp_path, {"minibatch.py": wrong})
    tests = {t["name"]: t for t in results["tests"]}
    assert 0 < results["score"] < sum(t["max_score"] for t in tests.values())
    assert tests["minibatch: forward"]["status"] == "passed"
    criterion = tests["minibatch: criterion"]
    assert criterion["status"] == "failed" and criterion["score"] == 0 and "summed instead of averaged" in \
        " ".join(criterion["output"].split())
    assert "was not submitted" in tests["autograd: make_model"]["output"]
    drawn = [t for t in tests.values() if t.get("output_format") == "html"]
    assert drawn and all('<img src="data:image/png;base64,' in t["output"] and t["output"].startswith("<pre>")
                         for t in drawn)
    assert {t["name"] for t in drawn} <= {n for n, t in tests.items() if n.startswith("minibatch: train_minibatch")}
    assert all(t["status"] == "failed" for t in drawn)


def strings(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_a_hostile_submission_gets_its_true_score_and_sees_nothing(autograder, installed, tmp_path):
    """It forges results.json, reads the solutions and the hidden cases into its messages, and exits early."""
    forged = json.dumps({"score": 999, "tests": [{"name": "forged", "score": 999, "max_score": 999}]})
    attack = (
        "import json, os\n"
        f"try:\n    open({str(tmp_path / 'results' / 'results.json')!r}, 'w').write({forged!r})\n"
        "except OSError as exc:\n    print('could not forge:', exc)\n"
        f"for secret in ({str(tmp_path / 'source' / 'reference' / 'minibatch.py')!r}, "
        f"{str(tmp_path / 'source' / 'hidden' / 'minibatch.json')!r}):\n"
        "    try:\n        print(open(secret).read())\n"
        "    except OSError as exc:\n        print('could not read:', exc)\n")
    source = mutate("minibatch", ("from torch.utils.data import DataLoader, Dataset\n",
                                  f"from torch.utils.data import DataLoader, Dataset\n{attack}"),
                    ("    return w * X + b\n", "    raise RuntimeError(open(" +
                     repr(str(tmp_path / "source" / "reference" / "minibatch.py")) + ").read())\n"),
                    ("    return torch.mean((y_hat - y) ** 2)\n", "    import os; os._exit(0)\n"))
    results = run_autograder(autograder, installed, tmp_path, {"minibatch.py": source})
    tests = {t["name"]: t for t in results["tests"]}
    assert "forged" not in tests and results["score"] < 999
    assert {name for name, t in tests.items() if name.startswith("minibatch") and t["status"] == "failed"} == \
        {"minibatch: forward", "minibatch: forward [hidden 1]", "minibatch: criterion",
         "minibatch: criterion [hidden 1]"}
    text = "\n".join(strings(results))  # as Gradescope shows them, escapes decoded
    for secret in ("torch.mean((y_hat - y) ** 2)", (paths.HIDDEN / "minibatch.json").read_text()[:40]):
        assert secret not in text
    assert "PermissionError" in tests["minibatch: forward"]["output"] or \
        "FileNotFoundError" in tests["minibatch: forward"]["output"]  # the solutions are out of its sight
