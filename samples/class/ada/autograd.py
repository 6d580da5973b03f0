"""One weight three ways: NumPy by hand, autograd, and nn.Linear with optim.

Fit the line through the origin y_hat = a * x (one weight a, no bias) to five points
by gradient descent on the mean squared error, loss = (1/N) * sum((a * x - y) ** 2),
with lr = 0.001 for 100 iterations. Way 1, NumPy by hand, is the exercise
numpy_by_hand. Here are way 2, autograd (a tensor a with requires_grad=True, its
gradient from loss.backward(), an update inside torch.no_grad()), and way 3,
nn.Linear(1, 1, bias=False) trained with nn.MSELoss and optim.SGD. Started from the
same a, the three ways agree step for step.

A training loop gives back a ``Fit``: the final a, and two lists with one number per
iteration: losses[i] is the loss just before update i, history[i] is a just before
update i.
"""
from typing import NamedTuple

import torch
from torch import nn, optim


def make_data():
    """The lab's five points as 1-D float tensors x and y of shape (5,); here y = 2 * x."""
    x = torch.tensor([1.0, 3.0, 10.0, 13.0, 7.0])
    y = torch.tensor([2.0, 6.0, 20.0, 26.0, 14.0])
    return x, y


class Fit(NamedTuple):
    """What a training loop gives back."""

    a: float  # the final a, after num_iterations updates
    losses: list  # losses[i]: the loss just before update i
    history: list  # history[i]: a just before update i


def train_autograd(x, y, a, lr=0.001, num_iterations=100):
    """Gradient descent on y_hat = a * x, with the gradient of the loss from autograd.

    x, y: tensors of shape (N,). a: a tensor of shape (1,) with requires_grad=True;
    change it in place, inside torch.no_grad(). Returns Fit(a, losses, history): the
    final a, and at each iteration, just before its update, the loss and a as numbers.
    """
    N = len(x)
    losses, history = [], []
    for i in range(num_iterations):
        y_hat = a * x
        loss = (1 / N) * torch.sum((y_hat - y) ** 2)
        losses.append(loss.item())
        history.append(a.item())
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
        a.grad.zero_()
    return Fit(a.item(), losses, history)


def make_model(a):
    """An nn.Linear(1, 1, bias=False) whose weight, of shape (1, 1), holds the float a."""
    model = nn.Linear(in_features=1, out_features=1, bias=False)
    nn.init.constant_(model.weight, a)
    return model


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    """Train the given model (from make_model) in place, with nn.MSELoss and optim.SGD.

    x, y: tensors of shape (N,); reshape them to columns of shape (N, 1) for nn.Linear.
    Returns Fit(a, losses, history) as train_autograd does, a being the model's weight.
    """
    x, y = x.view(-1, 1), y.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, history = [], []
    for i in range(num_iterations):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        losses.append(loss.item())
        history.append(model.weight.item())
        loss.backward()
        optimizer.step()
    return Fit(model.weight.item(), losses, history)


def compare_ways(x, y, a=0.25, lr=0.001, num_iterations=100):
    """Run train_autograd and train_nn, each from its own fresh start at the float a.

    x, y: tensors of shape (N,). Returns a dict with the keys "autograd" and "nn",
    each mapping to that way's history (a before each update).
    """
    a_autograd = torch.tensor([a], requires_grad=True)
    autograd_fit = train_autograd(x, y, a_autograd, lr, num_iterations)
    nn_fit = train_nn(x, y, make_model(a), lr, num_iterations)
    return {"autograd": autograd_fit.history, "nn": nn_fit.history}
