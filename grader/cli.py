"""The command line: check (students), grade (instructors), list, release, gradescope, notebooks.

Exit status: 0 when the command did its job, whatever the scores (for ``check``:
every public check passed); 1 when ``check`` found a failing check, or when a
class run could not grade some submission (a grader error; rerun to retry);
2 for usage errors (a course or a package that is not there included); 130 when
interrupted. (``__main__`` first says in one line if this Python lacks torch or NumPy.)
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__, paths, specs
from .errors import GraderError
from .protocol import Limits
from .results import Report

# The rest is imported by each command as it needs it: `check` starts the fork template (which imports
# torch, the longest wait) before this process loads NumPy and the rest of the grader.

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except (GraderError, paths.CourseNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def prog() -> str:
    """The command as it was invoked: ``gdgrader`` (the installed command) or ``python -m grader``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m grader" if name in ("", "-c", "__main__.py") else name


def _parser() -> argparse.ArgumentParser:
    me = prog()
    parser = argparse.ArgumentParser(
        prog=me, description="Auto-graded exercises on linear regression by gradient descent.",
        epilog=f"Students: `{me} check`. Instructors: `{me} grade PATH`. "
               f"`{me} COMMAND --help` says more about each command.")
    parser.add_argument("--version", action="version", version=f"gdgrader {__version__}")
    sub = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--course", metavar="DIR", type=Path,
                       help=f"the course: the folder holding exercises/ and reference/ (default: ${paths.ENV}, "
                            "else the first such folder from here upwards, else the one the grader sits in)")
    limits = argparse.ArgumentParser(add_help=False, parents=[where])
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
                       help="a folder laid out like exercises/, or one exercise file (default: the course's "
                            "exercises/)")
    check.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    check.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    check.add_argument("--plots", metavar="DIR", type=Path,
                       help="draw each history that went wrong, yours against the expected one, as a PNG in DIR")
    check.add_argument("--classroom", action="store_true",
                       help="in GitHub Actions: add a table of the checks to the job summary and give GitHub "
                            "Classroom's reporter the points of each check (step output `result`)")
    check.set_defaults(command=_check)

    grade = sub.add_parser("grade", parents=[limits], help="grade a submission on the public and hidden cases",
                           description="Grade a submission against the reference solutions, hidden cases included. "
                                       "Exits 0 whenever grading ran, whatever the score.")
    grade.add_argument("path", type=Path,
                       help="a folder laid out like exercises/ (.py or .ipynb files), or one exercise file")
    grade.add_argument("--exercise", metavar="ID", help="grade PATH as this exercise (see `list`)")
    grade.add_argument("--unsafe", action="store_true",
                       help="run the code even where it cannot be isolated (no root and no user namespaces): "
                            "only for code you trust")
    grade.add_argument("--json", metavar="FILE", type=Path, help="write the report as JSON")
    grade.add_argument("--gradescope", metavar="FILE", type=Path,
                       help="write Gradescope's results.json: a test per check, hidden checks shown once grades "
                            "are published, each failed history drawn")
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

    listing = sub.add_parser("list", parents=[where], help="list the exercises",
                             description="One exercise id per line, with its title.")
    listing.set_defaults(command=_list)

    release = sub.add_parser("release", parents=[where], help="write the student release (no solutions, no hidden "
                                                              "cases)",
                             description="Write the course as a student gets it: the stubs, the grader, the "
                                         "expected values of the public cases and a GitHub Classroom workflow; no "
                                         f"reference solutions, no hidden cases. Inside it, `{me} check` works "
                                         "offline.")
    release.add_argument("dir", type=Path, help="the folder to create")
    release.add_argument("--force", action="store_true", help="replace DIR if it exists")
    release.set_defaults(command=_release)

    autograder = sub.add_parser("gradescope", parents=[where], help="write a Gradescope autograder (a zip)",
                                description="Write the zip to upload as a Gradescope programming assignment's "
                                            "autograder: setup.sh installs the grader with CPU torch, and "
                                            "run_autograder grades each submission, hidden cases included, into "
                                            "results.json.")
    autograder.add_argument("zip", type=Path, help="the zip file to write, such as autograder.zip")
    autograder.add_argument("--force", action="store_true", help="replace ZIP if it exists")
    autograder.set_defaults(command=_gradescope)

    books = sub.add_parser("notebooks", parents=[where],
                           help="generate the nbgrader assignments from exercises/ and reference/",
                           description="Write course/source/<exercise>/<exercise>.ipynb for every exercise.")
    books.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 if a committed notebook differs from what the sources give")
    books.set_defaults(command=_notebooks)
    return parser


