"""What the fork template loads and warms: only what the exercises graded use, and for optimizers no torch._dynamo."""
import json
import os
import subprocess
import sys

import pytest

from grader import paths

WARM = """
import importlib, json, sys
from grader import child, specs
imports = tuple(dict.fromkeys(n for id in sys.argv[1].split(",") for n in specs.exercise(id).imports))
for name in ("numpy", *imports):
    importlib.import_module(name)
child.warm(imports, figure=sys.argv[2] == "figure")
loaded = {name: name in sys.modules for name in ("torch", "torch._dynamo", "matplotlib",
                                                 "matplotlib.backends.backend_agg")}
after = None
if "torch.optim" in imports:
    import torch
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.nn.functional.mse_loss(model(torch.ones(4, 1)), torch.zeros(4, 1)).backward()
    optimizer.step()
    optimizer.zero_grad()
    after = [model.weight.item(), model.bias.item(), model.weight.grad is None, "torch._dynamo" in sys.modules]
    import torch._dynamo  # code that compiles: the optimizer's methods are torch's own again
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    inner = torch.optim.Optimizer.add_param_group.__wrapped__
    after.append(type(inner.__dynamo_disable).__module__.startswith("torch._dynamo")
                 or inner.__dynamo_disable.__module__.startswith("torch._dynamo"))
print(json.dumps({"loaded": loaded, "after": after}))
"""


def warm(exercises: str, figure: bool, plain: bool = False) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("GDGRADER_PLAIN_TORCH", None)
    if plain:
        env["GDGRADER_PLAIN_TORCH"] = "1"
    done = subprocess.run([sys.executable, "-c", WARM, exercises, "figure" if figure else "none"], cwd=paths.ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_numpy_by_hand_loads_no_torch_and_no_matplotlib():
    assert warm("numpy_by_hand", figure=True)["loaded"] == {
        "torch": False, "torch._dynamo": False, "matplotlib": False, "matplotlib.backends.backend_agg": False}


@pytest.mark.parametrize("figure", [True, False])
def test_plots_load_matplotlib_and_draw_the_first_figure_only_for_many_children(figure):
    loaded = warm("seeing", figure=figure)["loaded"]
    assert loaded["matplotlib"] and loaded["matplotlib.backends.backend_agg"] == figure


def test_an_optimizer_runs_without_torch_dynamo_until_code_imports_it():
    shortcut, plain = warm("pytorch_way", figure=False), warm("pytorch_way", figure=False, plain=True)
    assert not shortcut["loaded"]["torch._dynamo"] and plain["loaded"]["torch._dynamo"]
    *update, imported, own_again = shortcut["after"]
    assert update == plain["after"][:3] and update[2] is True  # the same step, to the bit; the gradients cleared
    assert imported is False and own_again is True
