"""How long a student waits for a self-check, and an instructor for a class run's first report.

    python benchmarks/latency.py [--runs 5] [--students 20]

Each command runs --runs times, interleaved with a bare `python -c "import torch"` so that both see the same
machine; the table gives medians and ranges, and each median as a ratio to the bare import's. The
reference's results are cached before the runs (a warm cache, as a student has after their first check).
The class run grades --students complete students and reports the time to its first report and the time
per student after it.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def first_report(folder: Path, out: Path, env: dict) -> tuple[float, float]:
    """(seconds to the first report, seconds per student after it) of a class run."""
    shutil.rmtree(out, ignore_errors=True)  # a report left by the run before is not this run's first
    start = time.perf_counter()
    run = subprocess.Popen([PYTHON, "-m", "grader", "grade", str(folder), "--out", str(out), "--quiet", "--force"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = None
    while run.poll() is None:
        if first is None and any((out / "reports").glob("*.json")):
            first = time.perf_counter() - start
        time.sleep(0.005)
    total = time.perf_counter() - start
    students = len(list(folder.iterdir()))
    first = first if first is not None else total
    return first, (total - first) / max(students - 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env["GDGRADER_CACHE"] = str(tmp / "cache")
        release = tmp / "release"
        subprocess.run([PYTHON, "-m", "grader", "release", str(release)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        folder = tmp / "class"
        for i in range(args.students):
            shutil.copytree(ROOT / "reference", folder / f"student{i:03d}")
        subprocess.run([PYTHON, "-m", "grader", "check"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # warm cache
        commands = {
            "import torch": ([PYTHON, "-c", "import torch"], ROOT),
            "check one file": ([PYTHON, "-m", "grader", "check", "exercises/minibatch.py"], ROOT),
            "check all six": ([PYTHON, "-m", "grader", "check"], ROOT),
            "pytest route, one file": ([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--grade",
                                        "exercises/minibatch.py", "--grade-public"], ROOT),
            "release, check one file": ([PYTHON, "-m", "grader", "check", "exercises/minibatch.py"], release),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        classes: list[tuple[float, float]] = []
        for _ in range(args.runs):
            for name, (command, cwd) in commands.items():
                times[name].append(timed(command, cwd, env))
            classes.append(first_report(folder, tmp / "out", env))
    bare = statistics.median(times["import torch"])
    print(f"{'':28}{'median':>9}{'range':>17}{'x import torch':>16}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28}{median:8.2f}s{min(values):8.2f}-{max(values):.2f}s{median / bare:15.2f}x")
    firsts, per = [c[0] for c in classes], [c[1] for c in classes]
    print(f"{'class run, first report':28}{statistics.median(firsts):8.2f}s{min(firsts):8.2f}-{max(firsts):.2f}s"
          f"{statistics.median(firsts) - bare:+14.2f}s beyond import torch")
    print(f"{'class run, per student':28}{statistics.median(per):8.3f}s{min(per):8.3f}-{max(per):.3f}s")


if __name__ == "__main__":
    main()
