"""Checks for exercises/autograd.py: one weight three ways, NumPy, autograd, nn.Linear and optim (lab 004)."""
from .. import hints, variants
from ..plain import describe
from ..probes import Missing, ProbeError, column, explained, first_line, number, numbers, unpack
from ..spec import FLOAT32, FLOAT32_TRAINING, Check, Exercise, Lazy, Output, Replay, per_iteration, public, settings

torch = Lazy("torch")

LAB = dict(x=[1.0, 3.0, 10.0, 13.0, 7.0], y=[2.0, 6.0, 20.0, 26.0, 14.0], lr=0.001, num_iterations=100)
START = dict(a=0.25)  # the lab starts at random; every way here starts from this a
FIT = ("a", "losses", "history")
WAYS = ("autograd", "nn")


# Builders: case parameters -> the target's arguments (run in the child).

def data(p):
    """x and y as float32 tensors of shape (N,)."""
    return torch.tensor(p["x"]), torch.tensor(p["y"])


def autograd_args(p):
    return (*data(p), torch.tensor([float(p["a"])], requires_grad=True), p["lr"], p["num_iterations"])


def nn_args(p):
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(float(p["a"]))
    return (*data(p), model, p["lr"], p["num_iterations"])


def compare_args(p):
    return (*data(p), float(p["a"]), p["lr"], p["num_iterations"])


# Reading what a training loop returns: one number per entry, whatever its type.

def read_fit(result, what):
    fit = unpack(result, FIT, what)
    return {"a": number(fit["a"], "the final a"), "losses": numbers(fit["losses"], "the losses", "iteration"),
            "history": column(fit["history"], "the history", "iteration")}


def weight_of(model):
    return float(model.weight.detach().reshape(-1)[0])


# Probes: how each target is exercised (run in the child).

REBOUND = "`a = a - ...` makes a new tensor: change the one you were given in place with `a -= ...`"
AUTOGRAD_ERRORS = {
    "a leaf Variable that requires grad is being used in an in-place operation":
        "update a inside `with torch.no_grad():`, so that autograd does not record the update",
    "has no attribute 'zero_'": "a.grad is None: no backward() has run on this a yet. " + REBOUND,
    "and 'NoneType'": "a.grad is None: no backward() has run on this a yet. " + REBOUND,
    "does not require grad and does not have a grad_fn": "the loss no longer depends on a tensor that requires "
                                                         "grad. " + REBOUND,
}
NN_ERRORS = {
    "mat1 and mat2 shapes cannot be multiplied": "nn.Linear(1, 1) takes x as a column: reshape it with x.view(-1, 1)",
}
COMPARE_ERRORS = {
    "does not require grad and does not have a grad_fn": "train_autograd needs a tensor of shape (1,) that "
                                                         "requires grad: torch.tensor([a], requires_grad=True)",
}


def probe_autograd(train_autograd, args, p):
    a = args[2]
    start = float(a.detach()[0])
    out = read_fit(explained(train_autograd, args, AUTOGRAD_ERRORS), "train_autograd()")
    out["a_change"] = float(a.detach().reshape(-1)[0]) - start
    return out


def weight_or_missing(model):
    weight = getattr(model, "weight", None)
    return weight if isinstance(weight, torch.Tensor) else Missing("the model has no weight tensor")


def probe_model(make_model, args, p):
    model = make_model(*args)
    if not isinstance(model, torch.nn.Module):
        raise ProbeError(f"make_model() returned {describe(model)}; expected an nn.Linear(1, 1, bias=False)")
    out = {"parameter shapes": [list(q.shape) for q in model.parameters() if q.requires_grad],
           "weight": weight_or_missing(model)}
    torch.manual_seed(p.get("seed", 0) + 1)  # another random state: a set weight does not depend on it
    again = weight_or_missing(make_model(*args))
    out["same weight each time"] = isinstance(again, torch.Tensor) and isinstance(out["weight"], torch.Tensor) \
        and again.shape == out["weight"].shape and bool(torch.equal(again.detach(), out["weight"].detach()))
    try:
        with torch.no_grad():
            out["y_hat"] = model(data(p)[0].view(-1, 1))
    except Exception as exc:
        out["y_hat"] = Missing(f"model(x) with x of shape (N, 1) raised {type(exc).__name__}: {first_line(exc)}")
    return out


def probe_nn(train_nn, args, p):
    model = args[2]
    start = weight_of(model)
    out = read_fit(explained(train_nn, args, NN_ERRORS), "train_nn()")
    out["weight_change"] = weight_of(model) - start
    return out


