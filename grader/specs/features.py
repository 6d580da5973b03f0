"""Checks for exercises/features.py: three features, nn.Linear(3, 1) and NumPy with a column of ones (lab 002)."""
import numpy as np

from ..plain import Unconvertible, describe, to_plain
from ..probes import Missing, unpack
from ..spec import Check, Exercise, Lazy, Output, per_epoch, public

torch = Lazy("torch")

DATA = dict(seed=0, n=100, coef=(1.0, 2.0, 4.0), bias=3.0, noise=1e-6)  # the lab's: 3 + X1 + 2 X2 + 4 X3
START = dict(w0=(0.5, -0.5, 1.0), b0=-1.0)
TORCH = dict(DATA, **START, lr=1e-4, num_epochs=500)  # the lab's SGD(lr=0.0001), 500 epochs
NUMPY = dict(DATA, lr=1e-4, num_epochs=1000)  # the lab's lr = 0.0001, epochs = 1000
CONVERGING = dict(DATA, lr=0.1, num_epochs=1000)  # |par - lstsq| < 1e-14 on every case's data
TORCH_COLUMNS = ("w1", "w2", "w3", "b")  # nn.Linear's parameters in order: weight, then bias
PAR_COLUMNS = ("b", "w1", "w2", "w3")  # par: the bias first, for the column of ones


# Builders: case parameters -> the target's arguments (run in the child).

def data(p):
    """X (n, 3) and Y (n, 1), drawn as the lab does: X1, X2, X3, then the noise."""
    rng = np.random.RandomState(p["seed"])
    X = np.hstack([rng.normal(0, 1, size=(p["n"], 1)) for _ in range(3)])
    Y = X @ np.reshape(p["coef"], (3, 1)) + p["bias"] + p["noise"] * rng.normal(0, 1, size=(p["n"], 1))
    return X, Y


def tensors(p):
    return tuple(torch.tensor(a, dtype=torch.float32) for a in data(p))


def with_ones(X):
    return np.hstack([np.ones((len(X), 1)), X])


def start(p):
    """The start as nn.Linear holds it: weight (1, 3), bias (1,)."""
    return torch.tensor([p["w0"]], dtype=torch.float32), torch.tensor([p["b0"]], dtype=torch.float32)


def torch_args(p):
    """A model set to the case's start (built here, so no student's random init matters), then the data."""
    model = torch.nn.Linear(3, 1)
    weight, bias = start(p)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    return (model, *tensors(p), p["lr"], p["num_epochs"])


def numpy_args(*names):
    def build(p):
        X, Y = data(p)
        return (with_ones(X), Y, *(p[name] for name in names))
    return build


# Reading what came back (run in the child).

def vector(value, size, why=""):
    """``value`` as ``size`` numbers in a row, whether it came as (size,), (size, 1) or (1, size)."""
    try:
        array = np.asarray(to_plain(value), dtype=np.float64)
    except (Unconvertible, ValueError):
        return value  # the child says what it is
    if array.size == size:
        return array.reshape(-1)
    return Missing(f"expected {size} numbers, as shape ({size}, 1) or ({size},); got shape {array.shape}{why}")


def gd_par(value):
    """par read as 4 numbers; when it grew into a matrix, say how that happens."""
    array = vector(value, 4)
    if not isinstance(array, Missing):
        return array
    if array.reason.endswith("got shape (4, 4)"):
        array.reason += ("; par should stay a column (4, 1): grad = (2 / n) * X1.T.dot(e) is one, "
                         "but e.T.dot(X1) is a row (1, 4), and a column minus a row broadcasts to (4, 4)")
    elif "got shape (4, " in array.reason:
        array.reason += ("; par should stay (4, 1) (or (4,)) every epoch: an (n,) array minus an (n, 1) array "
                         "broadcasts to (n, n), so keep X1.dot(par) and Y the same shape")
    return array


def history(losses):
    """A loss history, with each entry kept as one number even if it came as a (1, 1) array."""
    try:
        array = np.asarray(to_plain(losses), dtype=np.float64)
    except (Unconvertible, ValueError):
        return losses
    return array.reshape(len(array)) if array.ndim > 1 and array.size == len(array) else array


