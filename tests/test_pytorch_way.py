"""The PyTorch-way exercise: the lab's figures, typical mistakes lose points where they belong, correct styles pass."""
import ast

import pytest
import torch
from torch import nn, optim

from conftest import all_items, assert_mistake, assert_style, every, failed, load_reference, mutate
from grader import paths
from grader.specs import exercise
from grader.specs import pytorch_way as spec

INIT = ("        super().__init__()\n"
        "        self.linear = nn.Linear(input_size, output_size)\n")
SET = ('    model.state_dict()["linear.weight"][0] = w\n'
       '    model.state_dict()["linear.bias"][0] = b\n')
LOADER = "    return DataLoader(dataset=dataset, batch_size=batch_size)\n"
UPDATE = ("            optimizer.zero_grad()\n"
          "            loss.backward()\n"
          "            optimizer.step()\n")

LINEAR, STARTS, SETS, LOADERS, TRAINS, FITS = (every("pytorch_way", check) for check in (
    "LinearRegression", "LinearRegression init", "set_parameters", "make_loader", "train_model", "fit"))
NOT_BATCH_1 = {"fit [lr=0.05, batch_size=25]", "fit [hidden 1]", "fit [hidden 2]"}
SHORT_BATCHES = {"make_loader [batch_size=25]", "make_loader [hidden 1]", "make_loader [hidden 2]"}


def test_the_reference_reproduces_the_lab_figures():
    lab = load_reference("pytorch_way")
    torch.manual_seed(1)
    dataset = lab.Data()
    model = lab.LinearRegression(1, 1)
    assert [round(p.item(), 4) for p in model.parameters()] == [0.3636, 0.4957]
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    lab.set_parameters(model, -15, -10)
    assert model.state_dict()["linear.weight"].item() == -15 and model.state_dict()["linear.bias"].item() == -10
    losses = lab.train_model(model, nn.MSELoss(), optimizer, lab.make_loader(dataset, 1), 10)
    assert len(losses) == 600
    assert [round(model.linear.weight.item(), 4), round(model.linear.bias.item(), 4)] == [0.9932, -1.0174]
    w, b, fit_losses = lab.fit(dataset, -15.0, -10.0, lr=0.01, num_epochs=10, batch_size=1)
    assert (round(w, 4), round(b, 4)) == (0.9932, -1.0174) and fit_losses == losses


def test_the_public_cases_are_the_labs_runs(grader):
    expected = grader.expected["pytorch_way"]
    start = expected["LinearRegression init"].outputs
    assert (round(start["weight"][0][0], 4), round(start["bias"][0], 4)) == (0.3636, 0.4957)
    outputs = expected["fit [lr=0.01, batch_size=1]"].outputs
    assert (round(outputs["w"], 4), round(outputs["b"], 4)) == (0.9932, -1.0174)
    assert expected["train_model"].outputs["losses"] == outputs["losses"][:180]  # the lab's run, for 3 epochs
    lab, practice = (expected[name].outputs["losses"] for name in ("fit [lr=0.01, batch_size=1]",
                                                                    "fit [lr=0.1, batch_size=1]"))
    assert (len(lab), len(practice)) == (600, 180) and lab[0] == practice[0] and lab[1] != practice[1]


def test_the_positions_named_in_messages_match_the_loader():
    """Where a message says 'epoch e, batch k' or 'point i (batch k)', it counts batches as the DataLoader does."""
    for item in all_items("pytorch_way"):
        if item.check.target in ("make_loader", "train_model", "fit"):
            p = item.params
            dataset = spec.dataset(p)
            batches = len(torch.utils.data.DataLoader(dataset, batch_size=p["batch_size"]))
            assert spec.points_count(p) == len(dataset), item.name
            assert spec.per_point(len(dataset) - 1, p).endswith(f"(batch {batches - 1})"), item.name
            assert spec.by_update(batches * 2 - 1, p) == f"epoch 1, batch {batches - 1} (update {batches * 2 - 1})"


def target_of(replacements):
    """The one graded definition of the reference that the replacements change."""
    source = (paths.REFERENCE / "pytorch_way.py").read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    targets = {node.name for node in ast.parse(source).body for old, _ in replacements
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               and old in "".join(lines[node.lineno - 1:node.end_lineno])}
    assert len(targets) == 1 and targets <= set(exercise("pytorch_way").targets), targets
    return targets.pop()


def check_target(item_name):
    return next(item.check.target for item in all_items("pytorch_way") if item.name == item_name)


