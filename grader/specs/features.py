"""Checks for exercises/features.py: three features, nn.Linear(3, 1) and NumPy with a column of ones (lab 002)."""
import numpy as np

from .. import hints, variants
from ..plain import describe
from ..probes import Missing, array, explained, numbers, unpack, vector
from ..spec import FLOAT32, Check, Exercise, Lazy, Output, per_epoch, public, settings

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

def gd_par(value):
    """par read as 4 numbers; when it grew into a matrix, say how that happens."""
    values = array(value, "par")
    if isinstance(values, Missing) or values.size == 4:
        return vector(values, 4, "par")
    why, hint = f"expected par as 4 numbers, as shape (4, 1) or (4,); got shape {values.shape}", ""
    if values.shape == (4, 4):
        hint = ("par should stay a column (4, 1): grad = (2 / n) * X1.T.dot(e) is one, "
                "but e.T.dot(X1) is a row (1, 4), and a column minus a row broadcasts to (4, 4)")
    elif values.ndim == 2 and values.shape[0] == 4:
        hint = ("par should stay (4, 1) (or (4,)) every epoch: an (n,) array minus an (n, 1) array "
                "broadcasts to (n, n), so keep X1.dot(par) and Y the same shape")
    return Missing(why, hint)


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
    torch.manual_seed(p["seed"] + 1)  # another random state: parameters that are set do not depend on it
    again = parameters(make_model(*start(p)))
    out["same each time"] = [bool(a == b) for a, b in zip(again, out["params"])] \
        if not isinstance(again, Missing) and not isinstance(out["params"], Missing) else out["params"]
    return out


def probe_train(train_torch, args, p):
    model = args[0]
    losses = train_torch(*args)
    fresh = torch_args(dict(p, num_epochs=1))
    before = parameters(fresh[0]).clone()
    train_torch(*fresh)
    return {"losses": numbers(losses, "the losses", "epoch"), "first_step": parameters(fresh[0]) - before,
            "params": parameters(model)}


def probe_ones(add_ones, args, p):
    X1 = add_ones(args[0].copy())
    out = {"X1": X1, "ones_column": Missing("no column of X1 is all ones")}
    values = array(X1, "X1")
    if not isinstance(values, Missing) and values.ndim == 2:
        ones = [j for j in range(values.shape[1]) if np.all(values[:, j] == 1)]
        if ones:
            out["ones_column"] = ones[0]
    return out


SHAPE_ERRORS = {
    "not aligned": "X1.dot(e) multiplies (n, 4) by (n, 1): the gradient is (2 / n) * X1.T.dot(e)",
    "could not be broadcast together": "keep par, grad and the error the same kind of column: par of shape "
                                       "(4, 1) with Y of shape (n, 1), or both flat",
    "mismatch in its core dimension": "check each transpose: the normal equations are (X1.T X1) par = X1.T Y",
}


def run_gd(gd_numpy, X1, Y, lr, num_epochs):
    result = explained(gd_numpy, (X1.copy(), Y.copy(), lr, num_epochs), SHAPE_ERRORS)
    return unpack(result, ("par", "losses"), "gd_numpy()")


def probe_gd(gd_numpy, args, p):
    X1, Y, lr, num_epochs = args
    out = run_gd(gd_numpy, X1, Y, lr, num_epochs)
    first = run_gd(gd_numpy, X1, Y, lr, 1)["par"]
    return {"losses": numbers(out["losses"], "the losses", "epoch"), "first_step": gd_par(first),
            "par": gd_par(out["par"])}


def probe_converges(gd_numpy, args, p):
    """The student's par after enough epochs to converge; the reference's lands on the least-squares solution."""
    X1, Y, lr, num_epochs = args
    par = gd_par(run_gd(gd_numpy, X1, Y, lr, num_epochs)["par"])
    if isinstance(par, np.ndarray) and not np.all(np.abs(par) < 1e6 * (1 + np.abs(Y).max())):  # also inf, nan
        size = "is not finite" if not np.all(np.isfinite(par)) else f"reached {np.abs(par).max():.3g}"
        return {"par": Missing(f"par {size} after {num_epochs} epochs with lr={lr}: gradient descent diverged",
                               "does it go up the gradient, or take steps too large?")}
    return {"par": par}