def probe_compare(compare_ways, args, p):
    histories = unpack(explained(compare_ways, args, COMPARE_ERRORS), WAYS, "compare_ways()")
    out = {way: numbers(histories[way], f"the {way} history") for way in WAYS}
    both = [out[way] for way in WAYS if not isinstance(out[way], Missing)]
    if len(both) == 2 and both[0].shape == both[1].shape:
        out["gap"] = both[0] - both[1]
    else:
        out["gap"] = Missing("the two histories cannot be compared step by step: they differ in length")
    return out


# What is compared.

COMPARE_HINTS = {
    "length": "{got} values instead of {expected}: pass lr and num_iterations on to each way",
    "start": "this way starts at {got}, not at a = {expected}: give each way a fresh start from the float a",
    "step_scaled": "this way's first update is {factor:.4g}x the expected size: pass lr on to each way",
}

LOSS_HINTS = {**hints.losses("iteration", "before the update, from the loss computed for it"),
              "length": "{got} losses recorded instead of {expected}: one per iteration"}


def history_hints(zeroing, step, size):
    return {
        **hints.updates("a", zeroing),
        "length": "{got} values recorded instead of {expected}: one per iteration",
        "frozen": "a never changes: " + step,
        "opposite": "the first update goes the wrong way: subtract lr times the gradient",
        "step_scaled": "the first update is {factor:.4g}x the expected size: " + size,
    }


def fit_outputs(zeroing, step, size, change):
    # float32 losses lose digits as a*x nears y (about 1e-5 relative mid-way); a keeps about 1e-7
    return (
        Output("a", "the final a", **FLOAT32_TRAINING),
        Output("losses", "the loss just before each update", rtol=3e-4, atol=1e-5, history=per_iteration,
               hints=LOSS_HINTS),
        Output("history", "a just before each update", **FLOAT32_TRAINING, columns=("a",),
               history=per_iteration, hints=history_hints(zeroing, step, size)),
        change,
    )


# A shorter run from another start with another learning rate, for each loop.
OTHER_RUN = dict(label=settings("a", "lr", "num_iterations"))

# Typical mistakes, as variants of the reference (the code-level ones in mistakes/autograd/).
LOOP_MISTAKES = (
    variants.code("not_zeroed", "when the gradient is never zeroed, so that backward() adds each iteration's to the "
                                "last ones", explains=("drift",)),
    variants.code("sum", "with the squared errors summed instead of averaged"),
    variants.code("loss_after", "when the loss is recorded after the update, for the a it moved to"),
    variants.setting("lr 0.001", "with the lab's learning rate, 0.001, whatever lr it is given", "lr", 0.001),
    variants.epochs(-1, "num_iterations", "iteration"), variants.epochs(+1, "num_iterations", "iteration"),
    variants.late("history", ("a",), "when a is recorded after each update instead of before it"),
    variants.aliased("history", ("a",), "when a is recorded as the live tensor itself, so that every entry shows "
                                        "its final value"),
)


def autograd_update(train_autograd, args, state, rows, p):
    """One iteration of the reference's loop from a = state on the points ``rows``: a after it, and its loss."""
    x, y = args[:2]
    fit = unpack(train_autograd(x[rows], y[rows], torch.tensor([state[0]], requires_grad=True), p["lr"], 1), FIT)
    return fit["a"], fit["losses"][0]


def nn_update(train_nn, args, state, rows, p):
    x, y = args[:2]
    fit = unpack(train_nn(x[rows], y[rows], nn_args(dict(p, a=state[0]))[2], p["lr"], 1), FIT)
    return fit["a"], fit["losses"][0]


def replay(target, update):
    return Replay(target, update, history="history", final=("a",), losses="losses", loss_at="update")