def parameters(model):
    """A model's parameters as one row (w1, w2, w3, b), wherever its nn.Linear sits."""
    if not isinstance(model, torch.nn.Module):
        return Missing(f"got {describe(model)}, not a model (an nn.Module such as nn.Linear(3, 1))")
    return torch.cat([q.detach().reshape(-1) for q in model.parameters()])


# Probes: how each target is exercised (run in the child).

def probe_model(make_model, args, p):
    model = make_model(*args)
    out = {"params": parameters(model), "y_hat": Missing("your make_model did not return a model")}
    if isinstance(model, torch.nn.Module):
        out["y_hat"] = model(tensors(p)[0])
    return out


def probe_train(train_torch, args, p):
    model = args[0]
    losses = train_torch(*args)
    fresh = torch_args(dict(p, num_epochs=1))
    before = parameters(fresh[0]).clone()
    train_torch(*fresh)
    return {"losses": history(losses), "first_step": parameters(fresh[0]) - before, "params": parameters(model)}


def probe_ones(add_ones, args, p):
    X1 = add_ones(args[0].copy())
    out = {"X1": X1, "ones_column": Missing("no column of X1 is all ones")}
    try:
        array = np.asarray(to_plain(X1), dtype=np.float64)
    except (Unconvertible, ValueError):
        return out
    if array.ndim == 2:
        ones = [j for j in range(array.shape[1]) if np.all(array[:, j] == 1)]
        if ones:
            out["ones_column"] = ones[0]
    return out


def run_gd(gd_numpy, X1, Y, lr, num_epochs):
    result = gd_numpy(X1.copy(), Y.copy(), lr, num_epochs)
    return unpack(result, ("par", "losses"), "gd_numpy()")


def probe_gd(gd_numpy, args, p):
    X1, Y, lr, num_epochs = args
    out = run_gd(gd_numpy, X1, Y, lr, num_epochs)
    first = run_gd(gd_numpy, X1, Y, lr, 1)["par"]
    return {"losses": history(out["losses"]), "first_step": gd_par(first), "par": gd_par(out["par"])}


def probe_converges(gd_numpy, args, p):
    """The student's par after enough epochs to converge; the reference's lands on the least-squares solution."""
    X1, Y, lr, num_epochs = args
    par = gd_par(run_gd(gd_numpy, X1, Y, lr, num_epochs)["par"])
    if isinstance(par, np.ndarray) and not np.all(np.abs(par) < 1e6 * (1 + np.abs(Y).max())):  # also inf, nan
        size = "is not finite" if not np.all(np.isfinite(par)) else f"reached {np.abs(par).max():.3g}"
        return {"par": Missing(f"par {size} after {num_epochs} epochs with lr={lr}: gradient descent diverged. "
                               "Does it go up the gradient, or take steps too large?")}
    return {"par": par}


def probe_lstsq(least_squares, args, p):
    par = least_squares(*args)
    if isinstance(par, tuple) and len(par) == 4:
        return {"par": Missing("got a tuple of 4 items: np.linalg.lstsq returns (solution, residuals, rank, "
                               "singular values); return its first item, [0]")}
    return {"par": vector(par, 4)}


# What is compared.

def loss_hints(scaled=""):
    hints = {
        "length": "{got} losses instead of {expected}: one per epoch, num_epochs epochs",
        "shifted": "the losses look one epoch late: take each loss before that epoch's update",
        "rising": "the loss grows instead of falling: the updates go up the gradient or are too large",
    }
    return {**hints, "scaled": scaled} if scaled else hints


TORCH_STEP_HINTS = {
    "scaled": "the first step is {factor:.4g}x the expected one: is the loss MSELoss(reduction='sum')? "
              "(a mean makes the step n times smaller) And is lr the one given?",
    "opposite": "the first step goes up the gradient",
    "zero": "the model you were given did not change in a run of 1 epoch: train its own parameters "
            "(model.parameters()), not a new model's, for num_epochs epochs",
    "zero_column": "{column} does not change: is it trained?",
}
NUMPY_STEP_HINTS = {
    "scaled": "the first step is {factor:.4g}x the expected one: is the gradient (2 / n) * X1.T.dot(e), "
              "and the update par - lr * grad?",
    "opposite": "the first step goes up the gradient: e = X1.dot(par) - Y, then par = par - lr * grad",
    "zero": "par did not move from 0 in a run of 1 epoch: is it updated, num_epochs times?",
}

