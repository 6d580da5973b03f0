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

from . import batch, notebooks, paths, release, render, specs
from .grade import Grader, GraderError
from .results import Report
from .sandbox import Limits

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
    limits = argparse.ArgumentParser(add_help=False)
    group = limits.add_argument_group("limits on the code graded")
    default = Limits()
    group.add_argument("--time-per-check", metavar="S", type=float, default=default.seconds_per_check,
                       help="wall-clock seconds one check may take (default: %(default)g)")
    group.add_argument("--time-per-submission", metavar="S", type=float, default=default.seconds_per_submission,
                       help="wall-clock seconds one submission may take (default: %(default)g)")
    group.add_argument("--memory", metavar="MB", type=int, default=default.memory_mb,
                       help="memory the code may take, in MB (default: %(default)s)")

    check = sub.add_parser("check", parents=[limits], help="check your exercises on the public cases",
                           description="Run the public checks on your exercises and say what went wrong where.")
    check.add_argument("path", nargs="?", type=Path, default=None,
                       help="a folder laid out like exercises/, or one exercise file (default: exercises/)")
    check.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    check.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    check.add_argument("--plots", metavar="DIR", type=Path,
                       help="draw each history that went wrong, yours against the expected one, as a PNG in DIR")
    check.set_defaults(command=_check)

    grade = sub.add_parser("grade", parents=[limits], help="grade a submission on the public and hidden cases",
                           description="Grade a submission against the reference solutions, hidden cases included. "
                                       "Exits 0 whenever grading ran, whatever the score.")
    grade.add_argument("path", type=Path,
                       help="a folder laid out like exercises/ (.py or .ipynb files), or one exercise file")
    grade.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    grade.add_argument("--json", metavar="FILE", type=Path, help="write the report as JSON")
    grade.add_argument("--plots", metavar="DIR", type=Path,
                       help="one submission: draw each history that went wrong as a PNG in DIR "
                            "(a class run always draws DIR/summary.png)")
    grade.add_argument("--quiet", action="store_true", help="print only the total")
    whole = grade.add_argument_group("a whole class", "PATH holds one folder (or file) per student")
    whole.add_argument("--out", metavar="DIR", type=Path,
                       help="grade every student in PATH into DIR: reports/<student>.json, "
                            "gradescope/<student>/results.json, scores.csv and summary.png; "
                            "a rerun finishes what is left")
    whole.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                       help="students graded at once (default: the number of cores, %(default)s)")
    whole.add_argument("--force", action="store_true", help="regrade students that already have a report")
    whole.add_argument("--dask", metavar="ADDRESS",
                       help="grade on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N for N "
                            "worker processes on this machine (needs the dask extra; --jobs is then unused)")
    grade.set_defaults(command=_grade)

    listing = sub.add_parser("list", help="list the exercises", description="One exercise id per line, with its title.")
    listing.set_defaults(command=_list)

    release = sub.add_parser("release", help="write the student release (no solutions, no hidden cases)",
                             description="Write the course as a student gets it: the stubs, the grader and the "
                                         "expected values of the public cases; no reference solutions, no hidden "
                                         "cases. Inside it, `python -m grader check` works offline.")
    release.add_argument("dir", type=Path, help="the folder to create")
    release.add_argument("--force", action="store_true", help="replace DIR if it exists")
    release.set_defaults(command=_release)

    books = sub.add_parser("notebooks", help="generate the nbgrader assignments from exercises/ and reference/",
                           description="Write course/source/<exercise>/<exercise>.ipynb for every exercise.")
    books.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 if a committed notebook differs from what the sources give")
    books.set_defaults(command=_notebooks)
    return parser


def _check(args) -> int:
    path = args.path or (Path("exercises") if Path("exercises").is_dir() else paths.EXERCISES)
    report = _run(Grader(hidden=False, exercises=_only(args.exercise, path), limits=_limits(args)), path,
                  args.exercise, args.json)
    sys.stdout.write(render.report(report))
    _plots(report, args.plots)
    return 0 if all(c.passed for e in report.exercises for c in e.checks) else 1


def _grade(args) -> int:
    if args.out:
        return _grade_class(args)
    report = _run(Grader(hidden=True, exercises=_only(args.exercise, args.path), limits=_limits(args)), args.path,
                  args.exercise, args.json)
    sys.stdout.write(f"Total: {render.points(report.score, report.max_score)}\n" if args.quiet else render.report(report))
    _plots(report, args.plots, quiet=args.quiet)
    return 0


def _plots(report: Report, folder: Path | None, quiet: bool = False) -> None:
    """Draw the failed histories into ``folder``; without one, say that they can be drawn."""
    if not any(c.curves for e in report.exercises for c in e.checks):
        return
    if folder is None:
        if not quiet:
            print("To see each history that went wrong as a picture, add --plots DIR.")
        return
    from . import plots  # matplotlib only when asked for

    written = plots.write_history_plots(report, folder)
    print(f"{len(written)} plot{'s' if len(written) != 1 else ''} of the histories that went wrong in {folder}/")


def _grade_class(args) -> int:
    if args.json or args.plots:
        raise GraderError("--json and --plots are for one submission; with --out every student gets a report "
                          "in DIR/reports, and the class a picture in DIR/summary.png")
    if args.jobs < 1:
        raise GraderError("--jobs takes a number of at least 1")
    batch.submissions(args.path, args.out, args.exercise)  # usage errors before the grader starts
    settings = dict(hidden=True, exercises=(args.exercise,) if args.exercise else None, limits=_limits(args))
    if args.dask:
        from . import cluster  # distributed, only when asked for

        with cluster.Dask(args.dask, **settings) as executor:
            summary = batch.grade_class(executor, args.path, args.out, exercise=args.exercise, force=args.force)
    else:
        summary = batch.grade_class(batch.Threads(Grader(**settings), args.jobs), args.path, args.out,
                                    exercise=args.exercise, force=args.force)
    if not args.quiet:
        sys.stdout.write(render.class_table(args.out / batch.CSV))
    print(f"graded {len(summary.graded)}, already done {len(summary.skipped)}, grader errors {len(summary.failed)}; "
          f"scores in {args.out / batch.CSV}, the class at a glance in {args.out / batch.SUMMARY}")
    for name, error in summary.failed.items():
        print(f"error: could not grade {name}: {error}", file=sys.stderr)
    if summary.interrupted:
        print("interrupted: run the same command again to grade the rest", file=sys.stderr)
        return 130
    return 1 if summary.failed else 0


def _limits(args) -> Limits:
    if min(args.time_per_check, args.time_per_submission) <= 0 or args.memory < 64:
        raise GraderError("time limits must be positive and --memory at least 64 MB")
    return Limits(seconds_per_check=args.time_per_check, seconds_per_submission=args.time_per_submission,
                  memory_mb=args.memory)


def _list(args) -> int:
    for ex in specs.exercises():
        print(f"{ex.id}\t{ex.title}")
    return 0


def _release(args) -> int:
    _needs_reference("release")
    path = release.build(args.dir, force=args.force)
    print(f"student release written to {path}")
    return 0


def _notebooks(args) -> int:
    _needs_reference("notebooks")
    if args.check:
        stale = notebooks.drift()
        for id in stale:
            print(f"{notebooks.notebook_path(id)} is out of date: run `python -m grader notebooks`")
        return 1 if stale else 0
    for path in notebooks.write():
        print(f"wrote {path}")
    return 0


def _needs_reference(command: str) -> None:
    if not paths.REFERENCE.is_dir():
        raise GraderError(f"`{command}` needs the reference solutions (reference/), which are not here")


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
