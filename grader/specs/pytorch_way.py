"""Checks for exercises/pytorch_way.py: nn.Module, MSELoss, SGD and a DataLoader (lab 000)."""
from collections import OrderedDict

from .. import hints, variants
from ..plain import describe
from ..probes import Missing, ProbeError, numbers, unpack
from ..spec import FLOAT32, FLOAT32_TRAINING, Batches, Check, Exercise, Lazy, Mistake, Output, Replay, public, settings
from .minibatch import DATA, data, points_count  # lab 000's Data draws lab 003's noisy line

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
                      f"{tuple(weight.shape)}, and its bias {tuple(bias.shape)}",
                      "make self.linear an nn.Linear(input_size, output_size)")
        return {**out, "y_hat": why, "weight_grad": why, "bias_grad": why}
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    out["y_hat"] = predictions = model(X)
    if isinstance(predictions, torch.Tensor) and predictions.requires_grad:
        predictions.sum().backward()
        out["weight_grad"], out["bias_grad"] = grad_or_zeros(layer.weight), grad_or_zeros(layer.bias)
    else:
        why = Missing("y_hat does not depend on self.linear's parameters as far as autograd can tell",
                      "compute it from them, without .detach() or torch.no_grad()")
        out["weight_grad"] = out["bias_grad"] = why
    return out


def probe_init(LinearRegression, args, p):
    layer = linear_of(LinearRegression(*args))
    return {"weight": layer.weight, "bias": layer.bias}


def probe_set_parameters(set_parameters, args, p):
    model, *values = args
    optimizer = torch.optim.SGD(model.parameters(), lr=p["lr"])  # made before, as in the lab
    start = pair(model)
    set_parameters(model, *values)
    out = {"weight": model.linear.weight.detach().clone(), "bias": model.linear.bias.detach().clone()}
    if out["weight"].shape != (1, 1) or out["bias"].shape != (1,):
        out["changed"] = out["update"] = Missing("not run: the weight should keep its shape (1, 1), and the bias (1,)")
        return out
    out["changed"] = [bool(now != before) for now, before in zip(pair(model), start)]
    before = pair(model)
    X, y = data(p)
    cost = torch.nn.functional.mse_loss(model(X), y)
    if not cost.requires_grad:
        out["update"] = Missing("the model's parameters no longer require grad",
                                "change the values of the parameters, not the tensors")
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
            "the loader gave no batches" + (" the second time" if epoch else ""),
            "return a DataLoader, which can be looped over once per epoch" if epoch else ""))
    return {"sizes": sizes, "points": points[0], "next_epoch": points[1]}


def probe_train(train_model, args, p):
    model, criterion, optimizer, loader, num_epochs = args
    params = []
    optimizer.register_step_pre_hook(lambda *_: params.append(pair(model)))
    losses = train_model(*args)
    return {"losses": numbers(losses, "the losses train_model returned", "batch"), "final": pair(model),
            "params": params or Missing("optimizer.step() was never called on the optimizer passed in",
                                        "step the optimizer you are given, not one of your own")}


def probe_fit(fit, args, p):
    out = unpack(fit(*args), ("w", "b", "losses"), "fit()")
    out["losses"] = numbers(out["losses"], "the losses fit returned", "batch")
    return out


# What is compared.

def per_point(i, p):
    return f"point {i} (batch {i // p['batch_size']})"


by_update = Batches(points_count, lambda p: p["batch_size"])
by_batch = Batches(points_count, lambda p: p["batch_size"], epochs=False)

PARTIAL = {"partial_batch": "{got} batches instead of {expected}: {points} points in batches of {batch_size} make "
                            "{batches}, the last of {last} points: keep it (no drop_last)"}
LOADER_POINTS = {"length": "{got} points instead of {expected}: every point of the dataset, once per pass",
                 "permuted": "the right points in another order: keep the dataset's order (no shuffling)"}
TRAIN_LOSS_HINTS = {**hints.BATCHES,
                    "length": "{got} losses instead of {expected}: record one per batch, for num_epochs epochs"}
TRAIN_PARAM_HINTS = {
    **hints.BATCHES,
    "length": "{got} updates instead of {expected}: call optimizer.step() once per batch, for num_epochs epochs",
    "frozen": "{column} never changes: does optimizer.step() come after loss.backward()?",
    "step_scaled": "the first update is {factor:.4g}x the expected size: does loss.backward() come right "
                   "before optimizer.step()?",
    "first_differs": "the first update already differs: is the loss criterion(model(X), y) on the batch?",
    "drift": "the first update matches but later ones do not: call optimizer.zero_grad() every iteration, "
             "so that the gradients do not add up",
}
FIT_LOSS_HINTS = {
    **hints.BATCHES,
    "length": "{got} losses instead of {expected}: pass num_epochs to train_model and batch_size to make_loader",
    "start": "the first loss is {got}, not {expected}, before any update: possibly the model does not start from "
             "(w, b) (set_parameters(model, w, b)), or the criterion is not nn.MSELoss()",
    "step_scaled": "the first loss matches, the next ones do not: possibly optim.SGD does not get the lr asked for",
}

