"""The features exercise: typical mistakes lose points where they belong; correct styles get full marks;
the reference reproduces the lab's coefficients and converges where the checks say it does."""

import numpy as np
import pytest

from conftest import all_items, assert_mistake, assert_style, every, failed, flat, load_reference, mutate
from grader.specs import features as spec

MSE = 'nn.MSELoss(reduction="sum")'
COPY = "        model.weight.copy_(weight)\n        model.bias.copy_(bias)\n"
TORCH_LOOP = ("""        y_hat = model(X)
        loss = criterion(y_hat, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""")
NUMPY_LOOP = ("""    for epoch in range(num_epochs):
        e = X1.dot(par) - Y
        losses.append(np.mean(e ** 2))
        grad = (2 / n) * X1.T.dot(e)
        par = par - lr * grad
""")
ONES = "return np.hstack([np.ones((X.shape[0], 1)), X])"
LSTSQ = "return np.linalg.lstsq(X1, Y, rcond=None)[0]"


TORCH, MODEL, GD, CONVERGES = (every("features", check) for check in ("train_torch", "make_model", "gd_numpy",
                                                                    "gd_numpy_converges"))

# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    "Y taken flat, so that e broadcasts to (n, n)": (
        [("        e = X1.dot(par) - Y\n", "        e = X1.dot(par) - Y.ravel()\n")], GD | CONVERGES,
        "expected par as 4 numbers, as shape (4, 1) or (4,); got shape (4, ", "an (n,) array minus an (n, 1) array"),
    "MSELoss with the default mean": (
        [(MSE, "nn.MSELoss()")], TORCH, "losses: at epoch 0: expected 3290.11, got 32.9011",
        "with MSELoss's default mean, not the sum"),
    "gradients never zeroed": (
        [("        optimizer.zero_grad()\n", "")], TORCH, "losses: at epoch 2: expected",
        "when optimizer.zero_grad() is never called"),
    "the start not set (nn.Linear's random init kept)": (
        [(COPY, "        pass\n")], MODEL, "params: w1 expected 0.5, got",
        "when the start is never set"),
    "the bias not set": (
        [("        model.bias.copy_(bias)\n", "")], MODEL, "params: b expected -1, got",
        "when the bias is never set"),
    "a new model trained instead of the one given": (
        [('    criterion = nn.MSELoss(reduction="sum")\n',
          '    model = nn.Linear(3, 1)\n    criterion = nn.MSELoss(reduction="sum")\n')], TORCH,
        "first_step: w1 expected 0.0252191, got 0", "when it trains a new model, not the one given"),
    "lr hard-coded to the lab's 0.0001": (
        [("torch.optim.SGD(model.parameters(), lr=lr)", "torch.optim.SGD(model.parameters(), lr=0.0001)")],
        TORCH - {"train_torch"}, "first_step: w1 expected", "with the lab's learning rate, 0.0001"),
    "499 epochs": (
        [("    for epoch in range(num_epochs):\n        y_hat",
          "    for epoch in range(num_epochs - 1):\n        y_hat")],
        TORCH, "losses: expected 500 entries (epoch 0 to epoch 499), got 499",
        "with one epoch fewer than num_epochs"),
    "loss recorded after the step": (
        [("        losses.append(loss.item())\n", ""),
         ("        optimizer.step()\n",
          "        optimizer.step()\n        losses.append(criterion(model(X), Y).item())\n")],
        TORCH, "losses: at epoch 0: expected 3290.11", "when the loss is recorded after the step"),
    "ones appended at the end": (
        [(ONES, "return np.hstack([X, np.ones((X.shape[0], 1))])")], every("features", "add_ones"),
        "ones_column: expected 0, got 3", "when the column of ones is put last"),
    "gradient without 2 / n": (
        [("grad = (2 / n) * X1.T.dot(e)", "grad = X1.T.dot(e)")], GD | CONVERGES,
        "first_step: b expected", "when the gradient leaves out its 2 / n"),
    "gradient without the 2 (converges all the same)": (
        [("grad = (2 / n) * X1.T.dot(e)", "grad = (1 / n) * X1.T.dot(e)")], GD,
        "first_step: b expected 0.000597381, got 0.00029869", "when the gradient leaves out the 2"),
    "X1.T forgotten": (
        [("grad = (2 / n) * X1.T.dot(e)", "grad = (2 / n) * X1.dot(e)")], GD | CONVERGES,
        "ValueError: shapes (100,4) and (100,1) not aligned", "the gradient is (2 / n) * X1.T.dot(e)"),
    "e.T.dot(X1): the gradient as a row": (
        [("grad = (2 / n) * X1.T.dot(e)", "grad = (2 / n) * e.T.dot(X1)")], GD | CONVERGES,
        "par: expected par as 4 numbers, as shape (4, 1) or (4,); got shape (4, 4)",
        "par should stay a column (4, 1)"),
    "sign error": (
        [("e = X1.dot(par) - Y", "e = Y - X1.dot(par)")], GD | CONVERGES,
        "first_step: b expected 0.000597381, got -0.000597381", "when the error is Y - X1.dot(par)"),
    "par starts at ones": (
        [("par = np.zeros((X1.shape[1], 1))", "par = np.ones((X1.shape[1], 1))")], GD,  # converges all the same
        "losses: at epoch 0: expected 30.654", "when par starts at ones, not at zero"),
    "999 epochs (converges all the same)": (
        [(NUMPY_LOOP, NUMPY_LOOP.replace("range(num_epochs)", "range(1, num_epochs)"))], GD,
        "losses: expected 1000 entries", "with one epoch fewer than num_epochs"),
    "losses as the sum of squares": (
        [("losses.append(np.mean(e ** 2))", "losses.append(np.sum(e ** 2))")], GD,
        "losses: at epoch 0: expected 30.654, got 3065.4", "when the loss is the sum of the squared errors"),
    "par flat while Y is a column": (
        [("par = np.zeros((X1.shape[1], 1))", "par = np.zeros(X1.shape[1])")], GD | CONVERGES,
        "ValueError: operands could not be broadcast together with shapes (4,) (4,100)",
        "keep par, grad and the error the same kind of column"),
    "lstsq's whole tuple returned": (
        [(LSTSQ, "return np.linalg.lstsq(X1, Y, rcond=None)")], every("features", "least_squares"),
        "par: got a tuple of 4 items", "return its first item, [0]"),
    "X1 for X1.T in the normal equations": (
        [(LSTSQ, "return np.linalg.inv(X1.T @ X1) @ X1 @ Y")], every("features", "least_squares"),
        ("ValueError: matmul", "in least_squares"), "the normal equations are (X1.T X1) par = X1.T Y"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text, hint = MISTAKES[name]
    result = grade_source("features", mutate("features", *replacements))
    assert_mistake("features", result, owners, text, hint=hint, name=name)


def test_gradient_descent_that_diverges_is_named_in_the_convergence_check(grade_source):
    result = grade_source("features", mutate("features", ("par = par - lr * grad", "par = par + lr * grad")))
    assert failed(result) == GD | CONVERGES
    message = next(c.message for c in result.checks if c.name == "gd_numpy_converges")
    assert message == ("Checked gd_numpy(X1, Y, lr, num_epochs) with lr and num_epochs that\n"
                       "  converge: par must land on the least-squares solution.\n"
                       "Known mistake: you get what gd_numpy gives when the error is Y -\n"
                       "  X1.dot(par), so that every step goes up the gradient: the same par.\n"
                       "par: par reached 7.11e+95 after 1000 epochs with lr=0.1: gradient\n"
                       "  descent diverged")


def test_gradient_descent_that_stops_short_is_told_how_far_from_least_squares(grade_source):
    result = grade_source("features", mutate("features", ("par = par - lr * grad", "par = par - lr / 50 * grad")))
    assert failed(result) == GD | CONVERGES
    message = next(c.message for c in result.checks if c.name == "gd_numpy_converges")
    assert "par: b expected 3, got" in message
    assert "Hint: gradient descent that converges lands on the least-squares solution" in flat(message)


WRAPPER = '''class LinearRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, x):
        return self.linear(x)


def make_model(weight, bias):'''

# name: replacements that keep the answer correct
STYLES = {
    "@ instead of .dot, np.c_ for the ones, the normal equations": [
        ("e = X1.dot(par) - Y", "e = X1 @ par - Y"), ("grad = (2 / n) * X1.T.dot(e)", "grad = 2 * X1.T @ e / n"),
        (ONES, "return np.c_[np.ones(len(X)), X]"), (LSTSQ, "return np.linalg.solve(X1.T @ X1, X1.T @ Y)")],
    "np.column_stack for the ones, pinv": [
        (ONES, "return np.column_stack([np.ones(X.shape[0]), X])"), (LSTSQ, "return np.linalg.pinv(X1) @ Y")],
    "np.concatenate for the ones, inv(X1.T X1) X1.T Y, flat": [
        (ONES, "return np.concatenate([np.ones((len(X), 1)), X], axis=1)"),
        (LSTSQ, "return (np.linalg.inv(X1.T @ X1) @ X1.T @ Y).ravel()")],
    "np.insert for the ones, lstsq on a flat Y": [
        (ONES, "return np.insert(X, 0, 1.0, axis=1)"), (LSTSQ, "return np.linalg.lstsq(X1, Y.ravel(), rcond=None)[0]")],
    "par of shape (4,) with Y flattened, losses as an array": [
        (NUMPY_LOOP, NUMPY_LOOP.replace("X1.dot(par) - Y", "X1 @ par - Y.ravel()")),
        ("par = np.zeros((X1.shape[1], 1))", "par = np.zeros(4)"),
        ("    return par, losses\n", "    return par, np.array(losses)\n")],
    "losses as e.T e / n, (1, 1) arrays; a dict back": [
        ("losses.append(np.mean(e ** 2))", "losses.append(e.T.dot(e) / n)"),
        ("    return par, losses\n", '    return {"par": par, "losses": losses}\n')],
    "weight.data and bias.data assigned": [
        (COPY, "        pass\n    model.weight.data = weight.clone()\n    model.bias.data = bias.clone()\n")],
    "load_state_dict": [(COPY, '        model.load_state_dict({"weight": weight, "bias": bias})\n')],
    "nn.Parameter, and the lab's LinearRegression module around nn.Linear": [
        ("def make_model(weight, bias):", WRAPPER),
        ("    model = nn.Linear(3, 1)\n    with torch.no_grad():",
         "    model = LinearRegression()\n    with torch.no_grad():"),
        (COPY, "        model.linear.weight = nn.Parameter(weight.clone())\n"
               "        model.linear.bias = nn.Parameter(bias.clone())\n")],
    "F.mse_loss(reduction='sum'), losses kept as tensors": [
        (MSE, 'lambda y_hat, Y: nn.functional.mse_loss(y_hat, Y, reduction="sum")'),
        ("losses.append(loss.item())", "losses.append(loss.detach())")],
    "float64 training": [
        ('    criterion = nn.MSELoss(reduction="sum")\n',
         '    model.double()\n    X, Y = X.double(), Y.double()\n    criterion = nn.MSELoss(reduction="sum")\n')],
    "((y_hat - Y) ** 2).sum() and a step by hand": [
        (TORCH_LOOP, """        y_hat = model(X)
        loss = ((y_hat - Y) ** 2).sum()
        losses.append(float(loss))
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad.zero_()
""")],
}


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, grade_source):
    result = grade_source("features", mutate("features", *STYLES[name]))
    assert_style("features", result)


