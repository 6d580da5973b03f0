"""A copy of the grader that pip can install: the package and a pyproject.toml beside it.

A student release and a Gradescope autograder each carry one, so that ``pip install .``
gives the ``gdgrader`` command and the pytest plugin there too. The requirements are
the package's own ``requirements.txt``, the one list the project's pyproject.toml
reads as well.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import __version__, paths

PYPROJECT = """\
# The grader, installable with `pip install .`; what it needs is listed in grader/requirements.txt.
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gdgrader"
description = "Auto-graded exercises on linear regression by gradient descent (gdgrader {version})"
requires-python = ">=3.11"
dynamic = ["version", "dependencies"]

[project.scripts]
gdgrader = "grader.__main__:main"

[project.entry-points.pytest11]
gdgrader = "grader.pytest_plugin"

[tool.setuptools.packages.find]
include = ["grader", "grader.*"]

[tool.setuptools.package-data]
grader = ["expected.json", "requirements.txt"]

[tool.setuptools.dynamic]
version = {{ attr = "grader.__version__" }}
dependencies = {{ file = ["grader/requirements.txt"] }}
"""


def copy(target: Path) -> None:
    """Write the grader package (without caches or expected values) and its pyproject.toml into ``target``."""
    shutil.copytree(paths.PACKAGE, target / "grader",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", paths.EXPECTED.name))
    (target / "pyproject.toml").write_text(PYPROJECT.format(version=__version__), encoding="utf-8")
