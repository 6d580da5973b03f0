"""Ben's mini-batch exercise: mostly there, with two classic slips."""
from typing import NamedTuple

import torch
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
    return w * X + b


def criterion(y_hat, y):
    return torch.sum((y_hat - y) ** 2)  # slip: a sum, not a mean


def step(w, b, lr):
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()


class LinearData(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def train_minibatch(X, y, w, b, lr=0.1, num_epochs=10, batch_size=20):
    loader = DataLoader(LinearData(X, y), batch_size=batch_size, shuffle=True)  # slip: shuffled
    losses, params = [], []
    for epoch in range(num_epochs):
        losses.append(torch.mean((forward(X, w, b) - y) ** 2).item())
        for X_batch, y_batch in loader:
            params.append((w.item(), b.item()))
            torch.mean((forward(X_batch, w, b) - y_batch) ** 2).backward()
            step(w, b, lr)
    return Fit(w.item(), b.item(), losses, params)


def train_batch(X, y, w, b, lr=0.1, num_epochs=10):
    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=len(X))


def train_stochastic(X, y, w, b, lr=0.1, num_epochs=10):
    return train_minibatch(X, y, w, b, lr, num_epochs, batch_size=1)


def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):
    raise NotImplementedError
