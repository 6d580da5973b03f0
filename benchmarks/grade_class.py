"""How long grading a class takes: N students made from the sample class, graded with `grade --out`.

    python benchmarks/grade_class.py [--students 300] [--jobs 2] [--perfect]

Prints the wall-clock time of the whole run and per student. The sample students cycle
(one who did everything, one with slips and gaps, an untouched one, an empty one, a
broken one), so the class mixes the cases a real one has. With --perfect every student
hands in every reference solution: the worst case, where every check runs to the end.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--perfect", action="store_true", help="every student hands in the reference")
    args = parser.parse_args()
    samples = [ROOT / "reference"] if args.perfect else sorted(p for p in (ROOT / "samples" / "class").iterdir()
                                                                if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        for i in range(args.students):
            shutil.copytree(samples[i % len(samples)], folder / f"student{i:04d}")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(Path(tmp) / "out"),
                        "--jobs", str(args.jobs), "--quiet"], cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
    print(f"{args.students} {'perfect ' if args.perfect else ''}students, {args.jobs} jobs: {elapsed:.1f} s in all, "
          f"{1000 * elapsed / args.students:.0f} ms per student")


if __name__ == "__main__":
    main()
