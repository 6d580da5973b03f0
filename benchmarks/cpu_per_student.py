"""CPU time one complete student costs: the reference graded as a submission, public and hidden cases.

    python benchmarks/cpu_per_student.py [--students 10] [--public]

Runs two grading processes, one grading no student and one grading the reference N times,
and prints the difference in CPU time (user + system, the grading process and every child
it started) per student. CPU time, unlike wall-clock time, does not depend on what else the
machine runs, so two versions of the grader can be compared on a shared machine.
"""
import argparse
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import sys
from grader import Grader, paths
grader = Grader(hidden={hidden})
for _ in range({n}):
    report = grader.grade(paths.REFERENCE)
    assert report.score == report.max_score, report.score
grader.runner.close()
"""


def cpu_seconds(n: int, hidden: bool) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", SCRIPT.format(n=n, hidden=hidden)], cwd=ROOT, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--public", action="store_true", help="public cases only (a student's self-check)")
    args = parser.parse_args()
    base = cpu_seconds(0, not args.public)
    total = cpu_seconds(args.students, not args.public)
    print(f"{'public' if args.public else 'public and hidden'} cases: {(total - base) / args.students:.3f} s of CPU "
          f"per complete student ({args.students} students; start-up {base:.1f} s)")


if __name__ == "__main__":
    main()
