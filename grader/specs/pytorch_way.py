"""Checks for exercises/pytorch_way.py: nn.Module, MSELoss, SGD and a DataLoader (lab 000)."""
import math
from collections import OrderedDict

import numpy as np

from ..plain import Unconvertible, describe, to_plain
from ..probes import Missing, ProbeError, unpack
from ..spec import Check, Exercise, Lazy, Output, per_update, public
from .minibatch import DATA, data  # lab 000's Data draws lab 003's noisy line

torch = Lazy("torch")

START = dict(w0=-15.0, b0=-10.0)  # the lab's state_dict writes
LAB = dict(DATA, **START, lr=0.01, num_epochs=10, batch_size=1)
HELPERS = ("LinearRegression", "set_parameters", "make_loader", "train_model")


# Builders: case parameters -> the target's arguments (run in the child).

def dataset(p):
    """The points as a Dataset of (x, y) pairs, with the given Data's attributes x, y and len."""
    X, y = data(p)
    points = torch.utils.data.TensorDataset(X, y)
    points.x, points.y, points.len = X, y, len(X)
    return points


def line(w, b):
    """A model laid out as LinearRegression(1, 1) is (attribute ``linear``, keys linear.weight and linear.bias)."""
    model = torch.nn.Sequential(OrderedDict(linear=torch.nn.Linear(1, 1)))
    with torch.no_grad():
        model.linear.weight.fill_(w)
        model.linear.bias.fill_(b)
    return model


def sizes_args(p):
    return p["input_size"], p["output_size"]


def init_args(p):
    data(p)  # the lab seeds, draws its data, then makes the model
    return p["input_size"], p["output_size"]


def set_args(p):
    """A model laid out as LinearRegression(1, 1), at nn.Linear's random start for the case's seed, and (w, b)."""
    torch.manual_seed(p["seed"])
    return torch.nn.Sequential(OrderedDict(linear=torch.nn.Linear(1, 1))), p["w0"], p["b0"]


def loader_args(p):
    return dataset(p), p["batch_size"]


def train_args(p):
    model = line(p["w0"], p["b0"])
    optimizer = torch.optim.SGD(model.parameters(), lr=p["lr"])
    loader = torch.utils.data.DataLoader(dataset(p), batch_size=p["batch_size"])
    return model, torch.nn.MSELoss(), optimizer, loader, p["num_epochs"]


def fit_args(p):
    return dataset(p), p["w0"], p["b0"], p["lr"], p["num_epochs"], p["batch_size"]


# Reading what came back (run in the child).

def linear_of(model):
    """The model's nn.Linear: its attribute ``linear``, else the only nn.Linear it holds (itself included)."""
    if not isinstance(model, torch.nn.Module):
        raise ProbeError(f"LinearRegression(...) made {describe(model)}, not an nn.Module: subclass nn.Module")
    layer = getattr(model, "linear", None)
    if isinstance(layer, torch.nn.Linear):
        return layer
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if len(layers) == 1:
        return layers[0]
    raise ProbeError(f"your model holds {len(layers)} nn.Linear layers; give it one, "
                     "self.linear = nn.Linear(input_size, output_size)")


def grad_or_zeros(tensor):
    """A parameter's gradient, with None (no gradient reached it) read as zeros of its shape."""
    return torch.zeros_like(tensor) if tensor.grad is None else tensor.grad


def pair(model):
    """(w, b) of a model laid out as LinearRegression(1, 1), as numbers."""
    return torch.cat([model.linear.weight.detach().reshape(-1), model.linear.bias.detach().reshape(-1)])


def history(losses, what):
    """A loss history, each entry one number even if it came as a (1,) or (1, 1) tensor."""
    if losses is None:
        return Missing(f"{what} returned None: return the list of losses")
    try:
        array = np.asarray(to_plain(losses), dtype=np.float64)
    except Unconvertible as exc:
        return Missing(f"could not read it as numbers: got {exc}")
    except ValueError:
        return Missing("could not read it as numbers: its entries have different lengths")
    return array.reshape(len(array)) if array.ndim > 1 and array.size == len(array) else array


