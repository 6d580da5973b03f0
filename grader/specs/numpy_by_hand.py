"""Checks for exercises/numpy_by_hand.py: linear regression by hand with NumPy (lab 001, and the NumPy part of 004)."""
import numpy as np

from .. import hints, variants
from ..probes import Missing, column, number, numbers, returns, unpack
from ..spec import FLOAT64, WHOLE, Check, Exercise, Output, Replay, per_epoch, per_iteration, public, settings

LAB_START = (0.4967141530112327, -0.13826430117118466)  # RandomState(42).randn(1), twice: the lab's b, w
DATA = dict(seed=42, n=100, true_b=1.0, true_w=2.0, train_fraction=0.8)
POINTS = dict(DATA, points=[LAB_START, (2.0, -1.0), (-0.5, 3.5)])
TRAINING = dict(DATA, b0=LAB_START[0], w0=LAB_START[1], lr=0.1, num_epochs=100)
NO_BIAS = dict(x=[1.0, 3.0, 10.0, 13.0, 7.0], y=[2.0, 6.0, 20.0, 26.0, 14.0], a0=0.25, lr=0.001, num_iterations=100)
HELPERS = ("predict", "mse", "gradients", "update")
SPLIT = ("x_train", "y_train", "x_val", "y_val")


# Builders: case parameters -> the target's arguments (run in the child).

def data(p):
    """The lab's points, and the generator that drew them (it goes on to shuffle them)."""
    rng = np.random.RandomState(p["seed"])
    x = rng.rand(p["n"], 1)
    y = p["true_b"] + p["true_w"] * x + 0.1 * rng.randn(p["n"], 1)
    return x, y, rng


# Lab 001's training points: where its shuffle puts them, as data (a test pins them to the reference's
# split), so that the grader never holds the split it grades.
LAB_TRAIN = (76, 83, 80, 98, 2, 77, 71, 84, 89, 50, 40, 51, 67, 86, 37, 49, 4, 10, 69, 81, 9, 54, 55, 87, 64, 44,
             90, 75, 33, 30, 93, 95, 14, 61, 11, 13, 15, 7, 0, 19, 35, 6, 12, 65, 70, 88, 56, 58, 28, 38, 91, 42,
             8, 73, 39, 85, 25, 92, 41, 26, 1, 22, 21, 46, 74, 79, 78, 72, 57, 53, 24, 17, 66, 32, 31, 62, 59, 52,
             82, 23)


def training_points(p):
    """The points a check works on: the lab's training points for the lab's data, else the first n_train."""
    x, y, _ = data(p)
    lab = (p["seed"], p["n"], p["train_fraction"]) == (DATA["seed"], DATA["n"], DATA["train_fraction"])
    idx = list(LAB_TRAIN) if lab else list(range(int(p["n"] * p["train_fraction"])))
    return x[idx], y[idx]


def parameters(b, w):
    """b and w as the lab holds them: arrays of shape (1,)."""
    return np.array([float(b)]), np.array([float(w)])


def at_points(p):
    """(x, y, y_hat) on the training points, for each (b, w) of the case's points."""
    x, y = training_points(p)
    out = []
    for b, w in p["points"]:
        b, w = parameters(b, w)
        out.append((x, y, b + w * x))
    return out


def split_args(p):
    x, y, rng = data(p)
    return x, y, rng, p["train_fraction"]


def predict_args(p):
    return (training_points(p)[0], *parameters(p["b0"], p["w0"]))


def mse_args(p):
    x, y, y_hat = at_points(p)[0]
    return y_hat, y


def update_args(p):
    return (*parameters(p["b0"], p["w0"]), np.float64(p["b_grad"]), np.float64(p["w_grad"]), p["lr"])


def train_args(p):
    return (*training_points(p), *parameters(p["b0"], p["w0"]), p["lr"], p["num_epochs"])


def validate_args(p):
    x, y, rng = data(p)
    return (x, y, rng, *parameters(p["b0"], p["w0"]), p["lr"], p["num_epochs"], p["train_fraction"])


def no_bias_args(p):
    return np.array(p["x"], dtype=float), np.array(p["y"], dtype=float), float(p["a0"]), p["lr"], p["num_iterations"]


# Probes: how each target is exercised (run in the child).

def rows_of(points, x):
    """Where each value of ``points`` is in x (all its values differ), -1 for a value that is not in x."""
    values = numbers(points, "x_train")
    if isinstance(values, Missing):
        return Missing("could not read x_train as numbers")
    where = {v: i for i, v in enumerate(x.reshape(-1).tolist())}
    return [where.get(v, -1) for v in values.tolist()]