# The reference itself: the lab's data, its coefficients, and where gradient descent gets to.

@pytest.fixture(scope="module")
def ref():
    return load_reference("features")


def test_the_public_cases_use_the_lab_data(ref):
    X, Y = ref.make_data()
    assert X.shape == (100, 3) and Y.shape == (100, 1)
    X_spec, Y_spec = spec.data(spec.DATA)
    np.testing.assert_array_equal(X_spec, X)
    np.testing.assert_allclose(Y_spec, Y, rtol=0, atol=1e-13)
    assert spec.TORCH["lr"] == 1e-4 and spec.TORCH["num_epochs"] == 500
    assert spec.NUMPY["lr"] == 1e-4 and spec.NUMPY["num_epochs"] == 1000


def test_least_squares_finds_the_lab_coefficients_3_1_2_4(ref):
    X, Y = ref.make_data()
    par = ref.least_squares(ref.add_ones(X), Y).ravel()
    np.testing.assert_allclose(par, [3, 1, 2, 4], atol=1e-6)


def test_torch_training_with_the_lab_settings_comes_close_to_least_squares(grader, ref):
    reply = grader.expected["features"]["train_torch"]  # the reference's run of the public case, in a child
    X, Y = ref.make_data()
    w1, w2, w3, b = reply.outputs["params"]
    oracle = np.linalg.lstsq(ref.add_ones(X), Y, rcond=None)[0].ravel()
    assert np.abs(np.array([b, w1, w2, w3]) - oracle).max() < 2e-3  # 6.4e-4 measured: float32, 500 epochs
    losses = reply.outputs["losses"]
    assert len(losses) == 500 and losses[-1] < 1e-3 < 1000 < losses[0]


def test_gd_numpy_converges_on_every_convergence_case_and_not_with_the_lab_lr(ref):
    for item in all_items("features"):
        if item.check.name == "gd_numpy_converges":
            X1, Y, lr, num_epochs = spec.numpy_args("lr", "num_epochs")(item.params)
            par, _ = ref.gd_numpy(X1, Y, lr, num_epochs)
            assert np.abs(par.ravel() - np.linalg.lstsq(X1, Y, rcond=None)[0].ravel()).max() < 1e-12, item.name
    X, Y = ref.make_data()
    par, losses = ref.gd_numpy(ref.add_ones(X), Y, lr=1e-4, num_epochs=1000)
    assert np.abs(par.ravel() - [3, 1, 2, 4]).max() > 1  # the lab's own setting: far from converged
    assert losses[-1] < losses[0]