# Probes: how each target is exercised (run in the child).

def layer_values(p):
    """Inputs X (n, input_size) and the weight and bias set into the model, from a generator of their own."""
    g = torch.Generator().manual_seed(p["seed"])
    X = torch.randn(p["n"], p["input_size"], generator=g)
    return X, torch.randn(p["output_size"], p["input_size"], generator=g), torch.randn(p["output_size"], generator=g)


def probe_model(LinearRegression, args, p):
    model = LinearRegression(*args)
    layer = linear_of(model)
    out = {"shapes": [list(layer.weight.shape), list(getattr(layer.bias, "shape", ()))]}
    X, weight, bias = layer_values(p)
    if layer.weight.shape != weight.shape or layer.bias is None or layer.bias.shape != bias.shape:
        why = Missing(f"not run: self.linear's weight should have the shape (output_size, input_size) = "
                      f"{tuple(weight.shape)}, and its bias {tuple(bias.shape)}")
        return {**out, "y_hat": why, "weight_grad": why, "bias_grad": why}
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    out["y_hat"] = predictions = model(X)
    if isinstance(predictions, torch.Tensor) and predictions.requires_grad:
        predictions.sum().backward()
        out["weight_grad"], out["bias_grad"] = grad_or_zeros(layer.weight), grad_or_zeros(layer.bias)
    else:
        why = Missing("y_hat does not depend on self.linear's parameters as far as autograd can tell: "
                      "compute it from them, without .detach() or torch.no_grad()")
        out["weight_grad"] = out["bias_grad"] = why
    return out


def probe_init(LinearRegression, args, p):
    layer = linear_of(LinearRegression(*args))
    return {"weight": layer.weight, "bias": layer.bias}


def probe_set_parameters(set_parameters, args, p):
    model, *values = args
    optimizer = torch.optim.SGD(model.parameters(), lr=p["lr"])  # made before, as in the lab
    set_parameters(model, *values)
    out = {"weight": model.linear.weight.detach().clone(), "bias": model.linear.bias.detach().clone()}
    if out["weight"].shape != (1, 1) or out["bias"].shape != (1,):
        out["update"] = Missing("not run: the weight should keep its shape (1, 1), and the bias (1,)")
        return out
    before = pair(model)
    X, y = data(p)
    cost = torch.nn.functional.mse_loss(model(X), y)
    if not cost.requires_grad:
        out["update"] = Missing("the model's parameters no longer require grad: change their values, not the tensors")
        return out
    cost.backward()  # the model is fresh: no gradient to clear first
    optimizer.step(closure=None)
    out["update"] = pair(model) - before
    return out


def probe_loader(make_loader, args, p):
    loader = make_loader(*args)
    sizes, points = [], []
    for epoch in range(2):
        pass_points = []
        try:
            batches = iter(loader)
        except TypeError:
            raise ProbeError(f"make_loader returned {describe(loader)}; expected a DataLoader") from None
        for batch in batches:
            if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
                raise ProbeError(f"a batch is {describe(batch)}; expected a pair (X_batch, y_batch)")
            X_batch, y_batch = batch
            if epoch == 0:
                sizes.append(len(X_batch))
            pass_points.append(torch.stack([X_batch.reshape(-1), y_batch.reshape(-1)], dim=1))
        points.append(torch.cat(pass_points) if pass_points else Missing(
            "the loader gave no batches" + (" the second time: return a DataLoader, which can be looped over "
                                            "once per epoch" if epoch else "")))
    return {"sizes": sizes, "points": points[0], "next_epoch": points[1]}


