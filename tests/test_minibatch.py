"""The mini-batch exercise: typical mistakes lose points where they belong; correct styles get full marks."""
import pytest

from conftest import all_items, assert_mistake, assert_style, every, mutate
from grader.specs import minibatch as spec

LOOP = ("""    for epoch in range(num_epochs):
        losses.append(criterion(forward(X, w, b), y).item())
        for X_batch, y_batch in data_iter:
            params.append((w.item(), b.item()))
            loss = criterion(forward(X_batch, w, b), y_batch)
            loss.backward()
            step(w, b, lr)
""")
STEP = ("""    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
""")
CM_OLD = ("""    histories = {
        "batch": train_batch(X, y, *start(w, b), lr, num_epochs).losses,
        "stochastic": train_stochastic(X, y, *start(w, b), lr, num_epochs).losses,
    }
    for batch_size in (5, 10, 20):
        fit = train_minibatch(X, y, *start(w, b), lr, num_epochs, batch_size)
        histories[f"mini-batch {batch_size}"] = fit.losses
""")  # compare_methods reads what the loops give back

def items(check):
    return every("minibatch", check)


MINIBATCH, STEP_ITEMS = items("train_minibatch"), items("step")
COMPARE = items("compare_methods")
OTHER_LR = {"train_minibatch [batch_size=25, lr=0.05]", "train_minibatch [hidden 1]", "train_minibatch [hidden 2]"}
SHORT_BATCHES = OTHER_LR  # the last batch smaller: 60 points in batches of 25 or 7, 40 in batches of 15

# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    "the square root of each loss recorded": (
        [("        losses.append(criterion(forward(X, w, b), y).item())\n",
          "        losses.append(criterion(forward(X, w, b), y).item() ** 0.5)\n")],
        MINIBATCH, ("every update is right, but the losses are not those of your own (w, b): at epoch 0, yours "
                    "give 835.276, you recorded 28.9011", "losses: at epoch 0"), None),
    "gradients never zeroed": (
        [("    w.grad.zero_()\n    b.grad.zero_()\n", "")],
        STEP_ITEMS, "grads: w expected 0, got -31.5", "when the gradients are not zeroed after each update"),
    "gradients never zeroed in an inlined loop": (
        [(LOOP, LOOP.replace("step(w, b, lr)", "with torch.no_grad():\n"
                             "                w -= lr * w.grad\n                b -= lr * b.grad"))],
        MINIBATCH, "params: at epoch 0, batch 2 (update 2)", "when the gradients are not zeroed after each update"),
    "sum instead of mean": (
        [("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)")],
        items("criterion"), "loss: expected", "with the squared errors summed instead of averaged"),
    "gradient ascent": (
        [("w -= lr * w.grad\n        b -= lr * b.grad", "w += lr * w.grad\n        b += lr * b.grad")],
        STEP_ITEMS, "update: w expected 3.15, got -3.15", "when the update goes up the gradient"),
    "w updated with b's gradient": (
        [("w -= lr * w.grad\n", "w -= lr * b.grad\n")],
        STEP_ITEMS, "update: w expected 3.15, got 1.8", "when w is updated with b's gradient"),
    "update not in place": (
        [(STEP, "    w = w - lr * w.grad\n    b = b - lr * b.grad\n")],
        STEP_ITEMS, "update: w expected 3.15, got 0", "instead of being changed in place"),
    "bias never updated": (
        [("        b -= lr * b.grad\n", "")],
        STEP_ITEMS, "update: b expected 1.8, got 0", "when b is never updated"),
    "forward without the bias": (
        [("return w * X + b", "return w * X")],
        items("forward"), "y_hat: at index 0, 0", "when the predictions leave out the bias b"),
    "Dataset items as floats": (
        [("return self.X[i], self.y[i]", "return float(self.X[i]), float(self.y[i])")],
        items("LinearData"), "batch: expected shape (2, 20, 1), got (2, 20)", "when each item is two floats"),
    "Dataset items as (y, x)": (
        [("return self.X[i], self.y[i]", "return self.y[i], self.X[i]")],
        items("LinearData"), "first: at index 0, 0: expected -3, got", "when each item is (y[i], X[i])"),
    "lr ignored: the lab's 0.1 written in": (
        [("            step(w, b, lr)\n", "            step(w, b, 0.1)\n")],
        OTHER_LR, ("params: at epoch 0, batch 1 (update 1)", "Step by step, from your own (w, b): the first update, "
                                                             "at epoch 0, batch 0 (update 0), is not right"),
        "with the lab's learning rate, 0.1, whatever lr it is given"),
    "shuffled batches": (
        [("DataLoader(LinearData(X, y), batch_size=batch_size)",
          "DataLoader(LinearData(X, y), batch_size=batch_size, shuffle=True)")],
        MINIBATCH, "params: at epoch 0, batch 1 (update 1)", "when its DataLoader shuffles the points"),
    "the last, smaller batch dropped": (
        [("        for X_batch, y_batch in data_iter:\n",
          "        for i in range(len(X) // batch_size):\n"
          "            X_batch, y_batch = X[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]\n")],
        SHORT_BATCHES, ("params: expected 9 entries", "Step by step, from your own (w, b): the updates up to epoch 0, "
                                                       "batch 1 (update 1) are right; the one at epoch 0, batch 2 "
                                                       "(update 2) is not"),
        "when the last, smaller batch of each epoch is dropped"),
    "the live tensors recorded": (
        [("params.append((w.item(), b.item()))", "params.append((w, b))")],
        MINIBATCH, "params: at epoch 0, batch 0 (update 0): w expected -15, got 0.996069",
        "recorded as the live tensors (or arrays) themselves"),
    "loss recorded after the update": (
        [(LOOP, LOOP.replace("        losses.append(criterion(forward(X, w, b), y).item())\n", "")
          + "        losses.append(criterion(forward(X, w, b), y).item())\n")],
        MINIBATCH, ("losses: at epoch 0: expected 835.276", "Step by step, from your own (w, b): every update is "
                                                            "right, but each loss is recorded after its update"),
        "when the loss is recorded at the end of each epoch"),
    "the last batch's loss recorded": (
        [(LOOP, LOOP.replace("        losses.append(criterion(forward(X, w, b), y).item())\n", "")
          + "        losses.append(loss.item())\n")],
        MINIBATCH, "losses: at epoch 0: expected 835.276", "when the loss recorded is the last batch's"),
    "the points of the stochastic loop shuffled": (
        [("    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=1)\n",
          "    losses, params = [], []\n    for epoch in range(num_epochs):\n"
          "        losses.append(criterion(forward(X, w, b), y).item())\n"
          "        for i in torch.randperm(len(X)).tolist():\n            params.append((w.item(), b.item()))\n"
          "            criterion(forward(X[i], w, b), y[i]).backward()\n            step(w, b, lr)\n"
          "    return Fit(w.item(), b.item(), losses, params)\n")],
        items("train_stochastic"), ("params: at epoch 0, batch 1 (update 1)",
                                    "Step by step, from your own (w, b): every update of epoch 0 is right, but not "
                                    "on the batch in order: the batches come in another order"),
        "are the batches taken in order (no shuffling)"),
    "epochs counted from 1": (
        [("for epoch in range(num_epochs):", "for epoch in range(1, num_epochs):")],
        MINIBATCH, ("losses: expected 10 entries (epoch 0 to epoch 9), got 9",
                    "Step by step, from your own (w, b): every update is right, and so is every loss."),
        "with 1 epoch fewer than num_epochs"),
    "bias never updated in an inlined loop": (
        [(LOOP, LOOP.replace("step(w, b, lr)", "with torch.no_grad():\n                w -= lr * w.grad\n"
                             "            w.grad.zero_()"))],
        MINIBATCH, "params: at epoch 0, batch 1 (update 1): b expected", "when b is never updated"),
    "the same parameters for every method": (
        [("    histories = {\n", "    w, b = start(w, b)\n    histories = {\n"),
         ("*start(w, b), lr, num_epochs).losses,\n        \"stochastic\"",
          "w, b, lr, num_epochs).losses,\n        \"stochastic\""),
         ("train_stochastic(X, y, *start(w, b), lr", "train_stochastic(X, y, w, b, lr"),
         ("train_minibatch(X, y, *start(w, b), lr, num_epochs, batch_size)",
          "train_minibatch(X, y, w, b, lr, num_epochs, batch_size)")],
        COMPARE, "stochastic: at epoch 0: expected 835.276, got", "not afresh from start(w, b)"),
    "batch size not passed on in compare_methods": (
        [("train_minibatch(X, y, *start(w, b), lr, num_epochs, batch_size)",
          "train_minibatch(X, y, *start(w, b), lr, num_epochs)")],
        COMPARE, "mini-batch 5: at epoch 1: expected 0.187218, got 85.6949",
        "when the mini-batch runs are not given their batch size"),
    "lr not passed on in compare_methods": (
        [("        \"batch\": train_batch(X, y, *start(w, b), lr, num_epochs).losses,\n"
          "        \"stochastic\": train_stochastic(X, y, *start(w, b), lr, num_epochs).losses,\n",
          "        \"batch\": train_batch(X, y, *start(w, b), num_epochs=num_epochs).losses,\n"
          "        \"stochastic\": train_stochastic(X, y, *start(w, b), num_epochs=num_epochs).losses,\n")],
        COMPARE - {"compare_methods"}, "batch: at epoch 1", "when the loops are not given lr"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text, hint = MISTAKES[name]
    result = grade_source("minibatch", mutate("minibatch", *replacements))
    assert_mistake("minibatch", result, owners, text, hint=hint, name=name)


def test_the_point_counts_named_in_messages_are_the_datas():
    """Messages count batches from the number of points the grading process works out without torch."""
    for item in all_items("minibatch"):
        if item.check.target in spec.LOOPS + ("LinearData",):
            assert spec.points_count(item.params) == len(spec.data(item.params)[0]), item.name


# name: replacements that keep the answer correct
STYLES = {
    "optim.SGD in the loop": [
        ("    losses, params = [], []\n", "    losses, params = [], []\n    optimizer = torch.optim.SGD([w, b], lr=lr)\n"),
        ("            loss.backward()\n            step(w, b, lr)\n",
         "            optimizer.zero_grad()\n            loss.backward()\n            optimizer.step()\n")],
    "w.data = w.data - lr * w.grad.data": [
        (STEP, "    w.data = w.data - lr * w.grad.data\n    b.data = b.data - lr * b.grad.data\n"
               "    w.grad.data.zero_()\n    b.grad.data.zero_()\n")],
    "grads set to None": [(STEP, STEP.replace("w.grad.zero_()\n    b.grad.zero_()", "w.grad = None\n    b.grad = None"))],
    "optim.SGD inside step": [(STEP, "    optimizer = torch.optim.SGD([w, b], lr=lr)\n    optimizer.step()\n"
                                     "    optimizer.zero_grad()\n")],
    "nn.MSELoss": [("return torch.mean((y_hat - y) ** 2)", "return torch.nn.MSELoss()(y_hat, y)")],
    "F.mse_loss": [("return torch.mean((y_hat - y) ** 2)", "return torch.nn.functional.mse_loss(y_hat, y)")],
    "matrix product forward": [("return w * X + b", "return X @ w.view(1, 1) + b")],
    "float64 tensors": [
        ("    data_iter = DataLoader(LinearData(X, y), batch_size=batch_size)\n",
         "    X, y = X.double(), y.double()\n"
         "    w, b = w.detach().double().requires_grad_(), b.detach().double().requires_grad_()\n"
         "    data_iter = DataLoader(LinearData(X, y), batch_size=batch_size)\n")],
    "batches sliced by hand": [
        ("        for X_batch, y_batch in data_iter:\n",
         "        for start in range(0, len(X), batch_size):\n"
         "            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]\n")],
    "losses and params kept as tensors": [
        ("losses.append(criterion(forward(X, w, b), y).item())", "losses.append(criterion(forward(X, w, b), y))"),
        ("params.append((w.item(), b.item()))", "params.append(torch.stack([w, b]).detach().clone())"),
        ("return Fit(w.item(), b.item(), losses, params)", "return Fit(w, b, losses, params)")],
    "losses as NumPy values, a plain tuple back": [
        ("losses.append(criterion(forward(X, w, b), y).item())",
         "losses.append(criterion(forward(X, w, b), y).detach().numpy())"),
        ("return Fit(w.item(), b.item(), losses, params)", "return w.detach().numpy(), b.item(), losses, params"),
        (CM_OLD, CM_OLD.replace(").losses", ")[2]").replace("fit.losses", "fit[2]"))],
    "a dict back": [("return Fit(w.item(), b.item(), losses, params)",
                     'return {"w": w.item(), "b": b.item(), "losses": losses, "params": params}'),
                    (CM_OLD, CM_OLD.replace(").losses", ')["losses"]').replace("fit.losses", 'fit["losses"]'))],
    "loops written out in full": [
        ("    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=len(X))\n",
         "    losses, params = [], []\n    for epoch in range(num_epochs):\n"
         "        loss = criterion(forward(X, w, b), y)\n        losses.append(loss.item())\n"
         "        params.append([w.item(), b.item()])\n        loss.backward()\n        step(w, b, lr)\n"
         "    return Fit(w.item(), b.item(), losses, params)\n"),
        ("    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=1)\n",
         "    losses, params = [], []\n    for epoch in range(num_epochs):\n"
         "        losses.append(criterion(forward(X, w, b), y).item())\n"
         "        for x_i, y_i in zip(X, y):\n            params.append((float(w), float(b)))\n"
         "            criterion(forward(x_i, w, b), y_i).backward()\n            step(w, b, lr)\n"
         "    return Fit(float(w), float(b), losses, params)\n")],
    "Dataset of pairs": [("        self.X, self.y = X, y\n", "        self.X, self.pairs = X, list(zip(X, y))\n"),
                         ("return self.X[i], self.y[i]", "return self.pairs[i]")],
}


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, grade_source):
    result = grade_source("minibatch", mutate("minibatch", *STYLES[name]))
    assert_style("minibatch", result)
