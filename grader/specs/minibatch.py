"""Checks for exercises/minibatch.py: batch, stochastic and mini-batch gradient descent (lab 003)."""
import numpy as np

from .. import hints, variants
from ..probes import Missing, grad_of, returns, unpack
from ..spec import (FLOAT32, FLOAT32_TRAINING, Batches, Check, Exercise, Lazy, Output, Replay, per_epoch, public,
                    settings)

torch = Lazy("torch")

DATA = dict(seed=1, lo=-3.0, hi=3.0, spacing=0.1, slope=1.0, intercept=-1.0, noise=0.1)
START = dict(w0=-15.0, b0=-10.0)
TRAINING = dict(DATA, **START, lr=0.1, num_epochs=10)
HELPERS = ("forward", "criterion", "step", "LinearData")
LOOPS = ("train_batch", "train_stochastic", "train_minibatch")


# Builders: case parameters -> the target's arguments (run in the child).

def data(p):
    """The lab's line with noise, for the case's seed and range."""
    torch.manual_seed(p["seed"])
    X = torch.arange(p["lo"], p["hi"], p["spacing"]).view(-1, 1)
    y = p["slope"] * X + p["intercept"] + p["noise"] * torch.randn(X.size())
    return X, y


def parameters(p):
    return torch.tensor(float(p["w0"]), requires_grad=True), torch.tensor(float(p["b0"]), requires_grad=True)


def forward_args(p):
    return (data(p)[0], *parameters(p))


def criterion_args(p):
    X, y = data(p)
    y_hat = (p["w0"] * X + p["b0"]).requires_grad_()
    return y_hat, y


def step_args(p):
    w, b = parameters(p)
    w.grad, b.grad = torch.tensor(float(p["w_grad"])), torch.tensor(float(p["b_grad"]))
    return w, b, p["lr"]


def loop_args(*names):
    def build(p):
        return (*data(p), *parameters(p), *(p[name] for name in names))
    return build


def compare_args(p):
    return (*data(p), p["w0"], p["b0"], p["lr"], p["num_epochs"])


# Probes: how each target is exercised (run in the child).

def probe_forward(forward, args, p):
    X, w, b = args
    y_hat = forward(X, w, b)
    out = {"y_hat": y_hat, "w_grad": Missing("your forward's result is not a tensor that autograd can follow"),
           "b_grad": Missing("your forward's result is not a tensor that autograd can follow")}
    if isinstance(y_hat, torch.Tensor) and y_hat.requires_grad:
        y_hat.sum().backward()
        out["w_grad"], out["b_grad"] = grad_of(w), grad_of(b)
    return out


def probe_criterion(criterion, args, p):
    y_hat, y = args
    loss = criterion(y_hat, y)
    out = {"loss": loss, "grad": Missing("your loss is not a tensor that autograd can follow back to y_hat")}
    if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        loss.sum().backward()
        out["grad"] = grad_of(y_hat)
    return out


def probe_step(step, args, p):
    w, b, lr = args
    before = (float(w.detach()), float(b.detach()))
    step(w, b, lr)
    return {"update": (float(w.detach()) - before[0], float(b.detach()) - before[1]),
            "grads": (grad_of(w), grad_of(b))}


def probe_dataset(LinearData, args, p):
    dataset = LinearData(*args)
    X_batch, y_batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=p["batch_size"])))
    return {"len": len(dataset), "first": dataset[0], "last": dataset[len(dataset) - 1],
            "batch": (X_batch, y_batch)}


METHODS = ("batch", "stochastic", "mini-batch 5", "mini-batch 10", "mini-batch 20")


def probe_compare(compare_methods, args, p):
    return unpack(compare_methods(*args), METHODS, "compare_methods()")


# What is compared.

def points_count(p):
    """How many points the case's data has (counted as the builder's torch.arange counts them; a test holds this)."""
    return len(np.arange(p["lo"], p["hi"], p["spacing"]))


LOSS_HINTS = hints.losses("epoch", "at the start of each epoch, before its updates")
PARAM_HINTS = {
    **hints.updates("(w, b)"),
    "start": "the first (w, b) recorded is {got}, not the start {expected}: train the w and b passed in, "
             "recording (w, b) just before each update",
    "first_differs": "the first update already differs: are the batches taken in order (no shuffling), "
                     "batch_size points each?",
}
COUNTS = {  # what a wrong number of updates can mean in each loop (the losses count the epochs)
    "train_batch": ("epochs", "batches_per_epoch"),
    "train_stochastic": ("epochs", "batches_per_epoch"),
    "train_minibatch": ("partial_batch", "epochs", "batches_per_epoch"),
}
# float32 training: the histories of correct styles agree to about 1e-5 relative
TRAINING_TOLERANCE = dict(rtol=3e-4, atol=3e-4)