# Typical mistakes, as variants of the reference (the code-level ones in mistakes/pytorch_way/).
code = variants.code
LINEAR_1_1 = code("linear_1_1", "when self.linear is nn.Linear(1, 1) whatever the sizes asked")


def without_last_batch(out, p):
    """What a loader gives when it drops the last, smaller batch: derived from the reference's own outputs."""
    points, size = points_count(p), p["batch_size"]
    if points % size == 0:
        return None
    kept = points - points % size
    return {**out, "sizes": out["sizes"][:-1], "points": out["points"][:kept], "next_epoch": out["next_epoch"][:kept]}


def model_update(train_model, args, state, rows, p):
    """One step of the reference's loop from (w, b) = state on the points ``rows``: (w, b) after it, and its loss."""
    points = args[3].dataset
    model = line(*state)
    losses = train_model(model, torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=p["lr"]),
                         [(points.x[rows], points.y[rows])], 1)
    return pair(model), losses[0]


EXERCISE = Exercise(
    id="pytorch_way",
    title="The PyTorch way: nn.Module, MSELoss, SGD and a DataLoader",
    lab="000",
    teaches="a linear model as an nn.Module, setting its parameters, a DataLoader, and a training loop "
            "with nn.MSELoss and optim.SGD",
    imports=("torch", "torch.optim", "torch.utils.data"),
    checks=(
        Check("LinearRegression", 1.0,
              about="LinearRegression(input_size, output_size): the shapes of self.linear's weight and bias, "
                    "then, with known values set into them, forward(x) and the gradients of y_hat.sum()",
              params=dict(seed=0, n=10, input_size=1, output_size=1), build=sizes_args, probe=probe_model,
              mistakes=(LINEAR_1_1, code("forward_no_bias", "when forward leaves out the bias (x @ weight.T)")),
              cases=public({"input_size": 1, "output_size": 1}, {"input_size": 3, "output_size": 1},
                           label=lambda p: f"input_size={p['input_size']}, output_size={p['output_size']}"),
              outputs=(Output("shapes", "the shapes of self.linear's weight and bias", exact=True),
                       Output("y_hat", "the predictions, shape (n, output_size)", rtol=1e-5, atol=1e-5, hints={
                           "offset": "every prediction is off by the same {offset:.4g}: does forward add the bias?"}),
                       Output("weight_grad", "the gradient of y_hat.sum() with respect to self.linear.weight",
                              rtol=1e-5, atol=1e-5,
                              hints={"zero": "no gradient reaches the weight: does forward use self.linear?"}),
                       Output("bias_grad", "the gradient of y_hat.sum() with respect to self.linear.bias",
                              rtol=1e-5, atol=1e-5,
                              hints={"zero": "no gradient reaches the bias: does forward add it?"}))),
        Check("LinearRegression", 0.5, name="LinearRegression init",
              about="LinearRegression(input_size, output_size) starts where nn.Linear(input_size, output_size) "
                    "would: torch.manual_seed(seed), the data drawn, then the model made, as in the lab",
              params=dict(DATA, input_size=1, output_size=1), build=init_args, probe=probe_init,
              mistakes=(LINEAR_1_1, code("zeroed_start", "when the weight and bias are set to zero"),
                        code("extra_layer", "when another nn.Linear is made before self.linear, taking the random "
                                            "numbers it would have had")),
              cases=public({}, {"input_size": 3}, label=settings("input_size")),
              outputs=(Output("weight", "self.linear.weight as nn.Linear made it", **FLOAT32, hints={
                  "zero": "the weight starts at zero: keep the random start nn.Linear gives it"}),
                       Output("bias", "self.linear.bias as nn.Linear made it", **FLOAT32, hints={
                           "zero": "the bias starts at zero: keep the random start nn.Linear gives it"}))),
        Check("set_parameters", 1.0,
              about="set_parameters(model, w, b): the model's weight and bias, then one step of an "
                    "optim.SGD made before the call (as in the lab)",
              params=dict(DATA, **START, lr=0.01), build=set_args, probe=probe_set_parameters,
              mistakes=(code("unchanged", "when new tensors are put in the state_dict (or bound to names), "
                                          "leaving the model's own parameters as they were"),
                        code("wb_swapped", "when w and b are the wrong way round"),
                        code("new_parameters", "when new nn.Parameters take the place of the model's, so that an "
                                               "optimizer made before no longer moves them"),
                        code("bias_unset", "when the bias is left unset")),
              outputs=(*(Output(name, f"model.linear.{name} after the call, shape {shape}", rtol=1e-6, atol=1e-6,
                                hints={"crossed": "the {column} holds what the {other} should: are w and b swapped?"})
                         for name, shape in (("weight", "(1, 1)"), ("bias", "(1,)"))),
                       Output("changed", "whether the call changed the model's weight and bias", exact=True, hints={
                           "any": "the call left a parameter as it was: change the values of the model's own "
                                  "parameters (model.state_dict()[key] = tensor only replaces the dict's entry; "
                                  "write into it, e.g. model.state_dict()[key][0] = w)"}),
                       Output("update", "the change in (w, b) made by one SGD step", **FLOAT32_TRAINING,
                              columns=("w", "b"), hints={
                                  "zero": "the optimizer no longer moves the model: change the values of the "
                                          "model's weight and bias in place, keeping the same tensors",
                                  "zero_column": "the optimizer no longer moves {column}: change it in place"}))),
        Check("make_loader", 1.0,
              about="make_loader(dataset, batch_size): the batch sizes, and the points (x, y) in the order "
                    "they come, which must be the dataset's order (no shuffling), in two passes",
              params=dict(DATA, batch_size=1), build=loader_args, probe=probe_loader,
              mistakes=(code("shuffled", "when the DataLoader shuffles the points (shuffle=True)"),
                        variants.setting("no batch_size", "when the DataLoader is not given batch_size (its default "
                                                         "is 1)", "batch_size", 1),
                        Mistake("drop_last", "when the last, smaller batch is dropped (drop_last=True)",
                                outputs=without_last_batch)),
              cases=public({"batch_size": 1}, {"batch_size": 10}, {"batch_size": 25}, label=settings("batch_size")),
              outputs=(Output("sizes", "the number of points in each batch", rtol=0.0, atol=1e-9, history=by_batch,
                              hints={**PARTIAL, "length": "{got} batches instead of {expected}: give the DataLoader "
                                                          "batch_size"}),
                       Output("points", "(x, y) of every point, in the order the batches give them",
                              rtol=1e-6, atol=1e-7, columns=("x", "y"), history=per_point, hints=LOADER_POINTS),
                       Output("next_epoch", "(x, y) of every point in a second pass over the loader",
                              rtol=1e-6, atol=1e-7, columns=("x", "y"), history=per_point, hints=LOADER_POINTS))),
        Check("train_model", 2.0,
              about="train_model(model, criterion, optimizer, loader, num_epochs): every batch's loss, "
                    "(w, b) before each optimizer.step(), and the final (w, b)",
              params=dict(LAB, num_epochs=3), build=train_args, probe=probe_train,
              replay=Replay("train_model", model_update, history="params", final=("final",), losses="losses"),
              mistakes=(code("not_zeroed", "when optimizer.zero_grad() is never called, so that the gradients add "
                                           "up from batch to batch", explains=("drift",)),
                        code("step_before_backward", "when optimizer.step() comes before loss.backward(), so that "
                                                     "each step uses the gradient of the batch before"),
                        code("step_first", "when optimizer.step() comes first, then zero_grad() and backward(), so "
                                           "that no step has a gradient to use"),
                        code("loss_after", "when each batch's loss is recorded after the step, for the parameters "
                                           "it moved to"),
                        variants.epochs(+1), variants.epochs(-1)),
              cases=public({}, {"batch_size": 25, "lr": 0.05, "num_epochs": 2},
                           label=settings("batch_size", "lr", "num_epochs")),
              outputs=(Output("losses", "every batch's loss, before its update", **FLOAT32_TRAINING,
                              history=by_update, hints=TRAIN_LOSS_HINTS),
                       Output("params", "(w, b) just before each optimizer.step()", **FLOAT32_TRAINING,
                              columns=("w", "b"), history=by_update, hints=TRAIN_PARAM_HINTS),
                       Output("final", "(w, b) after training", **FLOAT32_TRAINING, columns=("w", "b")))),
        Check("fit", 2.0,
              about="fit(dataset, w, b, lr, num_epochs, batch_size): the final weight and bias, and the losses",
              params=LAB, build=fit_args, probe=probe_fit, swap=HELPERS,
              mistakes=(variants.setting("lr 0.01", "with the lab's learning rate, 0.01, whatever lr it is given",
                                         "lr", 0.01),
                        variants.setting("batch_size 1", "with the lab's batch size, 1, whatever batch_size it is "
                                                         "given", "batch_size", 1),
                        variants.setting("num_epochs 10", "with the lab's 10 epochs, whatever num_epochs it is given",
                                         "num_epochs", 10),
                        code("summed", "when the criterion sums the squared errors (reduction='sum')"),
                        code("not_set", "when set_parameters is never called, so that the model starts at "
                                        "nn.Linear's random start")),
              cases=public({"lr": 0.01, "batch_size": 1}, {"lr": 0.1, "batch_size": 1, "num_epochs": 3},
                           {"lr": 0.05, "batch_size": 25, "num_epochs": 4}, label=settings("lr", "batch_size")),
              outputs=(Output("w", "the final weight", **FLOAT32_TRAINING),
                       Output("b", "the final bias", **FLOAT32_TRAINING),
                       Output("losses", "every batch's loss, before its update", **FLOAT32_TRAINING,
                              history=by_update, hints=FIT_LOSS_HINTS))),
    ),
)
