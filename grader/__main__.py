"""``python -m grader`` and the ``gdgrader`` command.

Before anything imports NumPy, one line says what this Python lacks for grading
(see ``environment``); then the command line runs.
"""
import sys

from . import environment


def main() -> int:
    problem = environment.problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from .cli import main as command_line

    return command_line()


if __name__ == "__main__":
    sys.exit(main())
