"""Grading a class on a Dask cluster (real distributed, real LocalClusters): the reports of a local run,
a killed worker loses nobody, and a submission that keeps killing its workers is reported, not retried forever."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import mutate
from grader import batch, paths
from test_batch import children_of, grade_class, rows, slow_class, wait_for_reports

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
from grader import cluster as grader_cluster  # noqa: E402 - only with distributed installed

SAMPLES = paths.ROOT / "samples" / "class"
# Looks for the course a worker unpacked, anywhere under /tmp, and tries to read it.
PROBE = """
import os
read = 0
for top, folders, files in os.walk('/tmp'):
    if 'gdgrader-course-' in top:
        for name in files:
            try:
                read += len(open(os.path.join(top, name)).read()) > 0
            except OSError:
                pass
print(f'probe: {read} files read')
"""

LOCAL_RUN = """
import sys
from grader.cli import main
code = main(["grade", sys.argv[1], "--out", sys.argv[2], "--jobs", "2"])
print(f"exit {code}, dask imported: {any(m in sys.modules for m in ('dask', 'distributed'))}")
"""


def run_class(folder, out, *extra):
    """`grade FOLDER --out OUT` with the default limits: the same verdicts however busy the machine."""
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), *extra],
                          cwd=paths.ROOT, capture_output=True, text=True, timeout=900)


def report(out, name):
    data = json.loads((out / "reports" / f"{name}.json").read_text())
    for exercise in data["exercises"]:  # the children's user id is drawn from the grading process's pid
        if "user" in exercise["sandbox"]:
            exercise["sandbox"]["user"] = re.sub(r"uid \d+", "uid N", exercise["sandbox"]["user"])
    return data


def test_the_sample_class_on_a_local_cluster_gets_the_reports_of_a_local_run(tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "cluster"
    alone = subprocess.run([sys.executable, "-c", LOCAL_RUN, str(SAMPLES), str(local)], cwd=paths.ROOT,
                           capture_output=True, text=True, timeout=900)
    assert alone.stdout.endswith("exit 0, dask imported: False\n"), alone.stderr
    done = run_class(SAMPLES, cluster, "--dask", "local:2")
    assert done.returncode == 0, done.stderr
    assert "graded 5, already done 0, grader errors 0" in done.stdout
    students = sorted(p.name for p in SAMPLES.iterdir())
    assert sorted(p.stem for p in (cluster / "reports").glob("*.json")) == students
    for name in students:
        assert report(cluster, name) == report(local, name), name
        assert (cluster / "gradescope" / name / "results.json").read_bytes() == \
            (local / "gradescope" / name / "results.json").read_bytes()
    assert (cluster / "scores.csv").read_text() == (local / "scores.csv").read_text()
    assert (cluster / "summary.png").read_bytes().startswith(b"\x89PNG")
    again = run_class(SAMPLES, cluster, "--dask", "local:1")
    assert "graded 0, already done 5" in again.stdout, again.stderr


def workers_of(pid):
    """The worker processes a LocalCluster started (spawned by its nannies, in the client's process)."""
    return [child for child in children_of(pid) if "spawn_main" in open(f"/proc/{child}/cmdline").read()]


def test_a_worker_killed_mid_run_still_gives_every_report_exactly_once(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    students = [f"student{i:02d}" for i in range(8)]
    slow_class(folder, students)
    run = grade_class(folder, out, "--exercise", "minibatch", "--dask", "local:2")
    wait_for_reports(run, out, 2)
    workers = workers_of(run.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr
    assert "graded 8, already done 0, grader errors 0" in stdout
    assert "Restarting worker" in stderr, "the worker died mid-run and came back"
    assert sorted(re.findall(r"^\[\d+/8\] (\S+)$", stderr, re.M)) == students, "each student's outcome once"
    table = rows(out)
    assert sorted(r["student"] for r in table) == students
    assert all(float(r["score"]) == float(r["max_score"]) for r in table)
    assert not list(out.rglob("*.tmp"))


def course_folder(dask_worker):
    """Run on each worker: where it unpacked the course."""
    return str(dask_worker.plugins["gdgrader-course"].folder)


def executing(dask_worker):
    """Run on each worker: its pid, and the keys of the tasks it is running."""
    return os.getpid(), [str(task.key) for task in dask_worker.state.executing]


def test_a_submission_that_kills_its_workers_is_reported_and_the_rest_of_the_class_graded(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    good = [f"good{i}" for i in range(4)]
    slow_class(folder, [*good, "poison"])
    (folder / "prober").mkdir()
    (folder / "prober" / "minibatch.py").write_text(mutate("minibatch") + PROBE)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = distributed.Client(cluster)
    kills = []
    try:
        run = grade_class(folder, out, "--exercise", "minibatch", "--dask", cluster.scheduler_address)
        deadline = time.monotonic() + 600
        while run.poll() is None:  # whenever a worker starts grading the poison submission, it dies
            assert time.monotonic() < deadline
            for pid, keys in client.run(executing, on_error="ignore").values():
                if any(key.startswith("grade-poison-") for key in keys):
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
            time.sleep(0.05)
        stdout, stderr = run.communicate()
        assert run.returncode == 1, stderr
        assert len(set(kills)) == 2, "tried on two workers (allowed-failures 1), then given up"
        assert "error: could not grade poison: every worker that graded it died (2 tries" in stderr
        assert "graded 5, already done 0, grader errors 1" in stdout, stderr
        assert not (out / "reports" / "poison.json").exists()
        with grader_cluster.Dask(client, exercises=("minibatch",)) as executor:  # a rerun, through this client
            rerun = batch.grade_class(executor, folder, out, exercise="minibatch")
        assert client.status == "running", "a client passed in stays open"
        courses = client.run(course_folder).values()
    finally:
        client.close()
        cluster.close()
    assert (rerun.graded, rerun.skipped, rerun.failed) == (["poison"], sorted([*good, "prober"]), {})
    assert sorted(r["student"] for r in rows(out)) == sorted([*good, "poison", "prober"])
    probe = report(out, "prober")["exercises"][0]
    assert report(out, "prober")["score"] == probe["max_score"]
    assert all(folder.startswith(tempfile.gettempdir() + os.sep) for folder in courses), courses
    if os.geteuid() == 0:  # children have a user of their own: the course a worker holds is out of their reach
        assert "probe: 0 files read" in probe["output"], probe["output"]


def test_a_bad_cluster_address_is_a_usage_error(tmp_path):
    done = run_class(SAMPLES, tmp_path / "out", "--dask", "local:0")
    assert done.returncode == 2
    assert done.stderr == "error: --dask local:0: local:N takes a number of worker processes, at least 1\n"


def test_a_class_of_single_files_on_a_local_cluster(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "right.py").write_text(mutate("minibatch"))
    (folder / "slip.py").write_text(mutate("minibatch", ("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)")))
    done = run_class(folder, out, "--exercise", "minibatch", "--dask", "local:1")
    assert done.returncode == 0, done.stderr
    scores = {r["student"]: float(r["score"]) / float(r["max_score"]) for r in rows(out)}
    assert scores["right"] == 1 and scores["slip"] < 1
    assert report(out, "slip")["submission"] == str(folder / "slip.py")
    assert report(out, "slip")["exercises"][0]["file"] == "slip.py"


def test_refused_files_get_the_reports_of_a_local_run(tmp_path):
    """Files the client refuses (a named pipe in nbgrader's layout, a link, a file over the size cap) reach the
    workers as refusals, with the client's own reasons: the reports are those of a local run."""
    from grader.sources import MAX_CODE

    folder, local, cluster = tmp_path / "class", tmp_path / "local", tmp_path / "cluster"
    (folder / "pipe" / "minibatch").mkdir(parents=True)
    os.mkfifo(folder / "pipe" / "minibatch" / "minibatch.ipynb")
    (folder / "link").mkdir()
    (folder / "link" / "minibatch.py").symlink_to(paths.REFERENCE / "minibatch.py")
    (folder / "big").mkdir()
    (folder / "big" / "minibatch.py").write_text(mutate("minibatch") + "#" * (MAX_CODE + 1))
    for out, extra in ((local, ()), (cluster, ("--dask", "local:1"))):
        done = run_class(folder, out, "--exercise", "minibatch", *extra)
        assert "graded 3, already done 0, grader errors 0" in done.stdout, done.stderr
    for name in ("pipe", "link", "big"):
        assert report(cluster, name) == report(local, name), name
        assert report(cluster, name)["exercises"][0]["score"] == 0