def state(rng):
    _, keys, position, *_ = rng.get_state()
    return keys.tobytes(), position


def probe_split(train_val_split, args, p):
    rng = args[2]
    before = state(rng)
    out = unpack(train_val_split(*args), SPLIT, "train_val_split()")
    return {"train_idx": rows_of(out["x_train"], args[0]), **out, "drew from rng": state(rng) != before}


def probe_mse(mse, args, p):
    losses = [number(mse(y_hat, y), "mse()'s result") for x, y, y_hat in at_points(p)]
    return {"loss": next((v for v in losses if isinstance(v, Missing)), losses)}


def probe_gradients(gradients, args, p):
    grads = [unpack(gradients(*point), ("b_grad", "w_grad"), "gradients()") for point in at_points(p)]
    out = {}
    for name in ("b_grad", "w_grad"):
        values = [number(g[name], name) for g in grads]
        out[name] = next((v for v in values if isinstance(v, Missing)), values)
    return out


def probe_update(update, args, p):
    before = number(args[0], "b"), number(args[1], "w")  # read before the call, which may change b, w in place
    new = unpack(update(*args), ("b", "w"), "update()")
    after = [number(new[name], f"the new {name} update() returned") for name in "bw"]
    missing = next((v for v in after if isinstance(v, Missing)), None)
    return {"update": missing or [new - old for new, old in zip(after, before)]}


def probe_train(train, args, p):
    out = unpack(train(*args), ("b", "w", "losses"), "train()")
    return {**out, "losses": numbers(out["losses"], "the losses", "epoch")}


def probe_validate(train_and_validate, args, p):
    out = unpack(train_and_validate(*args), ("b", "w", "losses", "val_loss"), "train_and_validate()")
    return {**out, "losses": numbers(out["losses"], "the losses", "epoch")}


def probe_no_bias(train_no_bias, args, p):
    out = unpack(train_no_bias(*args), ("a", "losses", "history"), "train_no_bias()")
    return {**out, "losses": numbers(out["losses"], "the losses", "iteration"),
            "history": column(out["history"], "the history", "iteration")}


# What is compared.

def at_point(i, p):
    b, w = p["points"][i]
    return f"(b, w) = ({b:.6g}, {w:.6g})"


def training_point(i, p):
    return f"training point {i}"


SCALED = "{factor:.4g}x the expected value: is the 2 of the derivative missing (0.5), or a sum taken instead of " \
         "a mean (the number of points)?"
GRADIENT_HINTS = {"scaled": SCALED, "opposite": "the opposite sign: error is y_hat - y"}
LOSS_HINTS = hints.losses("epoch", "before the update")
START_LOSS = "the first loss, before any update, is {got}, not {expected}: possibly the loss of other points or " \
             "of another start (b, w)"
NO_BIAS_LOSS_HINTS = hints.losses("iteration", "before the update")
HISTORY_HINTS = {
    **hints.updates("a"),
    "length": "{got} values of a recorded instead of {expected}: check the number of iterations",
    "opposite": "the first update goes the wrong way: a = a - lr * gradient, with the gradient "
                "(2/N) * sum(x * (a*x - y)); check both signs",
    "step_scaled": "the first update is {factor:.4g}x the expected size: check lr and the 2/N of the gradient",
}
SPLIT_CASES = dict(label=settings("n", "train_fraction"))


def loss_output(about, history=per_epoch, hints=LOSS_HINTS):
    return Output("losses", about, **FLOAT64, history=history, hints=hints)


# Typical mistakes, as variants of the reference (the code-level ones in mistakes/numpy_by_hand/).
code = variants.code
NOT_SHUFFLED = code("not_shuffled", "when the indices are never shuffled")
GLOBAL_RANDOM = code("global_random", "when the global np.random shuffles the indices, not the rng passed in")
ASCENT = code("ascent", "when the update goes up the gradient (b + lr * b_grad)")
NO_TWO = code("no_two", "when the gradients leave out the 2 of the derivative of the square")
ERROR_SIGN = code("error_sign", "when the error is y - y_hat, so that the gradients have the wrong sign")
LR_LAB = variants.setting("lr 0.1", "with the lab's learning rate, 0.1, whatever lr it is given", "lr", 0.1)


