"""The autograd exercise: typical mistakes lose points where they belong, correct styles get full marks,
and the reference reproduces the lab: the three ways agree step for step and reach a = 2.0000."""

import numpy as np
import pytest
import torch

from conftest import assert_mistake, assert_style, every, load_reference, mutate
from grader.specs.autograd import LAB, START

AUTOGRAD, MODEL, NN, COMPARE = (every("autograd", check) for check in ("train_autograd", "make_model", "train_nn",
                                                                        "compare_ways"))

UPDATE = ("""        with torch.no_grad():
            a -= lr * a.grad
""")
RECORD = "        losses.append(loss.item())\n        history.append(a.item())\n"
NN_LOOP = ("""        optimizer.zero_grad()
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        losses.append(loss.item())
        history.append(model.weight.item())
        loss.backward()
        optimizer.step()
""")

# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    # train_autograd
    "gradient never zeroed": (
        [("        a.grad.zero_()\n", "")],
        AUTOGRAD, "history: at iteration 2: a expected 0.679076, got 0.908677",
        "when the gradient is never zeroed"),
    "update outside torch.no_grad()": (
        [(UPDATE, "        a -= lr * a.grad\n")],
        AUTOGRAD, "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation",
        "update a inside `with torch.no_grad():`"),
    "a = a - lr * a.grad": (
        [(UPDATE, UPDATE.replace("a -= lr * a.grad", "a = a - lr * a.grad"))],
        AUTOGRAD, "AttributeError: 'NoneType' object has no attribute 'zero_'", "a.grad is None"),
    "a = a - lr * a.grad, then requires_grad_()": (
        [(UPDATE + "        a.grad.zero_()\n",
          UPDATE.replace("a -= lr * a.grad", "a = a - lr * a.grad") + "        a.requires_grad_()\n")],
        AUTOGRAD, "a_change: expected 1.75, got 0", "when a is given a new tensor at each update"),
    "a = a - lr * a.grad outside torch.no_grad(), grad set to None": (
        [(UPDATE + "        a.grad.zero_()\n", "        a = a - lr * a.grad\n        a.grad = None\n")],
        AUTOGRAD, "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'", "a.grad is None"),
    "gradient ascent": (
        [("a -= lr * a.grad", "a += lr * a.grad")],
        AUTOGRAD, "history: at iteration 1: a expected 0.4796, got 0.0204", "when the update goes up the gradient"),
    "loss recorded after the update": (
        [(RECORD, "        history.append(a.item())\n"),
         ("        a.grad.zero_()\n", "        a.grad.zero_()\n"
                                    "        losses.append(((1 / N) * torch.sum((a * x - y) ** 2)).item())\n")],
        AUTOGRAD, "losses: at iteration 0: expected 200.9, got 151.642", "when the loss is recorded after the update"),
    "a recorded after the update": (
        [(RECORD, "        losses.append(loss.item())\n"),
         ("        a.grad.zero_()\n", "        a.grad.zero_()\n        history.append(a.item())\n")],
        AUTOGRAD, "history: at iteration 0: a expected 0.25, got 0.4796", "when a is recorded after each update"),
    "the live tensor a recorded": (
        [("history.append(a.item())", "history.append(a)")],
        AUTOGRAD, "history: at iteration 0: a expected 0.25, got 2",
        "when a is recorded as the live tensor itself"),
    "one iteration short": (
        [("    for i in range(num_iterations):\n        y_hat = a * x\n",
          "    for i in range(1, num_iterations):\n        y_hat = a * x\n")],
        AUTOGRAD, "losses: expected 100 entries (iteration 0 to iteration 99), got 99; the first 99 agree",
        "with 1 iteration fewer than num_iterations"),
    "lr hard-coded to the lab's 0.001": (
        [("a -= lr * a.grad", "a -= 0.001 * a.grad")],
        AUTOGRAD - {"train_autograd"}, "history: at iteration 1: a expected -0.8032, got -0.6064",
        "with the lab's learning rate, 0.001, whatever lr it is given"),
    # make_model
    "bias=True": (
        [("nn.Linear(in_features=1, out_features=1, bias=False)\n    nn.init",
          "nn.Linear(in_features=1, out_features=1, bias=True)\n    nn.init")],
        MODEL, "parameter shapes: expected [[1, 1]], got [[1, 1], [1]]", "with a bias"),
    "weight left at its random start": (
        [("    nn.init.constant_(model.weight, a)\n", "")],
        MODEL, "weight: expected 0.25, got", "when the weight is left at nn.Linear's random start"),
    "a random weight, nn.init.uniform_ as in the lab": (
        [("nn.init.constant_(model.weight, a)", "nn.init.uniform_(model.weight, -1.0, 1.0)")],
        MODEL, "weight: expected 0.25, got", "when the weight is drawn at random as in the lab"),
    "weight set as a 0-dim tensor": (
        [("nn.init.constant_(model.weight, a)", "model.weight.data = torch.tensor(a)")],
        MODEL, ("parameter shapes: expected [[1, 1]], got [[]]", "y_hat: model(x) with x of shape (N, 1) raised "
                                                                 "RuntimeError"), "the weight set in place"),
    # train_nn
    "optimizer.zero_grad() forgotten": (
        [("        optimizer.zero_grad()\n", "")],
        NN, "history: at iteration 2", "when the gradient is never zeroed"),
    "step before backward": (
        [("        loss.backward()\n        optimizer.step()\n",
          "        optimizer.step()\n        loss.backward()\n")],
        NN, "history: at iteration 1: a expected 0.4796, got 0.25",
        "when optimizer.step() comes before loss.backward()"),
    "MSELoss(reduction='sum')": (
        [('nn.MSELoss(reduction="mean")', 'nn.MSELoss(reduction="sum")')],
        NN, "losses: at iteration 0: expected 200.9, got 1004.5", "with the squared errors summed instead of averaged"),
    "loss recorded after the step": (
        [(NN_LOOP, NN_LOOP.replace("        losses.append(loss.item())\n", "")
          + "        losses.append(loss_fn(model(x), y).item())\n")],
        NN, "losses: at iteration 0: expected 200.9, got 151.642", "when the loss is recorded after the update"),
    "lr 0.01 in the optimizer": (
        [("optim.SGD(model.parameters(), lr=lr)", "optim.SGD(model.parameters(), lr=0.01)")],
        NN, "the first update is 10x the expected size", "the expected size: check the learning rate"),
    "y not reshaped": (
        [("x, y = x.view(-1, 1), y.view(-1, 1)", "x = x.view(-1, 1)")],
        NN, "losses: at iteration 0: expected 200.9, got 220.26", "when y stays of shape (N,) while y_hat is (N, 1)"),
    "x not reshaped": (
        [("x, y = x.view(-1, 1), y.view(-1, 1)", "y = y.view(-1, 1)")],
        NN, "RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x5 and 1x1)",
        "nn.Linear(1, 1) takes x as a column"),
    "a new model inside train_nn": (
        [("    loss_fn = nn.MSELoss(", "    model = nn.Linear(1, 1, bias=False)\n    loss_fn = nn.MSELoss(")],
        NN, "weight_change: expected 1.75, got 0", "when it trains a new model of its own, not the one given"),
    # compare_ways
    "the nn way starts from the trained a": (
        [("train_nn(x, y, make_model(a),", "train_nn(x, y, make_model(a_autograd.item()),")],
        COMPARE, "nn: at iteration 0: expected 0.25, got 2", "when the nn way starts from the a the autograd"),
    "a random start, as in the lab": (
        [("torch.tensor([a], requires_grad=True)", "torch.randn(1, requires_grad=True)")],
        COMPARE, "autograd: at iteration 0: expected 0.25, got", "when the autograd way starts at random"),
    "a start that does not require grad": (
        [("torch.tensor([a], requires_grad=True)", "torch.tensor([a])")],
        COMPARE, "RuntimeError: element 0 of tensors does not require grad",
        "train_autograd needs a tensor of shape (1,) that requires grad"),
    "lr and num_iterations not passed on": (
        [("train_nn(x, y, make_model(a), lr, num_iterations)", "train_nn(x, y, make_model(a))")],
        COMPARE - {"compare_ways"}, "nn: expected 10 entries (iteration 0 to iteration 9), got 100",
        "when the nn way is not given lr and num_iterations"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text, hint = MISTAKES[name]
    result = grade_source("autograd", mutate("autograd", *replacements))
    assert_mistake("autograd", result, owners, text, hint=hint, name=name)


# name: replacements that keep the answer correct
STYLES = {
    # train_autograd
    "a.data -= lr * a.grad": [(UPDATE, "        a.data -= lr * a.grad\n")],
    "a.sub_() inside torch.no_grad()": [("a -= lr * a.grad", "a.sub_(lr * a.grad)")],
    "a.grad = None": [("        a.grad.zero_()\n", "        a.grad = None\n")],
    "gradient zeroed before backward": [
        ("        a.grad.zero_()\n", ""),
        ("        loss.backward()\n        with", "        if a.grad is not None:\n            a.grad.zero_()\n"
                                                "        loss.backward()\n        with")],
    "torch.autograd.grad instead of backward": [
        ("        loss.backward()\n" + UPDATE + "        a.grad.zero_()\n",
         "        (grad,) = torch.autograd.grad(loss, a)\n"
         "        with torch.no_grad():\n            a -= lr * grad\n")],
    "F.mse_loss in the autograd way": [
        ("loss = (1 / N) * torch.sum((y_hat - y) ** 2)", "loss = torch.nn.functional.mse_loss(y_hat, y)")],
    "(y_hat - y).pow(2).mean()": [
        ("loss = (1 / N) * torch.sum((y_hat - y) ** 2)", "loss = (y_hat - y).pow(2).mean()")],
    "the loss in float64": [("        y_hat = a * x\n", "        y_hat = a * x.double()\n"),
                            ("torch.sum((y_hat - y) ** 2)", "torch.sum((y_hat - y.double()) ** 2)")],
    "losses and history kept as tensors, a tensor back": [
        (RECORD, "        losses.append(loss.detach().clone())\n        history.append(a.detach().clone())\n"),
        ("return Fit(a.item(), losses, history)\n\n\ndef make_model",
         "return Fit(a, losses, history)\n\n\ndef make_model")],
    "a dict back": [("return Fit(a.item(), losses, history)\n\n\ndef make_model",
                     'return {"a": a.item(), "losses": losses, "history": history}\n\n\ndef make_model'),
                    ('return {"autograd": autograd_fit.history,', 'return {"autograd": autograd_fit["history"],')],
    # make_model
    "weight.fill_() inside torch.no_grad()": [
        ("    nn.init.constant_(model.weight, a)\n", "    with torch.no_grad():\n        model.weight.fill_(a)\n")],
    "model.weight.data[:] = a": [("    nn.init.constant_(model.weight, a)\n", "    model.weight.data[:] = a\n")],
    "a new nn.Parameter": [("    nn.init.constant_(model.weight, a)\n",
                            "    model.weight = nn.Parameter(torch.tensor([[a]]))\n")],
    "weight set through the state_dict": [("    nn.init.constant_(model.weight, a)\n",
                                           '    model.load_state_dict({"weight": torch.tensor([[a]])})\n')],
    # train_nn
    "F.mse_loss in the nn way": [('loss_fn = nn.MSELoss(reduction="mean")', "loss_fn = nn.functional.mse_loss")],
    "(y_hat - y).pow(2).mean() in the nn way": [("loss = loss_fn(y_hat, y)", "loss = (y_hat - y).pow(2).mean()")],
    "columns with unsqueeze(1)": [("x, y = x.view(-1, 1), y.view(-1, 1)", "x, y = x.unsqueeze(1), y[:, None]")],
    "zero_grad() after step()": [(NN_LOOP, NN_LOOP.replace("        optimizer.zero_grad()\n", "")
                                  + "        optimizer.zero_grad()\n")],
    "the optimizer over [model.weight]": [("optim.SGD(model.parameters(), lr=lr)", "optim.SGD([model.weight], lr=lr)")],
    "losses and weights kept as tensors, the weight back": [
        ("        losses.append(loss.item())\n        history.append(model.weight.item())\n",
         "        losses.append(loss.detach())\n        history.append(model.weight.detach().clone())\n"),
        ("return Fit(model.weight.item(), losses, history)", "return model.weight, torch.stack(losses), history"),
        ('"nn": nn_fit.history}', '"nn": nn_fit[2]}')],
    # compare_ways
    "a tuple back": [('return {"autograd": autograd_fit.history, "nn": nn_fit.history}',
                      "return autograd_fit.history, nn_fit.history")],
    "the nn way first, from a 0-dim tensor start": [
        ("    a_autograd = torch.tensor([a], requires_grad=True)\n"
         "    autograd_fit = train_autograd(x, y, a_autograd, lr, num_iterations)\n"
         "    nn_fit = train_nn(x, y, make_model(a), lr, num_iterations)\n",
         "    nn_fit = train_nn(x, y, make_model(a), lr, num_iterations)\n"
         "    autograd_fit = train_autograd(x, y, torch.tensor(a, requires_grad=True), lr, num_iterations)\n")],
}


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, grade_source):
    result = grade_source("autograd", mutate("autograd", *STYLES[name]))
    assert_style("autograd", result)


