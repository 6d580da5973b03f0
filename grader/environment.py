"""What grading needs from the Python that runs it, checked without importing any of it.

Forgetting the virtual environment is the most common way to start the grader wrongly;
it deserves one line that names the Python that ran and says how to install, not a
failure per check. The grading process never imports torch, so the check only looks
the packages up.
"""
from __future__ import annotations

import importlib.util
import sys

NEEDED = ("torch", "numpy", "matplotlib")
CPU_TORCH = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only wheels: no CUDA, a tenth of the size
# macOS has no CUDA build: the ordinary wheels are CPU (and Apple GPU) ones.
TORCH = "torch" if sys.platform == "darwin" else f"torch --index-url {CPU_TORCH}"


def missing() -> list[str]:
    """The packages grading needs that this Python cannot import."""
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def problem() -> str | None:
    """One line saying what is missing and how to install it; None when nothing is."""
    absent = missing()
    if not absent:
        return None
    return (f"this Python ({sys.executable}) has no {', '.join(absent)}: run the grader with the Python of the "
            f"environment you installed it in (such as .venv/bin/python -m grader), or install it into this one: "
            f"`{sys.executable} -m pip install {TORCH}`, then "
            f"`{sys.executable} -m pip install .` in the course folder")