def probe_lstsq(least_squares, args, p):
    par = explained(least_squares, args, SHAPE_ERRORS)
    if isinstance(par, tuple) and len(par) == 4:
        return {"par": Missing("got a tuple of 4 items", "np.linalg.lstsq returns (solution, residuals, rank, "
                                                          "singular values); return its first item, [0]")}
    return {"par": vector(par, 4, "par")}


# What is compared.

LOSS_HINTS = {**hints.losses("epoch", "before that epoch's update"),
              "shifted": "the losses look one epoch late: take each loss before that epoch's update"}
TORCH_STEP_HINTS = {
    "scaled": "the first step is {factor:.4g}x the expected one: is the loss MSELoss(reduction='sum')? "
              "(a mean makes the step n times smaller) And is lr the one given?",
    "opposite": "the first step goes up the gradient",
    "zero": "the model you were given did not change in a run of 1 epoch: possibly a new model is trained, "
            "not the one given (model.parameters()), or not for num_epochs epochs (range(num_epochs))",
    "zero_column": "{column} does not change: is it trained?",
}
NUMPY_STEP_HINTS = {
    "scaled": "the first step is {factor:.4g}x the expected one: is the gradient (2 / n) * X1.T.dot(e), "
              "and the update par - lr * grad?",
    "opposite": "the first step goes up the gradient: e = X1.dot(par) - Y, then par = par - lr * grad",
    "zero": "par did not move from 0 in a run of 1 epoch: is it updated, num_epochs times?",
    "offset": "every entry of par is off by {offset:.4g} after one epoch: does par start at zero?",
}
NUMPY_LOSS_HINTS = {
    **LOSS_HINTS,
    "multiple": "every loss is {factor}x the expected one: the mean of e ** 2, not the sum?",
    "start": "the first loss, before any update, is {got}, not {expected}: does par start at zero?",
}

# Typical mistakes, as variants of the reference (the code-level ones in mistakes/features/).
code = variants.code
ONE_EPOCH_SHORT = code("one_epoch_short", "with one epoch fewer than num_epochs")
DIVERGING = (code("no_two_over_n", "when the gradient leaves out its 2 / n: X1.T.dot(e)"),
             code("error_sign", "when the error is Y - X1.dot(par), so that every step goes up the gradient"))