def fit_outputs(layout, counts):
    return (
        Output("losses", "the cost on the whole data at the start of each epoch", rtol=3e-4, atol=1e-5,
               history=per_epoch, hints=LOSS_HINTS),
        Output("params", "(w, b) just before each update", **TRAINING_TOLERANCE, columns=("w", "b"),
               history=layout, hints={**PARAM_HINTS, **{name: hints.BATCHES[name] for name in counts}}),
        Output("w", "the final weight", **TRAINING_TOLERANCE),
        Output("b", "the final bias", **TRAINING_TOLERANCE),
    )


# Typical mistakes, as variants of the reference (the code-level ones in mistakes/minibatch/).
NOT_ZEROED = variants.code("not_zeroed", "when the gradients are not zeroed after each update", explains=("drift",))
ASCENT = variants.code("ascent", "when the update goes up the gradient (+= instead of -=)")
W_WITH_B_GRAD = variants.code("w_with_b_grad", "when w is updated with b's gradient")
B_FROZEN = variants.code("b_frozen", "when b is never updated")
SUM = variants.code("sum", "with the squared errors summed instead of averaged")
NO_BIAS = variants.code("no_bias", "when the predictions leave out the bias b")
LR_LAB = variants.setting("lr 0.1", "with the lab's learning rate, 0.1, whatever lr it is given", "lr", 0.1)
LOOP_MISTAKES = (
    NOT_ZEROED, ASCENT, W_WITH_B_GRAD, B_FROZEN, SUM, LR_LAB, variants.epochs(-1), variants.epochs(+1),
    variants.aliased("params", ("w", "b")), variants.late("params", ("w", "b")),
    variants.code("loss_after", "when the loss is recorded at the end of each epoch, after its updates"),
)
BATCH_LOSS = variants.code("batch_loss", "when the loss recorded is the last batch's, not the cost on the whole data")
MINIBATCH_MISTAKES = (
    BATCH_LOSS,
    variants.code("drop_last", "when the last, smaller batch of each epoch is dropped"),
    variants.code("shuffled", "when its DataLoader shuffles the points (shuffle=True)"),
    variants.setting("batch_size 20", "with batches of 20, whatever batch_size it is given", "batch_size", 20),
)


def one_update(train_minibatch, args, state, rows, p):
    """One update of the reference's loop from (w, b) = state on the points ``rows``; (w, b) after it, and the loss
    it took first, on those points."""
    X, y = args[:2]
    w, b = parameters(dict(w0=state[0], b0=state[1]))
    fit = unpack(train_minibatch(X[rows], y[rows], w, b, p["lr"], 1, len(X[rows])), ("w", "b", "losses", "params"))
    return (fit["w"], fit["b"]), fit["losses"][0]


REPLAY = Replay("train_minibatch", one_update, history="params", final=("w", "b"), losses="losses", loss_at="epoch")


def training_check(name, batch_size, extra, cases, about, num_epochs=TRAINING["num_epochs"], mistakes=()):
    return Check(
        name, 2.0, about=about, params=dict(TRAINING, batch_size=20, num_epochs=num_epochs), cases=cases,
        build=loop_args("lr", "num_epochs", *extra), probe=returns("w", "b", "losses", "params"),
        outputs=fit_outputs(Batches(points_count, batch_size, epochs_from="losses"), COUNTS[name]),
        swap=HELPERS + (() if name == "train_minibatch" else ("train_minibatch",)),  # may delegate to it
        mistakes=LOOP_MISTAKES + mistakes, replay=REPLAY,
    )


# A shorter run with another learning rate, on fewer points (lo=-1, hi=1: 20 of them), for each loop.
OTHER_LR = dict(lo=-1.0, hi=1.0, lr=0.05)
COMPARE_HINTS = {
    **LOSS_HINTS,
    "start": "this method's first loss is {got}, not {expected}, before any update: possibly it does not start "
             "afresh; give every method new parameters from start(w, b)",
    "crossed": "{column} gives the history {other} should: is each method run with its own batch size?",
}


