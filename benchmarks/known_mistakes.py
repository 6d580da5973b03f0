"""What naming causes costs: CPU time of grading a student who makes typical mistakes, against a perfect one.

    python benchmarks/known_mistakes.py [--student ben]

A student's failed items run their checks' known mistakes on the same cases in trusted
children (once per case: the outputs are kept on disk for the next student) and replay
their training loops from their own recorded states (every time). This grades, in one
process each and with the reference's results already cached: a perfect student (who pays
nothing of it), the sample student with an empty cache of mistakes' outputs (the first
student of a class who makes these mistakes), and the same student again (every later one).
CPU time (user + system, the grading process and every child) does not depend on what else
the machine runs.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import sys
from grader import Grader
grader = Grader()
if sys.argv[1]:
    grader.grade(sys.argv[1])
grader.runner.close()
"""


def cpu_seconds(submission: str, cache: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", SCRIPT, submission], cwd=ROOT, check=True,
                   env={**os.environ, "GDGRADER_CACHE": cache})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", default="ben", help="a folder of samples/class")
    args = parser.parse_args()
    student = str(ROOT / "samples" / "class" / args.student)
    with tempfile.TemporaryDirectory() as cache:
        start = cpu_seconds("", cache)  # the reference's results, computed and cached
        start = cpu_seconds("", cache)  # and read back: what every run pays before grading
        perfect = cpu_seconds(str(ROOT / "reference"), cache) - start
        cold = cpu_seconds(student, cache) - start
        warm = cpu_seconds(student, cache) - start
    print(f"CPU seconds to grade, start-up ({start:.1f} s) aside: a perfect student {perfect:.2f}; {args.student}, "
          f"the first to make these mistakes {cold:.2f}, every later one {warm:.2f}")


if __name__ == "__main__":
    main()
