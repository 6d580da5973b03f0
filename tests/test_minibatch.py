"""The mini-batch exercise: typical mistakes lose points where they belong; correct styles get full marks."""
import pytest

from conftest import assert_mistake, assert_style, mutate

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
MINIBATCH = {"train_minibatch [batch_size=5]", "train_minibatch [batch_size=10]", "train_minibatch [batch_size=20]",
             "train_minibatch [hidden 1]", "train_minibatch [hidden 2]"}
NOT_10 = MINIBATCH - {"train_minibatch [batch_size=10]"}

# name: (replacements, the checks that must fail (and only those), text the first message must hold)
MISTAKES = {
    "gradients never zeroed": (
        [("    w.grad.zero_()\n    b.grad.zero_()\n", "")],
        {"step", "step [hidden 1]"}, "grads: w expected 0, got -31.5"),
    "gradients never zeroed in an inlined loop": (
        [(LOOP, LOOP.replace("step(w, b, lr)", "with torch.no_grad():\n"
                             "                w -= lr * w.grad\n                b -= lr * b.grad"))],
        MINIBATCH, "first update matches but later ones do not"),
    "sum instead of mean": (
        [("torch.mean((y_hat - y) ** 2)", "torch.sum((y_hat - y) ** 2)")],
        {"criterion", "criterion [hidden 1]"}, "a constant factor of 60: a sum instead of a mean"),
    "gradient ascent": (
        [("w -= lr * w.grad\n        b -= lr * b.grad", "w += lr * w.grad\n        b += lr * b.grad")],
        {"step", "step [hidden 1]"}, "goes up the gradient"),
    "batch size 10 instead of 20": (
        [("lr, num_epochs, batch_size)\n        histories", "lr, num_epochs, min(batch_size, 10))\n        histories")],
        {"compare_methods", "compare_methods [hidden 1]"}, "mini-batch 20: at epoch 1"),
    "batch size hard-coded to 10": (
        [("DataLoader(LinearData(X, y), batch_size=batch_size)", "DataLoader(LinearData(X, y), batch_size=10)")],
        NOT_10, "updates instead of"),
    "shuffled batches": (
        [("DataLoader(LinearData(X, y), batch_size=batch_size)",
          "DataLoader(LinearData(X, y), batch_size=batch_size, shuffle=True)")],
        MINIBATCH, "no shuffling"),
    "loss recorded after the update": (
        [(LOOP, LOOP.replace("        losses.append(criterion(forward(X, w, b), y).item())\n", "")
          + "        losses.append(criterion(forward(X, w, b), y).item())\n")],
        MINIBATCH, "recorded one update late"),
    "lr 0.01": (
        [("    losses, params = [], []\n", "    losses, params = [], []\n    lr = 0.01\n")],
        MINIBATCH, "check the learning rate"),
    "9 epochs": (
        [("for epoch in range(num_epochs):", "for epoch in range(num_epochs - 1):")],
        MINIBATCH, "epochs recorded instead of"),
    "11 epochs": (
        [("for epoch in range(num_epochs):", "for epoch in range(num_epochs + 1):")],
        MINIBATCH, "epochs recorded instead of"),
    "bias never updated": (
        [("        b -= lr * b.grad\n", "")],
        {"step", "step [hidden 1]"}, "b does not change"),
    "bias never updated in an inlined loop": (
        [(LOOP, LOOP.replace("step(w, b, lr)", "with torch.no_grad():\n                w -= lr * w.grad\n"
                             "            w.grad.zero_()"))],
        MINIBATCH, "b never changes"),
    "Dataset items as floats": (
        [("return self.X[i], self.y[i]", "return float(self.X[i]), float(self.y[i])")],
        {"LinearData", "LinearData [hidden 1]"}, "expected shape (2, 20, 1), got (2, 20)"),
    "update not in place": (
        [(STEP, "    w = w - lr * w.grad\n    b = b - lr * b.grad\n")],
        {"step", "step [hidden 1]"}, "did not change in place"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text = MISTAKES[name]
    result = grade_source("minibatch", mutate("minibatch", *replacements))
    assert_mistake("minibatch", result, owners, text)


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
