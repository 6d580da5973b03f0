"""The test cells in a real Jupyter kernel: they grade the notebook as saved, and say so when the kernel ran
something else than what is saved for the function they check."""
import json
import re

import pytest
from jupyter_client.manager import start_new_kernel

from grader import assignments

EXERCISE = "minibatch"
WRONG_FORWARD = 'def forward(X, w, b):\n    """Predictions."""\n    return w * X\n'
CHECK = f"from grader.jupyter import check\ncheck({EXERCISE!r}, 'forward')"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernel")
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(folder))
    yield folder, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code: str) -> str:
    """What a cell shows: its printed text and, for an error, its message (ANSI colours taken out)."""
    shown = []

    def keep(message):
        content = message["content"]
        if message["msg_type"] == "stream":
            shown.append(content["text"])
        elif message["msg_type"] == "error":
            shown.append("\n".join(content["traceback"]))

    client.execute_interactive(code, output_hook=keep, timeout=300)
    return re.sub(r"\x1b\[[0-9;]*m", "", "".join(shown))


def saved(folder, forward: str) -> None:
    """The solved notebook saved in ``folder``, with ``forward`` as the source of forward's cell."""
    notebook = json.loads(assignments.notebook_path(EXERCISE).read_text())
    for cell in notebook["cells"]:
        if cell["metadata"]["nbgrader"]["solution"]:
            cell["source"] = "\n".join(line for line in cell["source"].splitlines() if "### " not in line)
        if cell["metadata"]["nbgrader"]["grade_id"] == "forward":
            cell["source"] = forward
    (folder / f"{EXERCISE}.ipynb").write_text(json.dumps(notebook))


def forward_cell() -> str:
    notebook = json.loads(assignments.notebook_path(EXERCISE).read_text())
    source = next(c["source"] for c in notebook["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "forward")
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def test_a_check_asks_to_save_when_the_kernel_ran_other_code_and_grades_the_saved_notebook_once_saved(kernel):
    folder, client = kernel
    saved(folder, forward_cell())
    run(client, forward_cell())
    assert "passed: forward (1 / 1)" in run(client, CHECK)

    run(client, WRONG_FORWARD)  # changed and run, not saved
    shown = run(client, CHECK)
    assert "forward: the notebook as saved is not the code this kernel ran last" in shown
    assert "save the notebook (Ctrl-S)" in shown and "passed" not in shown

    saved(folder, WRONG_FORWARD)  # now saved: graded, and it is wrong
    shown = run(client, CHECK)
    assert "0 / 1" in shown and "as saved is not" not in shown