@pytest.fixture(scope="module")
def graded(grader, tmp_path_factory):
    """name -> the ExerciseResult of the submission that holds that mistake or style, graded once.

    Each check runs its target alone (fit with the reference's helpers), so one submission can hold one
    mistake or style per target and still show each on its own: the n-th entries of all targets go together.
    """
    groups, results = {}, {}
    for table in (MISTAKES, STYLES):
        by_target = {}
        for name in table:
            by_target.setdefault(target_of(replacements_of(name)), []).append(name)
        for i in range(max(map(len, by_target.values()))):
            together = tuple(names[i] for names in by_target.values() if i < len(names))
            groups.update({name: together for name in together})

    def result(name):
        together = groups[name]
        if together not in results:
            folder = tmp_path_factory.mktemp("submission")
            source = mutate("pytorch_way", *(r for other in together for r in replacements_of(other)))
            (folder / "pytorch_way.py").write_text(source, encoding="utf-8")
            results[together] = next(e for e in grader.grade(folder).exercises if e.exercise == "pytorch_way")
        return results[together], together

    return result


def replacements_of(name):
    return MISTAKES[name][0] if name in MISTAKES else STYLES[name]


# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    "nn.Linear(1, 1) whatever the sizes": (
        [("        self.linear = nn.Linear(input_size, output_size)\n", "        self.linear = nn.Linear(1, 1)\n")],
        (LINEAR - {"LinearRegression [input_size=1, output_size=1]"})
        | {"LinearRegression init [input_size=3]", "LinearRegression init [hidden 1]"},
        "shapes: expected [[1, 3], [1]], got [[1, 1], [1]]", "when self.linear is nn.Linear(1, 1) whatever the sizes"),
    "forward without the bias": (
        [("        return self.linear(x)\n", "        return x @ self.linear.weight.T\n")],
        LINEAR, "bias_grad: expected 10, got 0", "when forward leaves out the bias"),
    "forward detached": (
        [("        return self.linear(x)\n", "        return self.linear(x).detach()\n")],
        LINEAR, "weight_grad: y_hat does not depend on self.linear's parameters",
        "compute it from them, without .detach() or torch.no_grad()"),
    "weights zeroed at the start": (
        [(INIT, INIT + "        nn.init.zeros_(self.linear.weight)\n        nn.init.zeros_(self.linear.bias)\n")],
        STARTS, "weight: expected 0.363599, got 0", "when the weight and bias are set to zero"),
    "an extra layer made first": (
        [(INIT, "        super().__init__()\n        self.hidden = nn.Linear(input_size, output_size)\n"
                "        self.linear = nn.Linear(input_size, output_size)\n")],
        STARTS, "weight: expected 0.363599, got", "when another nn.Linear is made before self.linear"),
    "the weight set on a local": (
        [(SET, "    weight, bias = model.linear.weight, model.linear.bias\n"
               "    weight = torch.tensor([[w]])\n    bias = torch.tensor([b])\n")],
        SETS, "weight: expected -15, got 0.515263", "leaving the model's own parameters as they were"),
    "state_dict entries replaced": (
        [(SET, '    model.state_dict()["linear.weight"] = torch.tensor([[float(w)]])\n'
               '    model.state_dict()["linear.bias"] = torch.tensor([float(b)])\n')],
        SETS, "weight: expected -15, got 0.515263", "when new tensors are put in the state_dict"),
    "w and b the wrong way round": (
        [(SET, '    model.state_dict()["linear.weight"][0] = b\n    model.state_dict()["linear.bias"][0] = w\n')],
        SETS, "weight: expected -15, got -10", "when w and b are the wrong way round"),
    "new Parameters instead of in place": (
        [(SET, "    model.linear.weight = nn.Parameter(torch.tensor([[float(w)]]))\n"
               "    model.linear.bias = nn.Parameter(torch.tensor([float(b)]))\n")],
        SETS, "update: w expected 0.951938, got 0", "when new nn.Parameters take the place of the model's"),
    "the bias left unset": (
        [('    model.state_dict()["linear.bias"][0] = b\n', "")],
        SETS, "bias: expected -10, got", "when the bias is left unset"),
    "shuffled batches": (
        [(LOADER, "    return DataLoader(dataset=dataset, batch_size=batch_size, shuffle=True)\n")],
        LOADERS, "points: at point 0 (batch 0): x expected -3, got", "when the DataLoader shuffles the points"),
    "batch size ignored in make_loader": (
        [(LOADER, "    return DataLoader(dataset=dataset)\n")],
        LOADERS - {"make_loader [batch_size=1]"}, "sizes: expected 6 entries (batch 0 to batch 5), got 60",
        "when the DataLoader is not given batch_size"),
    "the last partial batch dropped": (
        [(LOADER, "    return DataLoader(dataset=dataset, batch_size=batch_size, drop_last=True)\n")],
        SHORT_BATCHES, "sizes: expected 3 entries (batch 0 to batch 2), got 2", "when the last, smaller batch"),
    "a loader that runs out after one pass": (
        [(LOADER, "    return iter(DataLoader(dataset=dataset, batch_size=batch_size))\n")],
        LOADERS, "next_epoch: the loader gave no batches the second time",
        "return a DataLoader, which can be looped over once per epoch"),
    "optimizer.zero_grad() forgotten": (
        [("            optimizer.zero_grad()\n", "")],
        TRAINS, "params: at epoch 0, batch 2 (update 2)", "when optimizer.zero_grad() is never called"),
    "optimizer.step() before loss.backward()": (
        [(UPDATE, "            optimizer.zero_grad()\n            optimizer.step()\n            loss.backward()\n")],
        TRAINS, "params: at epoch 0, batch 1 (update 1): w expected -12.6508, got -15",
        "when optimizer.step() comes before loss.backward()"),
    "optimizer.step() first": (
        [(UPDATE, "            optimizer.step()\n            optimizer.zero_grad()\n            loss.backward()\n")],
        TRAINS, "params: at epoch 0, batch 1 (update 1)", "when optimizer.step() comes first"),
    "loss recorded after the step": (
        [("            losses.append(loss.item())\n", ""),
         ("            optimizer.step()\n", "            optimizer.step()\n"
                                          "            losses.append(criterion(model(X), y).item())\n")],
        TRAINS, ("losses: at epoch 0, batch 0 (update 0): expected 1532.92, got", "Step by step, from your own (w, "
                 "b): every update is right, but each loss is recorded after its update"),
        "when each batch's loss is recorded after the step"),
    "one epoch more": (
        [("for epoch in range(num_epochs):", "for epoch in range(num_epochs + 1):")],
        TRAINS, "losses: expected 180 entries", "with 1 epoch more than num_epochs"),
    "an optimizer of its own in train_model": (
        [("    losses = []\n", "    losses = []\n    optimizer = optim.SGD(model.parameters(), lr=0.01)\n")],
        TRAINS, "params: optimizer.step() was never called on the optimizer passed in",
        "step the optimizer you are given"),
    "lr fixed at 0.01 in fit": (
        [("optim.SGD(model.parameters(), lr=lr)", "optim.SGD(model.parameters(), lr=0.01)")],
        FITS - {"fit [lr=0.01, batch_size=1]"}, "losses: at epoch 0, batch 1 (update 1)",
        "with the lab's learning rate, 0.01"),
    "batch size ignored in fit": (
        [("make_loader(dataset, batch_size), num_epochs)", "make_loader(dataset, 1), num_epochs)")],
        NOT_BATCH_1, "losses: expected 12 entries", "with the lab's batch size, 1"),
    "10 epochs whatever num_epochs in fit": (
        [("make_loader(dataset, batch_size), num_epochs)", "make_loader(dataset, batch_size), 10)")],
        FITS - {"fit [lr=0.01, batch_size=1]"}, "losses: expected 180 entries", "with the lab's 10 epochs"),
    "a summed loss in fit": (
        [("criterion = nn.MSELoss()", "criterion = nn.MSELoss(reduction='sum')")],
        NOT_BATCH_1, "losses: at epoch 0, batch 0 (update 0): expected 527.295, got 13182.4",
        "when the criterion sums the squared errors"),
    "set_parameters forgotten in fit": (
        [("    set_parameters(model, w, b)\n", "")],
        FITS, "losses: at epoch 0, batch 0 (update 0): expected 1532.92, got",
        "when set_parameters is never called"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, graded):
    replacements, owners, text, hint = MISTAKES[name]
    result, together = graded(name)
    target = target_of(replacements)
    assert {check_target(owner) for owner in owners} == {target}
    assert {c for c in failed(result) if check_target(c) == target} == owners
    assert_mistake("pytorch_way", result, owners, text, hint=hint, name=name,
                   failing=set().union(*(MISTAKES[other][1] for other in together)))  # nothing else fails


