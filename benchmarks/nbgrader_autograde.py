"""How long nbgrader's autograde takes: stock (a kernel per notebook) against the grader's pipeline,
and against `python -m grader grade` on the same notebooks.

    python benchmarks/nbgrader_autograde.py [--students 8] [--exercises 6] [--repeat 3] [--no-stock]

Builds a copy of course/, releases every assignment, and has each student hand in every
assignment complete (the released notebook with the reference's solution cells), the worst
case, where every check runs to the end. Then times, on the same submitted notebooks:

- stock:    `nbgrader autograde "*"` with nbgrader's own autograde preprocessors (Execute: a
            kernel per notebook runs the test cells, which call the grader);
- pipeline: `nbgrader autograde "*"` with the course's configuration (GradeCells: no kernel);
- grade:    `python -m grader grade CLASS --out OUT` on a copy of submitted/ (nbgrader's layout);
- nbgrader: `nbgrader autograde "*"` with the course's configuration less GradeCells: nbgrader's own
            work alone (its scores mean nothing), the floor of the pipeline.

Pipeline, grade and nbgrader run `--repeat` times, interleaved; stock once (it takes minutes).
Prints each time, the medians, and the ratios; and checks that pipeline and stock gave every
student full marks, as grade did.
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import specs  # noqa: E402

ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
STOCK_CONFIG = """\
# The course's configuration, with nbgrader 0.9.6's own autograde preprocessors (Execute runs a kernel).
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)

c = get_config()
load_subconfig("course_config.py")
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
"""
ALONE_CONFIG = """\
# The course's configuration without GradeCells: nbgrader's own work alone.
c = get_config()
load_subconfig("course_config.py")
c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors if p.__name__ != "GradeCells"]
"""


def run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return elapsed


def nbgrader(course: Path, *args: str) -> float:
    return run([sys.executable, "-m", "nbgrader", *args], course)


def solved(course: Path, exercise: str) -> str:
    """The released notebook of ``exercise`` with the reference's code in its solution cells."""
    released = json.loads((course / "release" / exercise / f"{exercise}.ipynb").read_text())
    source = json.loads((course / "source" / exercise / f"{exercise}.ipynb").read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in released["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = "\n".join(line for line in solutions[grade_id].splitlines() if "### " not in line)
    return json.dumps(released)


def gradebook_scores(course: Path) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="gdgrader") as gradebook:
        return {student["id"]: (student["score"], student["max_score"]) for student in gradebook.student_dicts()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--exercises", type=int, default=len(specs.IDS), help="the first N assignments")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the pipeline and of grade, interleaved")
    parser.add_argument("--no-stock", action="store_true", help="skip stock autograde (minutes)")
    args = parser.parse_args()
    ids = specs.IDS[:args.exercises]
    notebooks = args.students * len(ids)
    with tempfile.TemporaryDirectory() as tmp:
        course, stock, alone, klass = (Path(tmp) / name for name in ("course", "stock", "alone", "class"))
        shutil.copytree(ROOT / "course", course)
        for exercise in ids:
            nbgrader(course, "generate_assignment", exercise)
        for exercise in ids:
            text = solved(course, exercise)
            for i in range(args.students):
                folder = course / "submitted" / f"student{i:02d}" / exercise
                folder.mkdir(parents=True)
                (folder / f"{exercise}.ipynb").write_text(text)
        shutil.copytree(course / "submitted", klass)
        for folder, config in ((stock, STOCK_CONFIG), (alone, ALONE_CONFIG)):
            shutil.copytree(course, folder)
            (folder / "course_config.py").write_text((course / "nbgrader_config.py").read_text())
            (folder / "nbgrader_config.py").write_text(config)

        times: dict[str, list[float]] = {"pipeline": [], "grade": [], "nbgrader": []}
        for _ in range(args.repeat):
            times["grade"].append(run([sys.executable, "-m", "grader", "grade", str(klass), "--out",
                                       str(Path(tmp) / "out"), "--force", "--quiet"], ROOT))
            times["pipeline"].append(nbgrader(course, "autograde", "*", "--force"))
            times["nbgrader"].append(nbgrader(alone, "autograde", "*", "--force"))
            print(", ".join(f"{name} {values[-1]:.1f} s" for name, values in times.items()), flush=True)
        if not args.no_stock:
            times["stock"] = [nbgrader(stock, "autograde", "*", "--force")]
            print(f"stock {times['stock'][-1]:.1f} s", flush=True)

        with open(Path(tmp) / "out" / "scores.csv", newline="") as f:
            graded = {row["student"]: float(row["score"]) for row in csv.DictReader(f)}
        books = {"pipeline": course} | ({} if args.no_stock else {"stock": stock})
        for name, folder in books.items():
            scores = gradebook_scores(folder)
            full = all(score == top > 0 for score, top in scores.values()) and len(scores) == args.students
            agree = {student: score for student, (score, _) in scores.items()} == graded
            print(f"{name}: every student full marks, the same as grade's: {'yes' if full and agree else 'NO'}")

    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{args.students} students x {len(ids)} assignments = {notebooks} notebooks, complete submissions")
    for name, values in times.items():
        spread = f" (runs: {', '.join(f'{v:.1f}' for v in values)})" if len(values) > 1 else ""
        print(f"  {name:<9} {median[name]:7.1f} s   {1000 * median[name] / notebooks:6.0f} ms per notebook{spread}")
    print(f"  pipeline / grade: {median['pipeline'] / median['grade']:.2f}x; "
          f"nbgrader's own work is {median['nbgrader'] / median['pipeline']:.0%} of the pipeline's time")
    if "stock" in median:
        print(f"  stock / pipeline: {median['stock'] / median['pipeline']:.1f}x")


if __name__ == "__main__":
    main()
