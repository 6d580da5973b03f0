"""Grading a class: hostile submissions never stop the batch; a killed run resumes without loss or duplicates."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import hostile
from conftest import mutate
from grader import GraderError, batch, intake, paths

FAST = ["--time-per-check", "3", "--time-per-submission", "30", "--memory", "400"]
SLOW = ("import torch\n", "import torch\nimport time\ntime.sleep(0.4)\n")  # top-level code: once for each child


def grade_class(folder, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), *FAST, *extra],
                            cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(out):
    with open(out / "scores.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_hostile_submission_gets_a_report_and_the_batch_finishes(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    names = ["loops forever in a function", "crashes the interpreter", "exits with os._exit(0) in a function",
             "writes forged replies into its pipes", "syntax error", "allocates too much memory", "prints without end"]
    for i, name in enumerate(names):
        (folder / f"s{i}").mkdir(parents=True)
        (folder / f"s{i}" / "minibatch.py").write_text(hostile.source(name))
    (folder / "good").mkdir()
    (folder / "good" / "minibatch.py").write_text(mutate("minibatch"))
    (folder / "empty").mkdir()
    done = grade_class(folder, out, "--exercise", "minibatch", "--jobs", "2")
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 0, stderr
    students = {r["student"]: r for r in rows(out)}
    assert set(students) == {f"s{i}" for i in range(len(names))} | {"good", "empty"}
    assert float(students["good"]["score"]) == float(students["good"]["max_score"]) > 0
    assert float(students["empty"]["score"]) == 0
    for name in students:
        report = json.loads((out / "reports" / f"{name}.json").read_text())
        assert report["student"] == name and report["fingerprint"]
        results = json.loads((out / "gradescope" / name / "results.json").read_text())
        assert results["score"] == report["score"]
        assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert "minibatch: forward [hidden 1]" in students["good"]
    assert (out / "summary.png").read_bytes().startswith(b"\x89PNG") and "summary.png" in stdout


def children_of(pid):
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def slow_class(folder, students):
    """A class of complete minibatch submissions that each take a second or so."""
    for name in students:
        (folder / name).mkdir(parents=True)
        (folder / name / "minibatch.py").write_text(mutate("minibatch", SLOW))


def wait_for_reports(run, out, count):
    deadline = time.monotonic() + 300
    while len(list((out / "reports").glob("*.json"))) < count:
        assert time.monotonic() < deadline and run.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)


def test_a_run_killed_with_sigkill_resumes_without_losing_or_duplicating(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    students = [f"student{i:02d}" for i in range(8)]
    slow_class(folder, students)
    run = grade_class(folder, out, "--exercise", "minibatch", "--jobs", "1")
    wait_for_reports(run, out, 3)
    server = children_of(run.pid)
    run.send_signal(signal.SIGKILL)
    run.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in (out / "reports").glob("*.json")}
    assert 3 <= len(done_before) < len(students)
    for name in done_before:
        json.loads((out / "reports" / name).read_text())  # each report is whole
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") and "Z" not in open(f"/proc/{pid}/stat").read().split()[2]
              for pid in server):
        assert time.monotonic() < deadline, "the fork server outlived the grader"
        time.sleep(0.1)

    rerun = grade_class(folder, out, "--exercise", "minibatch", "--jobs", "2")
    stdout, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr
    assert f"{len(done_before)} of {len(students)} already graded" in stderr
    assert f"graded {len(students) - len(done_before)}, already done {len(done_before)}" in stdout
    assert {p.name: p.stat().st_mtime_ns for p in (out / "reports").glob("*.json") if p.name in done_before} \
        == done_before, "what was done is not regraded"
    table = rows(out)
    assert sorted(r["student"] for r in table) == students, "every student once"
    assert all(float(r["score"]) == float(r["max_score"]) for r in table)
    assert not list(out.rglob("*.tmp"))


def test_force_regrades_and_a_changed_submission_is_regraded(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        (folder / name / "minibatch.py").write_text(mutate("minibatch"))
    first = grade_class(folder, out, "--exercise", "minibatch")
    first.communicate(timeout=300)
    (folder / "b" / "minibatch.py").write_text(mutate("minibatch", ("torch.mean((y_hat - y) ** 2)",
                                                                    "torch.sum((y_hat - y) ** 2)")))
    second = grade_class(folder, out, "--exercise", "minibatch")
    stdout, _ = second.communicate(timeout=300)
    assert "graded 1, already done 1" in stdout
    assert {r["student"]: float(r["score"]) < float(r["max_score"]) for r in rows(out)} == {"a": False, "b": True}
    third = grade_class(folder, out, "--exercise", "minibatch", "--force")
    assert "graded 2, already done 0" in third.communicate(timeout=300)[0]


def notebook_json(*sources) -> str:
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
             for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _fifo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _sparse(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


# Each bad hand-in: how it is made, and the one line every check of it says.
BAD_INPUT = {
    "link_file": (lambda s: (s.mkdir(), (s / "minibatch.py").symlink_to(paths.REFERENCE / "minibatch.py")),
                  "minibatch.py is a symbolic link, which the grader does not follow: submit the file itself"),
    "link_folder": (lambda s: s.symlink_to(paths.REFERENCE),
                    "link_folder is a symbolic link, which the grader does not follow: submit the files themselves"),
    "fifo": (lambda s: _fifo(s / "minibatch.py"), "minibatch.py is a named pipe, not a file the grader reads"),
    "huge": (lambda s: _sparse(s / "minibatch.py", 3 * 2**20), "minibatch.py is larger than 2 MB"),
    "utf16_odd": (lambda s: _write(s / "minibatch.py", mutate("minibatch").encode("utf-16") + b"\n"),
                  "minibatch.py is not UTF-16 text (line "),
    "not_json": (lambda s: _write(s / "minibatch.ipynb", "{'cells': []}"),
                 "minibatch.ipynb is not a valid notebook (it does not read as Jupyter JSON"),
    "cells_not_a_list": (lambda s: _write(s / "minibatch.ipynb", '{"cells": "import torch"}'),
                         "minibatch.ipynb is not a valid notebook: it has no list of cells"),
    "int_source": (lambda s: _write(s / "minibatch.ipynb", notebook_json(mutate("minibatch"), 42)),
                   "minibatch.ipynb is not a valid notebook: the source of cell 2 is not text"),
    "deep_json": (lambda s: _write(s / "minibatch.ipynb", '{"cells": [], "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
                  "minibatch.ipynb is not a valid notebook: its JSON is nested too deeply"),
    "surrogate": (lambda s: _write(s / "minibatch.ipynb", notebook_json(mutate("minibatch"), "x = '\ud800'")),
                  "minibatch.ipynb holds a character that is not valid Unicode (cell 2, line 1)"),
}
RAISES = ("    return w * X + b\n", "    print('\\x1b[2J\\x1b]0;owned\\x07\\r  ✓ forward')\n"
                                     "    raise ValueError('\\ud800 \\x1b[32m✓ passed')\n")


def test_bad_hand_ins_score_0_with_one_line_and_the_rest_of_the_class_is_graded(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for name, (make, _) in BAD_INPUT.items():
        make(folder / name)
    (folder / "good").mkdir()
    (folder / "good" / "minibatch.py").write_text(mutate("minibatch"))
    (folder / "renamed").mkdir()
    (folder / "renamed" / "Minibatch (1).py").write_text(mutate("minibatch"))
    (folder / "dup").mkdir()
    (folder / "dup" / "minibatch.py").write_text(mutate("minibatch"))
    (folder / "dup.py").write_text((paths.EXERCISES / "minibatch.py").read_text())
    (folder / "\x1b[31m=cmd").mkdir()
    (folder / "\x1b[31m=cmd" / "minibatch.py").write_text(mutate("minibatch", RAISES))
    done = grade_class(folder, out, "--exercise", "minibatch", "--jobs", "2")
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 0 and "grader errors 0" in stdout, stderr
    reports = {p.stem: json.loads(p.read_bytes().decode("utf-8")) for p in (out / "reports").glob("*.json")}
    assert set(reports) == {*BAD_INPUT, "good", "renamed", "dup", "dup.py", "=cmd"}
    for name, (_, says) in BAD_INPUT.items():
        report = reports[name]
        messages = {c["message"] for e in report["exercises"] for c in e["checks"]}
        assert report["score"] == 0 and len(messages) == 1, (name, messages)
        message = messages.pop()
        assert message.startswith(says) and "\n" not in message and "Traceback" not in message, (name, message)
    for name in ("good", "renamed", "dup"):
        assert reports[name]["score"] == reports[name]["max_score"] > 0, name
    assert reports["renamed"]["warnings"] == ["Minibatch (1).py was graded as minibatch, by the functions it defines "
                                              "(name it minibatch.py)"]
    assert "warning: renamed: Minibatch (1).py was graded as minibatch" in stdout
    assert reports["dup.py"]["score"] == 0 and "not attempted yet" in reports["dup.py"]["exercises"][0]["checks"][0][
        "message"]

    hostile = reports["=cmd"]
    lost = {c["name"]: c["message"] for c in hostile["exercises"][0]["checks"] if not c["passed"]}
    assert set(lost) == {"forward", "forward [hidden 1]"} and "\ufffd" in lost["forward"] and "✓ passed" in lost["forward"]
    assert "ValueError (its message is not shown for a hidden case)" in lost["forward [hidden 1]"]
    raw = (out / "reports" / "=cmd.json").read_bytes() + (out / "gradescope" / "=cmd" / "results.json").read_bytes()
    assert b"\\u001b" not in raw and b"\\ud800" not in raw and b"\\r" not in raw
    assert "\x1b" not in stdout + stderr and "\r" not in stdout + stderr
    assert {r["student"] for r in rows(out)} >= {"'=cmd", "dup", "dup.py"}


def test_nbgrader_layout_is_graded_as_a_class_and_as_one_student_with_the_scores_of_each_notebook(tmp_path, grader):
    submitted = tmp_path / "submitted"
    for student, exercise, name, replacements in [
            ("perfect", "minibatch", "minibatch.ipynb", ()),
            ("perfect", "numpy_by_hand", "numpy_by_hand.ipynb", ()),
            ("slip", "minibatch", "minibatch.ipynb", [("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)")]),
            ("renamed", "minibatch", "minibatch (2).ipynb", ())]:
        text = (paths.ROOT / "course" / "source" / exercise / f"{exercise}.ipynb").read_text()
        for old, new in replacements:
            assert text.count(old) == 1
            text = text.replace(old, new)
        _write(submitted / student / exercise / name, text)
    _write(submitted / "slip" / "minibatch" / "timestamp.txt", "2024-01-01 10:00:00")
    done = grade_class(submitted, tmp_path / "out")
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 0 and "grader errors 0" in stdout, stderr
    for student in ("perfect", "slip", "renamed"):
        report = json.loads((tmp_path / "out" / "reports" / f"{student}.json").read_text())
        scores = {e["exercise"]: e["score"] for e in report["exercises"]}
        alone = grader.grade(submitted / student)
        assert scores == {e.exercise: e.score for e in alone.exercises}, student
        for notebook in (submitted / student).glob("*/*.ipynb"):
            exercise = notebook.parent.name
            one = grader.grade(notebook, exercise=exercise).exercises[0]
            assert one.score == scores[exercise] and (one.score == one.max_score) == (student != "slip"), notebook
        missing = next(e for e in report["exercises"] if e["exercise"] == "seeing")
        assert {c["message"] for c in missing["checks"]} == {"seeing/seeing.ipynb was not submitted"}
    assert not json.loads((tmp_path / "out" / "reports" / "perfect.json").read_text())["warnings"]


def test_a_class_folder_given_as_one_submission_is_recognised(tmp_path, grader):
    for student in ("ada", "ben", "cy"):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "minibatch.py").write_text("x = 1\n")
    with pytest.raises(GraderError, match=r"class holds 3 student folders \(ada, ben, cy\): grade them with --out DIR"):
        intake.refuse_class(tmp_path / "class")
    intake.refuse_class(tmp_path / "class" / "ada")  # one student's folder is not a class
    report = grader.grade(tmp_path / "class")
    assert report.warnings == ("class holds 3 student folders (ada, ben, cy), not one submission: grade them as a "
                               "class with --out DIR",)


WATCHED_RUN = """
import sys
from pathlib import Path
from grader import Grader, batch

class Watched(batch.Threads):
    def grade(self, todo, exercise):
        for outcome in super().grade(todo, exercise):
            print(outcome.name, "matplotlib loaded:", "matplotlib" in sys.modules)
            yield outcome

batch.grade_class(Watched(Grader(exercises=["minibatch"])), Path(sys.argv[1]), Path(sys.argv[2]), exercise="minibatch")
print("at the end, matplotlib loaded:", "matplotlib" in sys.modules)
"""


def test_nothing_is_plotted_before_the_first_report(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    slow_class(folder, ["a", "b"])
    done = subprocess.run([sys.executable, "-c", WATCHED_RUN, str(folder), str(out)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    assert lines[0].endswith("matplotlib loaded: False"), done.stderr
    assert lines[-1] == "at the end, matplotlib loaded: True" and (out / "summary.png").exists()
