"""When a class run's first report lands, and how long the run goes on after its last one.

    python benchmarks/first_report.py [--runs 5] [--students 10] [-- EXTRA GRADE ARGUMENTS]

Grades a class of N students cycled from the sample class with `grade --out --force`,
watching the reports folder: prints, per run, the time to the first report (start-up:
the grader's fork server and the reference's results, then one student), the time of the
last report, and the tail after it (scores.csv, summary.png, the table), with medians.
Arguments after `--` go to `grade` (e.g. `-- --dask local:2`).
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(folder: Path, out: Path, extra: list[str]) -> tuple[float, float, float]:
    reports = out / "reports"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    run = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), "--quiet",
                            "--force", *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = last = None
    count = len(list(folder.iterdir()))
    while run.poll() is None:
        found = len(list(reports.glob("*.json"))) if reports.is_dir() else 0
        now = time.perf_counter() - start
        if found and first is None:
            first = now
        if found == count and last is None:
            last = now
        time.sleep(0.005)
    end = time.perf_counter() - start
    if run.returncode not in (0, 1):
        raise SystemExit(f"grade exited {run.returncode}")
    return first or end, last or end, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("extra", nargs="*", help="arguments for `grade`, after --")
    args = parser.parse_args()
    samples = sorted(p for p in (ROOT / "samples" / "class").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        for i in range(args.students):
            shutil.copytree(samples[i % len(samples)], folder / f"student{i:04d}")
        runs = []
        for n in range(args.runs):
            first, last, end = one_run(folder, Path(tmp) / "out", args.extra)
            runs.append((first, last, end))
            print(f"run {n + 1}: first report {first:.2f} s, last report {last:.2f} s, "
                  f"end {end:.2f} s (tail {end - last:.2f} s)", flush=True)
    first, last, end = (statistics.median(r[i] for r in runs) for i in range(3))
    tail = statistics.median(r[2] - r[1] for r in runs)
    print(f"median of {args.runs}: first report {first:.2f} s, last report {last:.2f} s, end {end:.2f} s, "
          f"tail after the last report {tail:.2f} s")


if __name__ == "__main__":
    main()