def _course(args, needs_reference: str = "", required: bool = True) -> paths.Course | None:
    """The course to work on (see ``paths.find``), named in the environment for the processes the grader
    starts; a command that ``needs_reference`` refuses a course without its solutions."""
    course = paths.find(args.course, required=required)
    if course is None:
        return None
    if needs_reference and not course.has_reference:
        raise GraderError(f"`{needs_reference}` needs the reference solutions, and {course.root} has no reference/ "
                          f"(a student release): there, use `{prog()} check`, which runs the public cases")
    return course


def _check(args) -> int:
    if args.classroom:
        from . import classroom

        classroom.require()
    # With no course anywhere, an installed student release checks a file on its expected values alone.
    course = _course(args, required=args.path is None or not paths.EXPECTED.exists()) or paths.DEFAULT
    path = args.path or course.exercises
    grader = _grader(args, path, hidden=False, course=course)
    report = _run(grader, path, args.exercise, args.json)
    from . import render

    sys.stdout.write(render.report(report))
    _plots(report, args.plots)
    if args.classroom:
        from . import classroom

        classroom.write(report)
    return 0 if all(c.passed for e in report.exercises for c in e.checks) else 1


def _grade(args) -> int:
    if args.out:
        return _grade_class(args)
    from . import intake

    intake.refuse_class(args.path)  # a usage error, before the grader starts
    course = _course(args, "grade")
    grader = _grader(args, args.path, hidden=True, course=course, unsafe=args.unsafe)
    from . import batch, gradescope, render

    report = _run(grader, args.path, args.exercise, args.json)

    sys.stdout.write(f"Total: {render.points(report.score, report.max_score)}\n" if args.quiet else render.report(report))
    _plots(report, args.plots, quiet=args.quiet)
    if args.gradescope:
        batch.write_json(args.gradescope, gradescope.results(report, plots=True))
    return 0


def _grader(args, path: Path, **settings):
    """The Grader for one submission at ``path``: its fork template starts first (see the imports above)."""
    from .runner import template

    exercises = _only(args.exercise, path)
    limits = _limits(args)
    runner = template(limits, [specs.exercise(id) for id in exercises or specs.IDS], many=False,
                      course=settings.get("course") or paths.DEFAULT)
    from .grade import Grader

    return Grader(exercises=exercises, limits=limits, runner=runner, **settings)


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
    if args.json or args.plots or args.gradescope:
        raise GraderError("--json, --gradescope and --plots are for one submission; with --out every student gets "
                          "a report in DIR/reports and a results.json in DIR/gradescope, and the class a picture in "
                          "DIR/summary.png")
    if args.jobs < 1:
        raise GraderError("--jobs takes a number of at least 1")
    course = _course(args, "grade")
    from . import batch, render
    from .grade import Grader

    batch.submissions(args.path, args.out, args.exercise)  # usage errors before the grader starts
    settings = dict(hidden=True, exercises=(args.exercise,) if args.exercise else None, limits=_limits(args),
                    course=course, unsafe=args.unsafe)
    if args.dask:
        from . import cluster  # distributed, only when asked for

        with cluster.Dask(args.dask, **settings) as executor:
            summary = batch.grade_class(executor, args.path, args.out, exercise=args.exercise, force=args.force)
    else:
        grader = Grader(**settings)
        grader.protections()  # refuses here, once, when the code cannot be isolated
        summary = batch.grade_class(batch.Threads(grader, args.jobs), args.path, args.out, exercise=args.exercise,
                                    force=args.force)
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
    from . import release

    path = release.build(args.dir, course=_course(args, "release"), force=args.force)
    print(f"student release written to {path}")
    return 0


def _gradescope(args) -> int:
    from . import gradescope

    path = gradescope.write_autograder(args.zip, _course(args, "gradescope"), force=args.force)
    print(f"Gradescope autograder written to {path}: upload it as the autograder of a programming assignment "
          "(Ubuntu base image); each submission is graded with the hidden cases")
    return 0


def _notebooks(args) -> int:
    from . import assignments

    course = _course(args, "notebooks")
    if args.check:
        stale = assignments.drift(course)
        for id in stale:
            print(f"{assignments.notebook_path(id, course)} is out of date: run `{prog()} notebooks`")
        return 1 if stale else 0
    for path in assignments.write(course):
        print(f"wrote {path}")
    return 0


def _only(exercise: str | None, path: Path) -> tuple[str, ...] | None:
    """The exercises to prepare for: just one when PATH is one file."""
    if exercise:
        if exercise not in specs.IDS:
            raise GraderError(f"no exercise called '{exercise}'; `{prog()} list` shows them")
        return (exercise,)
    if path.is_file() and path.stem in specs.IDS:
        return (path.stem,)
    return None


def _run(grader, path: Path, exercise: str | None, json_file: Path | None) -> Report:
    if not path.exists():
        raise GraderError(f"no such file or folder: {path}")
    report = grader.grade(path, exercise=exercise)
    if json_file:
        from . import batch

        batch.write_json(json_file, report.to_dict())
    return report
