"""The command line: check (students), grade (instructors), list.

Exit status: 0 when the command did its job, whatever the scores (for ``check``:
every public check passed); 1 when ``check`` found a failing check, or when a
class run could not grade some submission (a grader error; rerun to retry);
2 for usage errors; 130 when interrupted.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import batch, paths, render, specs
from .grade import Grader, GraderError
from .results import Report

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Auto-graded exercises on linear regression by gradient descent.",
        epilog="Students: `python -m grader check`. Instructors: `python -m grader grade PATH`.")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check your exercises on the public cases",
                           description="Run the public checks on your exercises and say what went wrong where.")
    check.add_argument("path", nargs="?", type=Path, default=None,
                       help="a folder laid out like exercises/, or one exercise file (default: exercises/)")
    check.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    check.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    check.set_defaults(command=_check)

    grade = sub.add_parser("grade", help="grade a submission on the public and hidden cases",
                           description="Grade a submission against the reference solutions, hidden cases included. "
                                       "Exits 0 whenever grading ran, whatever the score.")
    grade.add_argument("path", type=Path,
                       help="a folder laid out like exercises/ (.py or .ipynb files), or one exercise file")
    grade.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    grade.add_argument("--json", metavar="FILE", type=Path, help="write the report as JSON")
    grade.add_argument("--quiet", action="store_true", help="print only the total")
    whole = grade.add_argument_group("a whole class", "PATH holds one folder (or file) per student")
    whole.add_argument("--out", metavar="DIR", type=Path,
                       help="grade every student in PATH into DIR: reports/<student>.json, "
                            "gradescope/<student>/results.json and scores.csv; a rerun finishes what is left")
    whole.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                       help="students graded at once (default: the number of cores, %(default)s)")
    whole.add_argument("--force", action="store_true", help="regrade students that already have a report")
    grade.set_defaults(command=_grade)

    listing = sub.add_parser("list", help="list the exercises", description="One exercise id per line, with its title.")
    listing.set_defaults(command=_list)
    return parser


def _check(args) -> int:
    path = args.path or (Path("exercises") if Path("exercises").is_dir() else paths.EXERCISES)
    report = _run(Grader(hidden=False, exercises=_only(args.exercise, path)), path, args.exercise, args.json)
    sys.stdout.write(render.report(report))
    return 0 if all(c.passed for e in report.exercises for c in e.checks) else 1


def _grade(args) -> int:
    if args.out:
        return _grade_class(args)
    report = _run(Grader(hidden=True, exercises=_only(args.exercise, args.path)), args.path, args.exercise, args.json)
    sys.stdout.write(f"Total: {render.points(report.score, report.max_score)}\n" if args.quiet else render.report(report))
    return 0


def _grade_class(args) -> int:
    if args.json:
        raise GraderError("--json is for one submission; with --out every student gets a report in DIR/reports")
    if args.jobs < 1:
        raise GraderError("--jobs takes a number of at least 1")
    batch.submissions(args.path, args.out, args.exercise)  # usage errors before the grader starts
    summary = batch.grade_class(Grader(hidden=True, exercises=(args.exercise,) if args.exercise else None),
                                args.path, args.out, exercise=args.exercise, jobs=args.jobs, force=args.force)
    if not args.quiet:
        sys.stdout.write(render.class_table(args.out / batch.CSV))
    print(f"graded {len(summary.graded)}, already done {len(summary.skipped)}, grader errors {len(summary.failed)}; "
          f"scores in {args.out / batch.CSV}")
    for name, error in summary.failed.items():
        print(f"error: could not grade {name}: {error}", file=sys.stderr)
    if summary.interrupted:
        print("interrupted: run the same command again to grade the rest", file=sys.stderr)
        return 130
    return 1 if summary.failed else 0


def _list(args) -> int:
    for ex in specs.exercises():
        print(f"{ex.id}\t{ex.title}")
    return 0


def _only(exercise: str | None, path: Path) -> tuple[str, ...] | None:
    """The exercises to prepare for: just one when PATH is one file."""
    if exercise:
        if exercise not in specs.IDS:
            raise GraderError(f"no exercise called '{exercise}'; `python -m grader list` shows them")
        return (exercise,)
    if path.is_file() and path.stem in specs.IDS:
        return (path.stem,)
    return None


def _run(grader: Grader, path: Path, exercise: str | None, json_file: Path | None) -> Report:
    if not path.exists():
        raise GraderError(f"no such file or folder: {path}")
    report = grader.grade(path, exercise=exercise)
    if json_file:
        batch.write_json(json_file, report.to_dict())
    return report