EXERCISE = Exercise(
    id="minibatch",
    title="Batch, stochastic and mini-batch gradient descent",
    lab="003",
    teaches="forward, MSE criterion, a manual gradient step, a Dataset and DataLoader, and three training loops",
    imports=("torch", "torch.utils.data"),
    checks=(
        Check("forward", 1.0, about="forward(X, w, b) and its gradients with respect to w and b",
              params=dict(DATA, w0=2.5, b0=-0.5), build=forward_args, probe=probe_forward,
              mistakes=(NO_BIAS,),
              outputs=(Output("y_hat", "the predictions", rtol=1e-5, atol=1e-5, hints={
                           "offset": "every prediction is off by the same {offset:.4g}: is b added (w * X + b)?"}),
                       Output("w_grad", "the gradient of sum(y_hat) with respect to w", rtol=1e-4, atol=1e-4),
                       Output("b_grad", "the gradient of sum(y_hat) with respect to b", rtol=1e-4, atol=1e-4))),
        Check("criterion", 1.0, about="criterion(y_hat, y) and its gradient with respect to y_hat",
              params=dict(DATA, w0=2.5, b0=-0.5), build=criterion_args, probe=probe_criterion, mistakes=(SUM,),
              outputs=(Output("loss", "the mean squared error", **FLOAT32, hints=hints.MEAN),
                       Output("grad", "the gradient of the loss with respect to y_hat", rtol=1e-5, atol=1e-7,
                              hints=hints.MEAN))),
        Check("step", 1.0, about="step(w, b, lr) from known gradients: the change in (w, b) and the grads after",
              params=dict(START, w_grad=-31.5, b_grad=-18.0, lr=0.1), build=step_args, probe=probe_step,
              mistakes=(NOT_ZEROED, ASCENT, W_WITH_B_GRAD, B_FROZEN,
                        variants.code("not_in_place", "when w and b are given new values (w = w - lr * w.grad) "
                                                      "instead of being changed in place")),
              outputs=(Output("update", "the change in (w, b) made by one step", **FLOAT32,
                              columns=("w", "b"), hints={
                                  **hints.step("w and b"),
                                  "zero": "w and b did not change in place: update them inside "
                                          "torch.no_grad() with -=, or through .data"}),
                       Output("grads", "w.grad and b.grad after the step (zero, or None)", atol=1e-12,
                              columns=("w", "b"), hints={"not_zero": "the gradients are not zeroed after the update"}))),
        Check("LinearData", 1.0, about="LinearData(X, y): its length, items and a DataLoader batch",
              params=dict(DATA, batch_size=20), build=lambda p: data(p), probe=probe_dataset,
              mistakes=(variants.code("xy_swapped", "when each item is (y[i], X[i])"),
                        variants.code("items_as_floats", "when each item is two floats, not two tensors of "
                                                         "shape (1,)")),
              outputs=(Output("len", "len(dataset)", exact=True),
                       *(Output(name, about, rtol=1e-6, atol=1e-7, hints={
                           "flipped": "x and y look swapped: item i is the pair (X[i], y[i])",
                           "shape": "shape {got}, not {expected}: give back X[i] and y[i] as they are (tensors of "
                                    "shape (1,)), not as floats"})
                         for name, about in (("first", "dataset[0] as (x, y)"), ("last", "the last item as (x, y)"),
                                             ("batch", "the first DataLoader batch (X_batch, y_batch)"))))),
        training_check("train_batch", lambda p: points_count(p), (), public({}, dict(OTHER_LR, num_epochs=4),
                                                                           label=settings("lr", "num_epochs")),
                       about="train_batch(X, y, w, b, lr, num_epochs): one update per epoch on all the data"),
        training_check("train_stochastic", lambda p: 1, (),
                       public({}, dict(OTHER_LR, num_epochs=2), label=settings("lr", "num_epochs")), num_epochs=3,
                       about="train_stochastic(X, y, w, b, lr, num_epochs): one update per point, in order",
                       mistakes=(BATCH_LOSS,)),
        training_check("train_minibatch", lambda p: p["batch_size"], ("batch_size",),
                       public({"batch_size": 5}, {"batch_size": 10}, {"batch_size": 20},
                              {"batch_size": 25, "lr": 0.05, "num_epochs": 3}, label=settings("batch_size", "lr")),
                       about="train_minibatch(X, y, w, b, lr, num_epochs, batch_size): batches in order, "
                             "the last one smaller if need be", mistakes=MINIBATCH_MISTAKES),
        Check("compare_methods", 2.0,
              about="compare_methods(X, y, w, b, lr, num_epochs): every method's loss history",
              params=dict(TRAINING, num_epochs=3),  # the first epochs tell the methods apart
              cases=public({}, dict(OTHER_LR, num_epochs=2), label=settings("lr", "num_epochs")),
              build=compare_args, probe=probe_compare, swap=HELPERS + LOOPS,
              mistakes=(variants.code("no_fresh_start", "when every method starts from the parameters the one "
                                                        "before it ended with, not afresh from start(w, b)"),
                        variants.code("batch_size_not_passed", "when the mini-batch runs are not given their "
                                                               "batch size (each takes the default, 20)"),
                        variants.code("lr_not_passed", "when the loops are not given lr (each takes its "
                                                       "default, 0.1)")),
              outputs=tuple(Output(m, f"the loss history of {m} gradient descent", **FLOAT32_TRAINING,
                                   history=per_epoch, hints=COMPARE_HINTS) for m in METHODS)),
    ),
)