EXERCISE = Exercise(
    id="features",
    title="Several features: nn.Linear(3, 1) and NumPy with a column of ones",
    lab="002",
    teaches="nn.Linear with several inputs, a sum-of-squares loss with optim.SGD, the bias as a column of ones, "
            "gradient descent in matrix form, the least-squares solution",
    imports=("torch", "torch.optim"),
    checks=(
        Check("make_model", 1.0, about="make_model(weight, bias): the model's parameters and predictions",
              params=dict(DATA, **START), build=start, probe=probe_model,
              mistakes=(code("start_not_set", "when the start is never set, leaving nn.Linear's random weight "
                                              "and bias"),
                        code("bias_not_set", "when the bias is never set, leaving nn.Linear's random one")),
              outputs=(Output("params", "the model's (w1, w2, w3, b)", rtol=1e-6, atol=1e-7, columns=TORCH_COLUMNS),
                       Output("y_hat", "model(X), shape (n, 1)", **FLOAT32),
                       Output("same each time", "for each of (w1, w2, w3, b), whether two calls, from other random "
                                                "states, give the same", exact=True, hints={
                           "any": "some parameters are random (another call gives others): set the weight and the "
                                  "bias to the tensors given"}))),
        Check("train_torch", 2.0,
              about="train_torch(model, X, Y, lr, num_epochs): the losses, the step that a run of 1 epoch makes, "
                    "and the trained parameters",
              params=TORCH, build=torch_args, probe=probe_train,
              mistakes=(code("mean", "with MSELoss's default mean, not the sum, so that each step is n times "
                                     "smaller"),
                        code("not_zeroed", "when optimizer.zero_grad() is never called, so that the gradients add up "
                                           "from epoch to epoch", explains=("drift",)),
                        code("new_model", "when it trains a new model, not the one given"),
                        code("loss_after", "when the loss is recorded after the step, for the parameters it moved to"),
                        variants.setting("lr 0.0001", "with the lab's learning rate, 0.0001, whatever lr it is given",
                                         "lr", 1e-4), ONE_EPOCH_SHORT),
              cases=public({}, {"lr": 2e-4, "num_epochs": 20}, label=settings("lr", "num_epochs")),
              outputs=(Output("losses", "the summed squared error before each epoch's step", rtol=1e-4, atol=1e-4,
                              history=per_epoch, hints={
                                  **LOSS_HINTS,
                                  "drift": "the first epochs match but later ones do not: are the gradients "
                                           "zeroed every epoch (optimizer.zero_grad())?"}),
                       Output("first_step", "the change in (w1, w2, w3, b) made by one epoch", rtol=1e-4, atol=1e-6,
                              columns=TORCH_COLUMNS, hints=TORCH_STEP_HINTS),
                       Output("params", "the model's (w1, w2, w3, b) after training", rtol=1e-4, atol=2e-5,
                              columns=TORCH_COLUMNS))),
        Check("add_ones", 1.0, about="add_ones(X): X with a column of ones in front",
              mistakes=(code("ones_last", "when the column of ones is put last, not first"),),
              params=DATA, build=lambda p: (data(p)[0],), probe=probe_ones,
              outputs=(Output("X1", "X with a column of ones in front, shape (n, 4)", rtol=0.0, atol=1e-12),
                       Output("ones_column", "the index of the column of ones", rtol=0.0, atol=0.5, hints={
                           "not_zero": "the column of ones goes first (column 0), so that par[0] is the bias"}))),
        Check("gd_numpy", 2.0,
              about="gd_numpy(X1, Y, lr, num_epochs) from par = 0: the losses, the par that a run of 1 epoch ends on "
                    "(its first step), and the final par",
              params=NUMPY, build=numpy_args("lr", "num_epochs"), probe=probe_gd,
              mistakes=(code("no_two", "when the gradient leaves out the 2: (1 / n) * X1.T.dot(e)"), *DIVERGING,
                        code("ones_start", "when par starts at ones, not at zero"), ONE_EPOCH_SHORT,
                        code("loss_sum", "when the loss is the sum of the squared errors, not their mean")),
              cases=public({}, {"lr": 0.01, "num_epochs": 200},
                           label=lambda p: f"lr={p.get('lr', NUMPY['lr'])}, num_epochs={p.get('num_epochs', 1000)}"),
              outputs=(Output("losses", "the mean squared error before each epoch's update", rtol=1e-7, atol=1e-10,
                              history=per_epoch,
                              hints=NUMPY_LOSS_HINTS),
                       Output("first_step", "par after one epoch from 0 (its first step)", rtol=1e-7, atol=1e-12,
                              columns=PAR_COLUMNS, hints=NUMPY_STEP_HINTS),
                       Output("par", "the final (b, w1, w2, w3)", rtol=1e-7, atol=1e-10, columns=PAR_COLUMNS))),
        Check("least_squares", 1.0, about="least_squares(X1, Y): the closed-form solution",
              params=DATA, build=numpy_args(), probe=probe_lstsq,
              outputs=(Output("par", "the least-squares (b, w1, w2, w3)", rtol=1e-7, atol=1e-9,
                              columns=PAR_COLUMNS),)),
        Check("gd_numpy", 1.0, name="gd_numpy_converges",
              about="gd_numpy(X1, Y, lr, num_epochs) with lr and num_epochs that converge: par must land on the "
                    "least-squares solution",
              params=CONVERGING, build=numpy_args("lr", "num_epochs"), probe=probe_converges,
              mistakes=DIVERGING,  # the others converge all the same
              outputs=(Output("par", "the (b, w1, w2, w3) it converges to", rtol=0.0, atol=1e-6,
                              columns=PAR_COLUMNS, hints={
                                  "any": "gradient descent that converges lands on the least-squares solution; "
                                         "yours stops elsewhere: is the gradient (2 / n) * X1.T.dot(e)?"}),)),
    ),
)