def probe_train(train_model, args, p):
    model, criterion, optimizer, loader, num_epochs = args
    params = []
    optimizer.register_step_pre_hook(lambda *_: params.append(pair(model)))
    losses = train_model(*args)
    return {"losses": history(losses, "train_model"), "final": pair(model),
            "params": params or Missing("optimizer.step() was never called on the optimizer passed in")}


def probe_fit(fit, args, p):
    out = unpack(fit(*args), ("w", "b", "losses"), "fit()")
    out["losses"] = history(out["losses"], "fit") if not isinstance(out["losses"], Missing) else out["losses"]
    return out


# What is compared.

def points_count(p):
    return len(np.arange(p["lo"], p["hi"], p["spacing"]))


def per_batch(i, p):
    return f"batch {i}"


def per_point(i, p):
    return f"point {i} (batch {i // p['batch_size']})"


by_update = per_update(lambda p: math.ceil(points_count(p) / p["batch_size"]))

LOADER_POINTS = {"length": "{got} points instead of {expected}: every point of the dataset, once per pass"}
TRAIN_LOSS_HINTS = {"length": "{got} losses instead of {expected}: record one per batch, for num_epochs epochs"}
TRAIN_PARAM_HINTS = {
    "length": "{got} updates instead of {expected}: call optimizer.step() once per batch, for num_epochs epochs",
    "frozen": "{column} never changes: does optimizer.step() come after loss.backward()?",
    "step_scaled": "the first update is {factor:.4g}x the expected size: does loss.backward() come right "
                   "before optimizer.step()?",
    "first_differs": "the first update already differs: is the loss criterion(model(X), y) on the batch?",
    "drift": "the first update matches but later ones do not: call optimizer.zero_grad() every iteration, "
             "so that the gradients do not add up",
}
FIT_LOSS_HINTS = {
    "length": "{got} losses instead of {expected}: pass num_epochs to train_model and batch_size to make_loader",
    "step_scaled": "the first loss matches, the next ones do not: give optim.SGD the lr asked for",
}

