"""Checks for exercises/minibatch.py: batch, stochastic and mini-batch gradient descent (lab 003)."""
import math

import numpy as np

from ..probes import Missing, grad_of, returns, unpack
from ..spec import Check, Exercise, Lazy, Output, per_epoch, per_update, public

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

def updates_per_epoch(batch_size_of):
    def count(p):
        n = len(np.arange(p["lo"], p["hi"], p["spacing"]))  # as torch.arange counts; the grading process has no torch
        return math.ceil(n / batch_size_of(p, n))
    return per_update(count)


LOSS_HINTS = {
    "length": "{got} epochs recorded instead of {expected}: check the number of epochs",
    "shifted": "the loss looks recorded one update late: record it before the epoch's updates",
    "rising": "the loss grows instead of falling: the updates overshoot or go up the gradient",
    "scaled": "a constant factor of {factor:.4g}: a sum instead of a mean?",
}
PARAM_HINTS = {
    "length": "{got} updates instead of {expected}: check the batch size and the number of epochs",
    "first_differs": "the first update already differs: are the batches taken in order (no shuffling), "
                     "batch_size points each?",
    "opposite": "the first update goes the wrong way: a sign error (gradient ascent)?",
    "step_scaled": "the first update is {factor:.4g}x the expected size: check the learning rate",
    "frozen": "{column} never changes: is it updated?",
    "drift": "the first update matches but later ones do not: are the gradients zeroed after each update?",
    "shifted": "the history looks one update late: record (w, b) just before each update",
}


def fit_outputs(history_label):
    return (
        Output("losses", "the cost on the whole data at the start of each epoch", rtol=3e-4, atol=1e-5,
               history=per_epoch, hints=LOSS_HINTS),
        Output("params", "(w, b) just before each update", rtol=3e-4, atol=3e-4, columns=("w", "b"),
               history=history_label, hints=PARAM_HINTS),
        Output("w", "the final weight", rtol=3e-4, atol=3e-4),
        Output("b", "the final bias", rtol=3e-4, atol=3e-4),
    )


def training_check(name, batch_size_of, extra, cases=None, points=2.0, about=""):
    return Check(
        name=name, target=name, points=points, about=about,
        params=dict(TRAINING, batch_size=20), cases=cases or (public({})),
        build=loop_args("lr", "num_epochs", *extra), probe=returns("w", "b", "losses", "params"),
        outputs=fit_outputs(updates_per_epoch(batch_size_of)),
        swap=HELPERS + (() if name == "train_minibatch" else ("train_minibatch",)),  # may delegate to it
    )


EXERCISE = Exercise(
    id="minibatch",
    title="Batch, stochastic and mini-batch gradient descent",
    lab="003",
    teaches="forward, MSE criterion, a manual gradient step, a Dataset and DataLoader, and three training loops",
    checks=(
        Check("forward", "forward", 1.0, about="forward(X, w, b) and its gradients with respect to w and b",
              params=dict(DATA, w0=2.5, b0=-0.5), build=forward_args, probe=probe_forward,
              outputs=(Output("y_hat", "the predictions", rtol=1e-5, atol=1e-5),
                       Output("w_grad", "the gradient of sum(y_hat) with respect to w", rtol=1e-4, atol=1e-4),
                       Output("b_grad", "the gradient of sum(y_hat) with respect to b", rtol=1e-4, atol=1e-4))),
        Check("criterion", "criterion", 1.0, about="criterion(y_hat, y) and its gradient with respect to y_hat",
              params=dict(DATA, w0=2.5, b0=-0.5), build=criterion_args, probe=probe_criterion,
              outputs=(Output("loss", "the mean squared error", rtol=1e-5, atol=1e-6,
                              hints={"scaled": "a constant factor of {factor:.4g}: a sum instead of a mean?"}),
                       Output("grad", "the gradient of the loss with respect to y_hat", rtol=1e-5, atol=1e-7,
                              hints={"scaled": "a constant factor of {factor:.4g}: a sum instead of a mean?"}))),
        Check("step", "step", 1.0, about="step(w, b, lr) from known gradients: the change in (w, b) and the grads after",
              params=dict(START, w_grad=-31.5, b_grad=-18.0, lr=0.1), build=step_args, probe=probe_step,
              outputs=(Output("update", "the change in (w, b) made by one step", rtol=1e-5, atol=1e-6,
                              columns=("w", "b"), hints={
                                  "opposite": "the update goes up the gradient: subtract lr * grad",
                                  "zero": "w and b did not change in place: update them inside "
                                          "torch.no_grad() with -=, or through .data",
                                  "zero_column": "{column} does not change: is it updated?",
                                  "scaled": "{factor:.4g}x the expected change: check the learning rate"}),
                       Output("grads", "w.grad and b.grad after the step (zero, or None)", atol=1e-12,
                              columns=("w", "b"), hints={"not_zero": "the gradients are not zeroed after the update"}))),
        Check("LinearData", "LinearData", 1.0, about="LinearData(X, y): its length, items and a DataLoader batch",
              params=dict(DATA, batch_size=20), build=lambda p: data(p), probe=probe_dataset,
              outputs=(Output("len", "len(dataset)", exact=True),
                       Output("first", "dataset[0] as (x, y)", rtol=1e-6, atol=1e-7),
                       Output("last", "the last item as (x, y)", rtol=1e-6, atol=1e-7),
                       Output("batch", "the first DataLoader batch (X_batch, y_batch)", rtol=1e-6, atol=1e-7))),
        training_check("train_batch", lambda p, n: n, (),
                       about="train_batch(X, y, w, b, lr, num_epochs): one update per epoch on all the data"),
        training_check("train_stochastic", lambda p, n: 1, (), cases=public({"num_epochs": 3}),
                       about="train_stochastic(X, y, w, b, lr, num_epochs): one update per point, in order"),
        training_check("train_minibatch", lambda p, n: p["batch_size"], ("batch_size",),
                       cases=public({"batch_size": 5}, {"batch_size": 10}, {"batch_size": 20},
                                    label=lambda p: f"batch_size={p['batch_size']}"),
                       about="train_minibatch(X, y, w, b, lr, num_epochs, batch_size): batches in order"),
        Check("compare_methods", "compare_methods", 2.0,
              about="compare_methods(X, y, w, b, lr, num_epochs): every method's loss history",
              params=dict(TRAINING, num_epochs=3),  # the first epochs tell the methods apart
              build=compare_args, probe=probe_compare, swap=HELPERS + LOOPS,
              outputs=tuple(Output(m, f"the loss history of {m} gradient descent", rtol=1e-4, atol=1e-5,
                                   history=per_epoch, hints=LOSS_HINTS) for m in METHODS)),
    ),
)
