"""A large class graded locally and on a Dask LocalCluster: throughput, latency, memory.

    python benchmarks/scale.py [--students 1000] [--jobs 2] [--workers 2] [--modes local,dask]

Generates a class of N students with a realistic mix (cycled in a fixed order):
  perfect   20 %  the reference solutions, every exercise
  own way   20 %  the sample class's ada: every exercise right, in her own style
  mistakes  25 %  the sample's ben (partial, two classic slips), and the reference with typical slips
  stubs     15 %  the untouched exercises
  broken    10 %  a syntax error that stops a file (the sample's eve), or an empty folder
  slow      10 %  the reference with demo code at the top of a file that takes a while each time it runs
then grades it with `grade --out` locally (`--jobs` threads) and on a LocalCluster of
`--workers` processes (`--dask local:N`), each run in a process of its own, and reports
for each: the wall time from start to the last report, students per second (overall, and
once the first report is in), per-student grading latency (p50, p90, p99, max: the time
one submission takes where it is graded), and the peak memory (PSS, which shares the fork
server's pages fairly among its children) of the client and of each worker with its fork
server and children. On a shared machine the numbers are indicative.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "class"
SLIPS = [("minibatch.py", "torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)"),
         ("numpy_by_hand.py", "b_grad = 2 * error.mean()", "b_grad = error.mean()")]
DEMO = "\nimport time as _time\n_time.sleep(0.05)  # demo training left at the top of the file\n"
MIX = ["perfect", "own way", "mistakes", "stubs", "perfect", "mistakes", "slow", "own way", "broken", "mistakes",
       "perfect", "stubs", "own way", "mistakes", "slow", "perfect", "broken", "stubs", "own way", "mistakes"]


def make_class(folder: Path, students: int) -> dict[str, int]:
    """``students`` submissions in ``folder``, cycling through MIX; how many of each kind."""
    kinds: dict[str, int] = {}
    for i in range(students):
        kind = MIX[i % len(MIX)]
        seen = kinds[kind] = kinds.get(kind, 0) + 1
        target = folder / f"student{i:05d}"
        if kind == "perfect":
            shutil.copytree(ROOT / "reference", target, ignore=shutil.ignore_patterns("__pycache__"))
        elif kind == "own way":
            shutil.copytree(SAMPLES / "ada", target)
        elif kind == "stubs":
            shutil.copytree(ROOT / "exercises", target, ignore=shutil.ignore_patterns("__pycache__"))
        elif kind == "broken":
            shutil.copytree(SAMPLES / ("eve" if seen % 2 else "dee"), target)
        elif kind == "mistakes" and seen % 2:
            shutil.copytree(SAMPLES / "ben", target)
        else:  # the reference with slips, or with slow demo code
            shutil.copytree(ROOT / "reference", target, ignore=shutil.ignore_patterns("__pycache__"))
            if kind == "slow":
                with open(target / "minibatch.py", "a") as f:
                    f.write(DEMO)
            else:
                for file, old, new in SLIPS:
                    text = (target / file).read_text()
                    assert text.count(old) == 1, f"{old!r} is not once in reference/{file}"
                    (target / file).write_text(text.replace(old, new))
    return kinds


# The process that grades (a child of the benchmark): the CLI's executors and class loop, with timings.

class Clock:
    """A progress bar that records when each outcome arrived."""

    def __init__(self):
        self.start, self.times = time.monotonic(), []

    def step(self, name, failed=False):
        self.times.append(time.monotonic() - self.start)

    def close(self):
        pass


def grade(mode: str, folder: Path, out: Path, jobs: int) -> dict:
    from grader import Grader, batch

    clock = Clock()
    if mode.startswith("local:"):
        from grader import cluster

        executor = cluster.Dask(mode)
    else:
        executor = batch.Threads(Grader(), jobs)
    try:
        summary = batch.grade_class(executor, folder, out, force=True, progress=clock)
        last = time.monotonic() - clock.start
    finally:
        if hasattr(executor, "close"):
            executor.close()
    return {"times": clock.times, "seconds": list(summary.seconds.values()), "failed": summary.failed,
            "end": last, "client_cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}


# The benchmark: runs each mode in a child, watching the memory of its processes.

def tree(pid: int, parents: dict[int, int]) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += [c for c, parent in parents.items() if parent == p]
    return found


def processes() -> tuple[dict[int, int], dict[int, str]]:
    parents, commands = {}, {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{entry}/stat").read()
            commands[int(entry)] = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents, commands


def pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def measure(mode: str, folder: Path, out: Path, jobs: int) -> dict:
    result_file = out.with_suffix(".json")
    child = subprocess.Popen([sys.executable, __file__, "--child", mode, str(folder), str(out), str(result_file),
                              "--jobs", str(jobs)], cwd=ROOT, stderr=subprocess.DEVNULL)
    client_peak, worker_peaks = 0.0, {}
    while child.poll() is None:
        parents, commands = processes()
        everything = tree(child.pid, parents)
        workers = [p for p in everything if "spawn_main" in commands.get(p, "")]
        in_workers = set()
        for worker in workers:
            pids = tree(worker, parents)
            in_workers |= set(pids)
            worker_peaks[worker] = max(worker_peaks.get(worker, 0.0), pss_mb(pids))
        client_peak = max(client_peak, pss_mb([p for p in everything if p not in in_workers]))
        time.sleep(0.5)
    if child.returncode != 0:
        raise SystemExit(f"{mode}: the grading process exited {child.returncode}")
    result = json.loads(result_file.read_text())
    return {**result, "client_mb": client_peak, "worker_mb": sorted(worker_peaks.values())}


def describe(name: str, students: int, r: dict) -> str:
    seconds = sorted(r["seconds"])
    q = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds * 99
    first, end = r["times"][0], r["end"]
    steady = (len(r["times"]) - 1) / (r["times"][-1] - first) if len(r["times"]) > 1 else float("nan")
    workers = ", ".join(f"{mb:.0f}" for mb in r["worker_mb"]) or "-"
    return (f"{name}: {students} students in {end:.1f} s: {students / end:.2f} students/s overall, "
            f"{steady:.2f}/s once the first report was in ({first:.1f} s); "
            f"grading latency p50 {q[49]:.2f} s, p90 {q[89]:.2f} s, p99 {q[98]:.2f} s, max {seconds[-1]:.2f} s; "
            f"grader errors {len(r['failed'])}; client CPU {1000 * r['client_cpu'] / students:.0f} ms per student; "
            f"peak PSS: client {r['client_mb']:.0f} MB, workers (each with its fork server and children) "
            f"{workers} MB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, folder, out, result_file = sys.argv[2:6]
        result = grade(mode, Path(folder), Path(out), int(sys.argv[7]))
        Path(result_file).write_text(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="threads of the local run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes of the LocalCluster")
    parser.add_argument("--modes", default="local,dask", help="local, dask, or both (default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        kinds = make_class(folder, args.students)
        print(f"{args.students} students: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()), flush=True)
        for mode in args.modes.split(","):
            name, arg = (f"local ({args.jobs} jobs)", "threads") if mode == "local" else \
                (f"dask local:{args.workers}", f"local:{args.workers}")
            print(describe(name, args.students, measure(arg, folder, Path(tmp) / f"out-{mode}", args.jobs)),
                  flush=True)


if __name__ == "__main__":
    main()