EXERCISE = Exercise(
    id="autograd",
    title="One weight three ways: NumPy, autograd, nn.Linear and optim",
    lab="004",
    teaches="requires_grad, loss.backward() and an update inside torch.no_grad(); nn.Linear without bias, "
            "nn.MSELoss and optim.SGD; the same steps as NumPy by hand",
    imports=("torch", "torch.optim"),
    checks=(
        Check("train_autograd", 2.0,
              about="train_autograd(x, y, a, lr, num_iterations): gradient descent with autograd",
              params=dict(LAB, **START), build=autograd_args, probe=probe_autograd,
              cases=public({}, {"a": -1.0, "lr": 0.0005, "num_iterations": 20}, **OTHER_RUN),
              replay=replay("train_autograd", autograd_update), mistakes=LOOP_MISTAKES + (
                  variants.code("ascent", "when the update goes up the gradient (+= instead of -=)"),
                  variants.code("rebound", "when a is given a new tensor at each update (a = a - lr * a.grad), "
                                           "leaving the tensor passed in as it was")),
              outputs=fit_outputs(
                  "is a.grad zeroed after each update? backward() adds to it",
                  "is a changed in place (a -= lr * a.grad) inside torch.no_grad()?",
                  "check the learning rate, and that the loss is the mean of (y_hat - y) ** 2",
                  Output("a_change", "how much the tensor a passed in moved during the call", **FLOAT32_TRAINING,
                         hints={"zero": "the tensor a you were given did not change: " + REBOUND}))),
        Check("make_model", 1.0,
              about="make_model(a): an nn.Linear(1, 1, bias=False) whose weight is a",
              params=dict(LAB, **START), build=lambda p: (float(p["a"]),), probe=probe_model,
              mistakes=(variants.code("with_bias", "with a bias (nn.Linear(1, 1), bias=True by default)"),
                        variants.code("random_weight", "when the weight is left at nn.Linear's random start"),
                        variants.code("uniform_weight", "when the weight is drawn at random as in the lab "
                                                        "(nn.init.uniform_(model.weight, -1.0, 1.0))")),
              outputs=(Output("parameter shapes", "the shapes of the trainable parameters: the (1, 1) weight only",
                              exact=True, hints={"any": "the model's one parameter is its (1, 1) weight: "
                                                        "nn.Linear(1, 1, bias=False), the weight set in place"}),
                       Output("weight", "model.weight", rtol=1e-6, atol=1e-7),
                       Output("y_hat", "model(x) for x of shape (N, 1)", **FLOAT32),
                       Output("same weight each time", "whether two calls, from other random states, give the same "
                                                       "weight", exact=True, hints={
                           "any": "the weight is random (another call gives another): set it to a, e.g. with "
                                  "nn.init.constant_(model.weight, a), not a random init"}))),
        Check("train_nn", 2.0,
              about="train_nn(x, y, model, lr, num_iterations): nn.MSELoss and optim.SGD on a model whose weight is a",
              params=dict(LAB, **START), build=nn_args, probe=probe_nn,
              cases=public({}, {"a": 1.0, "lr": 0.002, "num_iterations": 20}, **OTHER_RUN),
              replay=replay("train_nn", nn_update), mistakes=LOOP_MISTAKES + (
                  variants.code("step_before_backward", "when optimizer.step() comes before loss.backward()"),
                  variants.code("y_not_reshaped", "when y stays of shape (N,) while y_hat is (N, 1), so that the "
                                                  "loss broadcasts to an (N, N) grid"),
                  variants.code("new_model", "when it trains a new model of its own, not the one given")),
              outputs=fit_outputs(
                  "is optimizer.zero_grad() called every iteration? backward() adds to the gradients",
                  "is optimizer.step() called after loss.backward(), with no zero_grad() in between?",
                  "check the learning rate given to optim.SGD, and the loss: the mean (reduction='mean') of "
                  "(y_hat - y) ** 2, with y_hat and y both of shape (N, 1)",
                  Output("weight_change", "how much the weight of the model passed in moved during the call",
                         **FLOAT32_TRAINING,
                         hints={"zero": "the model you were given did not change: train it, not a new one"}))),
        Check("compare_ways", 1.0,
              about="compare_ways(x, y, a, lr, num_iterations): both ways from the same start, step by step",
              params=dict(LAB, **START), build=compare_args, probe=probe_compare,
              cases=public({}, {"lr": 0.002, "num_iterations": 10}, label=settings("lr", "num_iterations")),
              swap=("train_autograd", "make_model", "train_nn"),
              mistakes=(variants.code("nn_from_trained", "when the nn way starts from the a the autograd way ended "
                                                         "with, not from the float a"),
                        variants.code("random_start", "when the autograd way starts at random, "
                                                      "torch.randn(1, requires_grad=True), as in the lab"),
                        variants.code("not_passed", "when the nn way is not given lr and num_iterations")),
              outputs=(*(Output(way, f"the {way} way's a before each update", **FLOAT32_TRAINING,
                                history=per_iteration, hints=COMPARE_HINTS) for way in WAYS),
                       Output("gap", "a(autograd) - a(nn) before each update: the ways agree up to float32 rounding",
                              rtol=0.0, atol=1e-5, history=per_iteration))),
    ),
)