# The reference itself: the lab's three ways agree step for step and reach a = 2.0000 (y = 2x).

@pytest.fixture(scope="module")
def reference():
    return load_reference("autograd")


def test_the_lab_data_and_settings_are_the_reference_defaults(reference):
    x, y = reference.make_data()
    assert x.tolist() == LAB["x"] and y.tolist() == LAB["y"] and x.dtype == torch.float32
    assert (LAB["lr"], LAB["num_iterations"]) == (0.001, 100)
    defaults = reference.train_autograd.__defaults__
    assert defaults == reference.train_nn.__defaults__ == (LAB["lr"], LAB["num_iterations"])
    assert reference.compare_ways.__defaults__ == (START["a"], LAB["lr"], LAB["num_iterations"])


def numpy_history(p):
    """Way 1, NumPy by hand: the reference of exercise numpy_by_hand (history[i] is a before update i)."""
    module = load_reference("numpy_by_hand")
    x, y = np.asarray(p["x"], dtype=np.float64), np.asarray(p["y"], dtype=np.float64)
    return np.asarray(module.train_no_bias(x, y, float(p["a"]), p["lr"], p["num_iterations"])[2])


def test_the_three_ways_agree_step_for_step_from_the_same_start(reference):
    x, y = reference.make_data()
    by_autograd = reference.train_autograd(x, y, torch.tensor([START["a"]], requires_grad=True))
    by_nn = reference.train_nn(x, y, reference.make_model(START["a"]))
    by_hand = numpy_history(dict(LAB, **START))
    assert len(by_autograd.history) == len(by_nn.history) == len(by_hand) == 100
    np.testing.assert_allclose(by_autograd.history, by_hand, rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_nn.history, by_hand, rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_autograd.losses, by_nn.losses, rtol=1e-5, atol=1e-7)
    assert by_autograd.losses[0] == pytest.approx(1.75 ** 2 * 65.6)  # (1/N) sum((0.25x - 2x)^2), mean(x^2) = 65.6
    assert by_nn.history[1] == pytest.approx(0.25 + 0.001 * 2 * 1.75 * 65.6)  # one step by hand: 0.4796


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_from_the_labs_random_starts_every_way_prints_a_2_0000(reference, seed):
    x, y = reference.make_data()
    torch.manual_seed(seed)
    a = torch.randn(1, requires_grad=True)  # the lab's start
    start = a.item()
    by_autograd = reference.train_autograd(x, y, a)
    by_nn = reference.train_nn(x, y, reference.make_model(start))
    by_hand_a = numpy_history(dict(LAB, a=start, num_iterations=LAB["num_iterations"] + 1))[-1]  # after 100 updates
    assert f"{by_autograd.a:.4f}" == f"{by_nn.a:.4f}" == f"{by_hand_a:.4f}" == "2.0000"
    assert f"{by_autograd.losses[-1]:.4f}" == f"{by_nn.losses[-1]:.4f}" == "0.0000"