def no_bias_update(train_no_bias, args, state, rows, p):
    """One iteration of the reference's loop from a = state on the points ``rows``: a after it, and its loss."""
    x, y = args[:2]
    a, losses, _ = train_no_bias(x[rows], y[rows], state[0], p["lr"], 1)
    return a, losses[0]


EXERCISE = Exercise(
    id="numpy_by_hand",
    title="Linear regression by hand with NumPy",
    lab="001",
    teaches="a seeded train/validation split, predictions, MSE, its gradients, one update, batch gradient descent "
            "and validation, all in NumPy; then y = a * x without a bias",
    checks=(
        Check("train_val_split", 1.0,
              about="train_val_split(x, y, rng, train_fraction): which points train (the first "
                    "int(n * train_fraction) of np.arange(n) after rng.shuffle) and which validate",
              params=DATA, build=split_args, probe=probe_split,
              mistakes=(NOT_SHUFFLED, code("own_random_state", "when a RandomState(42) of its own shuffles the "
                                                               "indices, not the rng passed in"),
                        GLOBAL_RANDOM, code("split_swapped", "when the last shuffled indices train and the first ones "
                                                             "validate"),
                        code("shuffled_apart", "when x and y are shuffled separately, breaking the pairs apart"),
                        variants.setting("train_fraction 0.8", "with the lab's train_fraction, 0.8, whatever it is "
                                                               "given", "train_fraction", 0.8)),
              cases=public({}, {"n": 40, "train_fraction": 0.75}, **SPLIT_CASES),
              outputs=(Output("train_idx", "the index in x of each training point, in order", **WHOLE,
                              history=training_point, hints={
                                  "length": "{got} training points instead of {expected}: keep the first "
                                            "int(n * train_fraction) shuffled indices for training",
                                  "in_order": "the training points come in their original order: shuffle the "
                                              "indices with rng first"}),
                       *(Output(name, f"{name}, rows of x or y", rtol=1e-9, atol=1e-12) for name in SPLIT),
                       Output("drew from rng", "whether the shuffle drew from the rng passed in", exact=True, hints={
                           "any": "rng did not change: shuffle with the rng passed in (rng.shuffle(idx)), "
                                  "not np.random or a RandomState of your own"}))),
        Check("predict", 1.0, about="predict(x, b, w) on the training points",
              params=dict(DATA, b0=LAB_START[0], w0=LAB_START[1]), build=predict_args, probe=returns("y_hat"),
              mistakes=(code("bw_swapped", "when b and w are the wrong way round (w + b * x)"),
                        code("no_bias", "when the predictions leave out the bias b")),
              outputs=(Output("y_hat", "the predictions, shape (n, 1)", **FLOAT64, hints={
                  "offset": "every prediction is off by the same {offset:.4g}: is b added once (b + w * x)?"}),)),
        Check("mse", 1.0, about="mse(y_hat, y) on the training points, for the predictions of several (b, w)",
              params=POINTS, build=mse_args, probe=probe_mse,
              mistakes=(code("sum", "with the squared errors summed instead of averaged"),
                        code("absolute", "with the absolute errors instead of the squared ones")),
              outputs=(Output("loss", "the mean squared error at each (b, w)", **FLOAT64, history=at_point,
                              hints=hints.MEAN),)),
        Check("gradients", 2.0,
              about="gradients(x, y, y_hat) on the training points, for the predictions of several (b, w)",
              params=POINTS, build=lambda p: at_points(p)[0], probe=probe_gradients,
              mistakes=(NO_TWO, code("w_grad_without_x", "when w's gradient leaves out the x of each error"),
                        code("b_grad_sum", "when b's gradient is a sum over the points, not a mean"), ERROR_SIGN),
              outputs=(Output("b_grad", "the gradient with respect to b at each (b, w)", **FLOAT64, history=at_point,
                              hints=GRADIENT_HINTS),
                       Output("w_grad", "the gradient with respect to w at each (b, w)", **FLOAT64, history=at_point,
                              hints={**GRADIENT_HINTS, "crossed": "w_grad is what b_grad should be: is each "
                                                                 "error multiplied by its x, 2 * mean(x * error)?"}))),
        Check("update", 1.0, about="update(b, w, b_grad, w_grad, lr): the change it makes to (b, w)",
              params=dict(b0=LAB_START[0], w0=LAB_START[1], b_grad=-3.044811379650508, w_grad=-1.8337537171510832,
                          lr=0.1),
              cases=public({}, {"b0": 1.5, "w0": -0.5, "b_grad": 2.0, "w_grad": -1.0, "lr": 0.05},
                           label=settings("lr")),
              build=update_args, probe=probe_update,
              mistakes=(ASCENT, code("b_frozen", "when b is never updated"),
                        code("b_with_w_grad", "when b is updated with w's gradient"), LR_LAB),
              outputs=(Output("update", "the change in (b, w) made by one step", **FLOAT64, columns=("b", "w"), hints={
                  **hints.step("b and w"), "zero": "b and w did not change: return the updated values"}),)),
        Check("train", 2.0,
              about="train(x, y, b, w, lr, num_epochs): batch gradient descent on the training points",
              params=TRAINING, build=train_args, probe=probe_train, swap=HELPERS,
              mistakes=(code("loss_after", "when the loss is recorded after the update, for the (b, w) it moved "
                                           "to"), variants.epochs(-1), variants.epochs(+1), LR_LAB, ASCENT, NO_TWO),
              cases=public({}, {"lr": 0.05, "num_epochs": 20}, label=settings("lr", "num_epochs")),
              outputs=(loss_output("the MSE just before each update", hints={
                           **LOSS_HINTS, "start": START_LOSS,
                           "step_scaled": "the first loss matches but the next ones do not: the first update is "
                                          "off; check what is passed to update (the gradients, in order, and lr)"}),
                       Output("b", "the final b", **FLOAT64), Output("w", "the final w", **FLOAT64))),
        Check("train_and_validate", 1.0,
              about="train_and_validate(x, y, rng, b, w, lr, num_epochs, train_fraction): split, train on the "
                    "training points, then the MSE of the final (b, w) on the validation points",
              params=TRAINING, build=validate_args, probe=probe_validate, swap=("train_val_split", *HELPERS, "train"),
              mistakes=(code("val_on_train", "when the validation loss is taken on the training points"),
                        code("val_at_start", "when the validation loss is that of the starting (b, w), not of the "
                                             "trained ones"),
                        code("trained_on_all", "when it trains on all the points, not only the training ones"),
                        NOT_SHUFFLED, GLOBAL_RANDOM),
              cases=public({}, {"lr": 0.05, "num_epochs": 20, "train_fraction": 0.75},
                           label=settings("lr", "num_epochs", "train_fraction")),
              outputs=(loss_output("the training MSE just before each update", hints={
                           **LOSS_HINTS, "start": "the first training loss is {got}, not {expected}: possibly "
                                                  "trained on other points than the split's training points"}),
                       Output("b", "the final b", **FLOAT64), Output("w", "the final w", **FLOAT64),
                       Output("val_loss", "the MSE of the final (b, w) on the validation points", **FLOAT64))),
        Check("train_no_bias", 2.0,
              about="train_no_bias(x, y, a, lr, num_iterations): gradient descent for y_hat = a * x",
              params=NO_BIAS, build=no_bias_args, probe=probe_no_bias,
              replay=Replay("train_no_bias", no_bias_update, history="history", final=("a",), losses="losses"),
              mistakes=(code("no_bias_sign", "when the gradient has the wrong sign, (2/N) * sum(x * (y - y_hat))"),
                        code("no_bias_gradient_sum", "when the gradient leaves out its 1/N"),
                        code("no_bias_loss_sum", "when the loss leaves out its 1/N"),
                        variants.late("history", ("a",), "when a is recorded after each update instead of before it"),
                        variants.aliased("history", ("a",), "when a is recorded as the live array itself, so that "
                                                            "every entry shows its final value"),
                        variants.setting("num_iterations 100", "with the lab's 100 iterations, whatever num_iterations "
                                                               "it is given", "num_iterations", 100),
                        variants.epochs(-1, "num_iterations", "iteration"),
                        variants.epochs(+1, "num_iterations", "iteration"),
                        variants.setting("lr 0.001", "with the lab's learning rate, 0.001, whatever lr it is given",
                                         "lr", 0.001)),
              cases=public({}, {"a0": -1.0, "lr": 0.002, "num_iterations": 30},
                           label=settings("lr", "num_iterations")),
              outputs=(loss_output("the MSE just before each update", per_iteration, NO_BIAS_LOSS_HINTS),
                       Output("history", "a just before each update", **FLOAT64, columns=("a",),
                              history=per_iteration, hints=HISTORY_HINTS),
                       Output("a", "the final a", **FLOAT64))),
    ),
)
