"""Grading a class: hostile submissions never stop the batch; a killed run resumes without loss or duplicates."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import hostile
from conftest import mutate
from grader import paths

FAST = ["--time-per-check", "3", "--time-per-submission", "30", "--memory", "400"]
SLOW = ("    return w * X + b\n", "    import time; time.sleep(0.4)\n    return w * X + b\n")  # 2 forward checks


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
