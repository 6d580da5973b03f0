"""How long reading hostile submissions takes in the grading process, and how much memory: the worst files
the size caps let through.

    python benchmarks/intake.py

Prints, for each case, the wall-clock time and the peak memory Python allocated (tracemalloc, in a second run).
"""
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import intake, specs  # noqa: E402
from grader.sources import MAX_CODE, MAX_NOTEBOOK, Unreadable, defines, read  # noqa: E402

CODE = MAX_CODE - 16  # just under the cap
SCANS = {
    "quotes": '"' * CODE,
    "triple quotes, never closed": '"""' + "x" * (CODE - 3),
    "backslashes": "\\" * CODE,
    "escaped quotes in a string": "'" + "\\'" * (CODE // 2 - 1),
    "def on every line": "def f(): pass\n" * (CODE // 14),
    "one line of code": "x = 1; " * (CODE // 7),
}


def measure(label: str, run) -> None:
    """Time one run; then run it again under tracemalloc for its peak memory (tracing slows it down)."""
    start = time.perf_counter()
    outcome = _outcome(run)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    _outcome(run)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<52} {elapsed * 1000:8.0f} ms {peak / 2**20:7.1f} MB  {outcome}")


def _outcome(run) -> str:
    try:
        return run()
    except Unreadable as exc:
        return f"refused: {str(exc)[:60]}"


def cell(source: str, **extra) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None, **extra}


def main() -> None:
    for label, code in SCANS.items():
        measure(f"defines(): {label} ({len(code) / 2**20:.1f} MB)", lambda: f"{len(defines(code))} names")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        image = {"output_type": "display_data", "data": {"image/png": "A" * (MAX_NOTEBOOK - CODE - 4096)},
                 "metadata": {}}
        notebook = {"cells": [cell("x = 1\n" * (CODE // 7)), cell("y = 2", outputs=[image])], "metadata": {},
                    "nbformat": 4, "nbformat_minor": 5}
        (folder / "big.ipynb").write_text(json.dumps(notebook))
        measure("read(): a 10 MB notebook, 2 MB of code", lambda: f"{len(read(folder / 'big.ipynb').text)} chars")
        cells = [cell(f"def f{i}():\n    pass\n") for i in range(MAX_NOTEBOOK // 120)]
        (folder / "cells.ipynb").write_text(json.dumps({"cells": cells}))
        measure(f"read(): a notebook of {len(cells)} cells", lambda: f"{len(read(folder / 'cells.ipynb').chunks)} chunks")
        depth = MAX_NOTEBOOK // 2 - 16
        (folder / "deep.ipynb").write_text('{"cells": [], "x": ' + "[" * depth + "]" * depth + "}")
        measure("read(): JSON nested 5 million deep", lambda: read(folder / "deep.ipynb"))
        student = folder / "student"
        student.mkdir()
        for i in range(intake.MAX_ENTRIES - 3):
            (student / f"scratch{i:04d}.py").write_text(f"def helper{i}(): pass\n")
        for id in ("minibatch", "autograd", "seeing"):
            (student / f"hw {id} (1).py").write_text((ROOT / "reference" / f"{id}.py").read_text())
        measure(f"layout(): {intake.MAX_ENTRIES} misnamed files, matched by content",
                lambda: f"{sum(p is not None for p in intake.layout(student, specs.IDS).values())} matched")


if __name__ == "__main__":
    main()
