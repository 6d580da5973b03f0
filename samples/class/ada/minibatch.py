"""Ada's mini-batch exercise: correct, written her own way (optim.SGD, batches sliced by hand)."""
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def make_data(seed=1):
    torch.manual_seed(seed)
    X = torch.arange(-3, 3, 0.1).view(-1, 1)
    y = X - 1 + 0.1 * torch.randn(X.size())
    return X, y


def start(w=-15.0, b=-10.0):
    return torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)


class Fit(NamedTuple):
    w: float
    b: float
    losses: list
    params: list


def forward(X, w, b):
    return X * w + b


def criterion(y_hat, y):
    return F.mse_loss(y_hat, y)


def step(w, b, lr):
    w.data = w.data - lr * w.grad.data
    b.data = b.data - lr * b.grad.data
    w.grad = None
    b.grad = None


class LinearData(Dataset):
    def __init__(self, X, y):
        self.points = list(zip(X, y))

    def __len__(self):
        return len(self.points)

    def __getitem__(self, i):
        return self.points[i]


def train_minibatch(X, y, w, b, lr=0.1, num_epochs=10, batch_size=20):
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses, params = [], []
    for _ in range(num_epochs):
        with torch.no_grad():
            losses.append(criterion(forward(X, w, b), y))
        for first in range(0, len(X), batch_size):
            params.append((w.detach().clone(), b.detach().clone()))
            optimizer.zero_grad()
            criterion(forward(X[first:first + batch_size], w, b), y[first:first + batch_size]).backward()
            optimizer.step()
    return Fit(w, b, losses, params)


def train_batch(X, y, w, b, lr=0.1, num_epochs=10):
    return train_minibatch(X, y, w, b, lr, num_epochs, len(X))


def train_stochastic(X, y, w, b, lr=0.1, num_epochs=10):
    return train_minibatch(X, y, w, b, lr, num_epochs, 1)


def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):
    runs = {"batch": len(X), "stochastic": 1, "mini-batch 5": 5, "mini-batch 10": 10, "mini-batch 20": 20}
    return {name: train_minibatch(X, y, *start(w, b), lr, num_epochs, size).losses for name, size in runs.items()}
