"""Batch, stochastic and mini-batch gradient descent.

Fit the line y = w*x + b to 60 noisy points. Every method starts from
w = -15, b = -10 and runs 10 epochs with lr = 0.1; they differ only in how many
points each update looks at: all of them (batch), one (stochastic), or a few
(mini-batch, batch sizes 5, 10 and 20).

A training loop gives back a ``Fit``: the final w and b, the loss history (the
cost on the whole data at the start of each epoch) and the parameter history
(w and b just before each update).
"""
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset


def make_data(seed=1):
    """The lab's data: X = arange(-3, 3, 0.1) as a (60, 1) column, y = X - 1 + 0.1 * noise."""
    torch.manual_seed(seed)
    X = torch.arange(-3, 3, 0.1).view(-1, 1)
    y = X - 1 + 0.1 * torch.randn(X.size())
    return X, y


def start(w=-15.0, b=-10.0):
    """Fresh parameters: two 0-dim tensors that require grad."""
    return torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)


class Fit(NamedTuple):
    """What a training loop gives back."""

    w: float  # final weight
    b: float  # final bias
    losses: list  # cost on the whole data at the start of each epoch
    params: list  # (w, b) just before each update


def forward(X, w, b):
    """Predictions y_hat = w * X + b, the same shape as X."""
    # Hint: w and b are 0-dim tensors, so they broadcast over X.
    raise NotImplementedError


def criterion(y_hat, y):
    """Mean squared error between y_hat and y, as a 0-dim tensor."""
    raise NotImplementedError


def step(w, b, lr):
    """One gradient-descent update of w and b, in place, from w.grad and b.grad; then zero both grads."""
    # Hint: change w and b in place (inside torch.no_grad(), or through .data),
    # so that autograd does not record the update; then zero the grads.
    raise NotImplementedError


class LinearData(Dataset):
    """The points (X[i], y[i]) as a Dataset, so that a DataLoader can batch them."""

    def __init__(self, X, y):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, i):
        # Hint: give back the pair (x, y) of point i.
        raise NotImplementedError


def train_minibatch(X, y, w, b, lr=0.1, num_epochs=10, batch_size=20):
    """Mini-batch gradient descent over batches of batch_size points, in order (no shuffling). Returns a Fit.

    When batch_size does not divide the number of points, each epoch ends with a last, smaller batch
    (60 points in batches of 25: 25, 25, then 10): it is an update like the others.
    """
    # Hint: build a DataLoader over LinearData(X, y). At the start of each epoch,
    # record the cost on the whole data; before each update, record (w, b).
    raise NotImplementedError


def train_batch(X, y, w, b, lr=0.1, num_epochs=10):
    """Batch gradient descent: one update per epoch, on all the data. Returns a Fit."""
    raise NotImplementedError


def train_stochastic(X, y, w, b, lr=0.1, num_epochs=10):
    """Stochastic gradient descent: one update per point, in order. Returns a Fit."""
    raise NotImplementedError


def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):
    """Loss histories of every method from the same start, for one plot.

    Returns a dict with the keys "batch", "stochastic", "mini-batch 5",
    "mini-batch 10" and "mini-batch 20", each mapping to that method's loss history.
    """
    # Hint: give every method fresh parameters from start(w, b).
    raise NotImplementedError