# name: replacements that keep the answer correct
STYLES = {
    "super() as the lab writes it": [("        super().__init__()\n",
                                      "        super(LinearRegression, self).__init__()\n")],
    "forward as x @ W.T + b": [("        return self.linear(x)\n",
                                "        return x @ self.linear.weight.T + self.linear.bias\n")],
    "forward as a sum of products": [
        ("        return self.linear(x)\n",
         "        return (x[:, None, :] * self.linear.weight).sum(-1) + self.linear.bias\n")],
    "forward with F.linear": [("        return self.linear(x)\n",
                               "        return nn.functional.linear(x, self.linear.weight, self.linear.bias)\n")],
    "weight.data.fill_": [(SET, "    model.linear.weight.data.fill_(w)\n    model.linear.bias.data.fill_(b)\n")],
    "copy_ under torch.no_grad()": [
        (SET, "    with torch.no_grad():\n        model.linear.weight.copy_(torch.tensor([[w]]))\n"
              "        model.linear.bias.copy_(torch.tensor([b]))\n")],
    "load_state_dict": [
        (SET, '    model.load_state_dict({"linear.weight": torch.tensor([[float(w)]]), '
              '"linear.bias": torch.tensor([float(b)])})\n')],
    "weight.data replaced": [
        (SET, "    model.linear.weight.data = torch.tensor([[float(w)]])\n"
              "    model.linear.bias.data = torch.tensor([float(b)])\n")],
    "DataLoader positional, shuffle=False said": [
        (LOADER, "    return DataLoader(dataset, batch_size, shuffle=False)\n")],
    "losses kept as detached tensors": [("losses.append(loss.item())", "losses.append(loss.detach())")],
    "losses kept as tensors with their graph, returned stacked": [
        ("losses.append(loss.item())", "losses.append(loss.reshape(1, 1))"),
        ("    return losses\n", "    return torch.cat(losses)\n")],
    "losses recorded in float64": [("losses.append(loss.item())",
                                    "losses.append(criterion(y_hat.double(), y.double()).item())")],
    "loss.tolist() as in the lab": [("losses.append(loss.item())", "losses.append(loss.tolist())")],
    "zero_grad after the step, on the model": [
        (UPDATE, "            loss.backward()\n            optimizer.step()\n            model.zero_grad()\n")],
    "fit without the helpers": [
        ("    set_parameters(model, w, b)\n", "    with torch.no_grad():\n        model.linear.weight.fill_(w)\n"
                                             "        model.linear.bias.fill_(b)\n"),
        ("make_loader(dataset, batch_size), num_epochs)", "DataLoader(dataset, batch_size=batch_size), num_epochs)")],
    "fit in the lab's order, F.mse_loss, tensors back": [
        ("    set_parameters(model, w, b)\n    criterion = nn.MSELoss()\n"
         "    optimizer = optim.SGD(model.parameters(), lr=lr)\n",
         "    criterion = nn.functional.mse_loss\n    optimizer = optim.SGD(model.parameters(), lr=lr)\n"
         "    set_parameters(model, w, b)\n"),
        ("    return Fit(model.linear.weight.item(), model.linear.bias.item(), losses)\n",
         "    return model.linear.weight, model.linear.bias, torch.tensor(losses)\n")],
    "fit with a mean squared error written out": [
        ("    criterion = nn.MSELoss()\n", "    criterion = lambda y_hat, y: ((y - y_hat) ** 2).sum() / len(y)\n")],
    "fit gives a dict back": [
        ("    return Fit(model.linear.weight.item(), model.linear.bias.item(), losses)\n",
         '    return {"w": model.state_dict()["linear.weight"], "b": model.state_dict()["linear.bias"], '
         '"losses": losses}\n')],
}


LINEAR_SUBCLASS = [("class LinearRegression(nn.Module):", "class LinearRegression(nn.Linear):"),
                   (INIT, "        super().__init__(input_size, output_size)\n"),
                   ("        return self.linear(x)\n", "        return super().forward(x)\n")]


def test_an_nn_linear_subclass_passes_the_model_checks_and_is_then_used_as_it_is(grade_source):
    """The model checks read any one nn.Linear; but the exercise's set_parameters works on ``model.linear``, so a
    model without it breaks the student's own fit, and fit, which runs with their own passing helpers, loses points."""
    result = grade_source("pytorch_way", mutate("pytorch_way", *LINEAR_SUBCLASS))
    model = {c.name for c in result.checks if check_target(c.name) == "LinearRegression"}
    assert model and not (failed(result) & model)
    assert failed(result) == {c.name for c in result.checks if check_target(c.name) == "fit"}
    assert "KeyError: 'linear.weight'" in next(c for c in result.checks if not c.passed).message


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, graded):
    result = graded(name)[0]
    assert_style("pytorch_way", result,
                 checks={c.name for c in result.checks if check_target(c.name) == target_of(STYLES[name])})