EXERCISE = Exercise(
    id="pytorch_way",
    title="The PyTorch way: nn.Module, MSELoss, SGD and a DataLoader",
    lab="000",
    teaches="a linear model as an nn.Module, setting its parameters, a DataLoader, and a training loop "
            "with nn.MSELoss and optim.SGD",
    checks=(
        Check("LinearRegression", "LinearRegression", 1.0,
              about="LinearRegression(input_size, output_size): the shapes of self.linear's weight and bias, "
                    "then, with known values set into them, forward(x) and the gradients of y_hat.sum()",
              params=dict(seed=0, n=10, input_size=1, output_size=1), build=sizes_args, probe=probe_model,
              cases=public({"input_size": 1, "output_size": 1}, {"input_size": 3, "output_size": 1},
                           label=lambda p: f"input_size={p['input_size']}, output_size={p['output_size']}"),
              outputs=(Output("shapes", "the shapes of self.linear's weight and bias", exact=True),
                       Output("y_hat", "the predictions, shape (n, output_size)", rtol=1e-5, atol=1e-5),
                       Output("weight_grad", "the gradient of y_hat.sum() with respect to self.linear.weight",
                              rtol=1e-5, atol=1e-5,
                              hints={"zero": "no gradient reaches the weight: does forward use self.linear?"}),
                       Output("bias_grad", "the gradient of y_hat.sum() with respect to self.linear.bias",
                              rtol=1e-5, atol=1e-5,
                              hints={"zero": "no gradient reaches the bias: does forward add it?"}))),
        Check("LinearRegression init", "LinearRegression", 0.5,
              about="LinearRegression(input_size, output_size) starts where nn.Linear(input_size, output_size) "
                    "would: torch.manual_seed(seed), the data drawn, then the model made, as in the lab",
              params=dict(DATA, input_size=1, output_size=1), build=init_args, probe=probe_init,
              outputs=(Output("weight", "self.linear.weight as nn.Linear made it", rtol=1e-5, atol=1e-6, hints={
                  "zero": "the weight starts at zero: keep the random start nn.Linear gives it"}),
                       Output("bias", "self.linear.bias as nn.Linear made it", rtol=1e-5, atol=1e-6, hints={
                           "zero": "the bias starts at zero: keep the random start nn.Linear gives it"}))),
        Check("set_parameters", "set_parameters", 1.0,
              about="set_parameters(model, w, b): the model's weight and bias, then one step of an "
                    "optim.SGD made before the call (as in the lab)",
              params=dict(DATA, **START, lr=0.01), build=set_args, probe=probe_set_parameters,
              outputs=(Output("weight", "model.linear.weight after the call, shape (1, 1)", rtol=1e-6, atol=1e-6),
                       Output("bias", "model.linear.bias after the call, shape (1,)", rtol=1e-6, atol=1e-6),
                       Output("update", "the change in (w, b) made by one SGD step", rtol=1e-4, atol=1e-5,
                              columns=("w", "b"), hints={
                                  "zero": "the optimizer no longer moves the model: change the values of the "
                                          "model's weight and bias in place, keeping the same tensors",
                                  "zero_column": "the optimizer no longer moves {column}: change it in place"}))),
        Check("make_loader", "make_loader", 1.0,
              about="make_loader(dataset, batch_size): the batch sizes, and the points (x, y) in the order "
                    "they come, which must be the dataset's order (no shuffling), in two passes",
              params=dict(DATA, batch_size=1), build=loader_args, probe=probe_loader,
              cases=public({"batch_size": 1}, {"batch_size": 10}, label=lambda p: f"batch_size={p['batch_size']}"),
              outputs=(Output("sizes", "the number of points in each batch", rtol=0.0, atol=1e-9, history=per_batch,
                              hints={"length": "{got} batches instead of {expected}: give the DataLoader "
                                               "batch_size, and keep the last, smaller batch"}),
                       Output("points", "(x, y) of every point, in the order the batches give them",
                              rtol=1e-6, atol=1e-7, columns=("x", "y"), history=per_point, hints=LOADER_POINTS),
                       Output("next_epoch", "(x, y) of every point in a second pass over the loader",
                              rtol=1e-6, atol=1e-7, columns=("x", "y"), history=per_point, hints=LOADER_POINTS))),
        Check("train_model", "train_model", 2.0,
              about="train_model(model, criterion, optimizer, loader, num_epochs): every batch's loss, "
                    "(w, b) before each optimizer.step(), and the final (w, b)",
              params=LAB, build=train_args, probe=probe_train, cases=public({"num_epochs": 3}),
              outputs=(Output("losses", "every batch's loss, before its update", rtol=1e-4, atol=1e-5,
                              history=by_update, hints=TRAIN_LOSS_HINTS),
                       Output("params", "(w, b) just before each optimizer.step()", rtol=1e-4, atol=1e-5,
                              columns=("w", "b"), history=by_update, hints=TRAIN_PARAM_HINTS),
                       Output("final", "(w, b) after training", rtol=1e-4, atol=1e-5, columns=("w", "b")))),
        Check("fit", "fit", 2.0,
              about="fit(dataset, w, b, lr, num_epochs, batch_size): the final weight and bias, and the losses",
              params=LAB, build=fit_args, probe=probe_fit, swap=HELPERS,
              cases=public({"lr": 0.01, "batch_size": 1}, {"lr": 0.1, "batch_size": 1, "num_epochs": 3},
                           {"lr": 0.01, "batch_size": 10},
                           label=lambda p: f"lr={p['lr']}, batch_size={p['batch_size']}"),
              outputs=(Output("w", "the final weight", rtol=1e-4, atol=1e-5),
                       Output("b", "the final bias", rtol=1e-4, atol=1e-5),
                       Output("losses", "every batch's loss, before its update", rtol=1e-4, atol=1e-5,
                              history=by_update, hints=FIT_LOSS_HINTS))),
    ),
)