EXERCISE = Exercise(
    id="features",
    title="Several features: nn.Linear(3, 1) and NumPy with a column of ones",
    lab="002",
    teaches="nn.Linear with several inputs, a sum-of-squares loss with optim.SGD, the bias as a column of ones, "
            "gradient descent in matrix form, the least-squares solution",
    checks=(
        Check("make_model", "make_model", 1.0, about="make_model(weight, bias): the model's parameters and predictions",
              params=dict(DATA, **START), build=start, probe=probe_model,
              outputs=(Output("params", "the model's (w1, w2, w3, b)", rtol=1e-6, atol=1e-7, columns=TORCH_COLUMNS),
                       Output("y_hat", "model(X), shape (n, 1)", rtol=1e-5, atol=1e-6))),
        Check("train_torch", "train_torch", 2.0,
              about="train_torch(model, X, Y, lr, num_epochs): the losses, the step that a run of 1 epoch makes, "
                    "and the trained parameters",
              params=TORCH, build=torch_args, probe=probe_train,
              outputs=(Output("losses", "the summed squared error before each epoch's step", rtol=1e-4, atol=1e-4,
                              history=per_epoch, hints={
                                  **loss_hints(),
                                  "drift": "the first epochs match but later ones do not: are the gradients "
                                           "zeroed every epoch (optimizer.zero_grad())?"}),
                       Output("first_step", "the change in (w1, w2, w3, b) made by one epoch", rtol=1e-4, atol=1e-6,
                              columns=TORCH_COLUMNS, hints=TORCH_STEP_HINTS),
                       Output("params", "the model's (w1, w2, w3, b) after training", rtol=1e-4, atol=2e-5,
                              columns=TORCH_COLUMNS))),
        Check("add_ones", "add_ones", 1.0, about="add_ones(X): X with a column of ones in front",
              params=DATA, build=lambda p: (data(p)[0],), probe=probe_ones,
              outputs=(Output("X1", "X with a column of ones in front, shape (n, 4)", rtol=0.0, atol=1e-12),
                       Output("ones_column", "the index of the column of ones", rtol=0.0, atol=0.5, hints={
                           "not_zero": "the column of ones goes first (column 0), so that par[0] is the bias"}))),
        Check("gd_numpy", "gd_numpy", 2.0,
              about="gd_numpy(X1, Y, lr, num_epochs) from par = 0: the losses, the par that a run of 1 epoch ends on "
                    "(its first step), and the final par",
              params=NUMPY, build=numpy_args("lr", "num_epochs"), probe=probe_gd,
              cases=public({}, {"lr": 0.01, "num_epochs": 200},
                           label=lambda p: f"lr={p.get('lr', NUMPY['lr'])}, num_epochs={p.get('num_epochs', 1000)}"),
              outputs=(Output("losses", "the mean squared error before each epoch's update", rtol=1e-7, atol=1e-10,
                              history=per_epoch,
                              hints=loss_hints("a constant factor of {factor:.4g}: the mean of e ** 2, not the sum?")),
                       Output("first_step", "par after one epoch from 0 (its first step)", rtol=1e-7, atol=1e-12,
                              columns=PAR_COLUMNS, hints=NUMPY_STEP_HINTS),
                       Output("par", "the final (b, w1, w2, w3)", rtol=1e-7, atol=1e-10, columns=PAR_COLUMNS))),
        Check("least_squares", "least_squares", 1.0, about="least_squares(X1, Y): the closed-form solution",
              params=DATA, build=numpy_args(), probe=probe_lstsq,
              outputs=(Output("par", "the least-squares (b, w1, w2, w3)", rtol=1e-7, atol=1e-9,
                              columns=PAR_COLUMNS),)),
        Check("gd_numpy_converges", "gd_numpy", 1.0,
              about="gd_numpy(X1, Y, lr, num_epochs) with lr and num_epochs that converge: par must land on the "
                    "least-squares solution",
              params=CONVERGING, build=numpy_args("lr", "num_epochs"), probe=probe_converges,
              outputs=(Output("par", "the (b, w1, w2, w3) it converges to", rtol=0.0, atol=1e-6,
                              columns=PAR_COLUMNS, hints={
                                  "any": "gradient descent that converges lands on the least-squares solution; "
                                         "yours stops elsewhere: is the gradient (2 / n) * X1.T.dot(e)?"}),)),
    ),
)
