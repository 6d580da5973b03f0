"""Several features: nn.Linear(3, 1), then NumPy with a column of ones.

The data have three features X1, X2, X3 ~ N(0, 1) and the target
Y = 1*X1 + 2*X2 + 4*X3 + 3 plus a tiny noise, so the coefficients to find are
3 (the bias), 1, 2 and 4.

First the PyTorch way: a model nn.Linear(3, 1) set to a given start, the loss
MSELoss(reduction='sum') and optim.SGD with lr = 0.0001, trained for 500 epochs
on all 100 points at once.

Then the same fit in NumPy: put a column of ones in front of X, so that the bias
is one more parameter (par[0]), and run gradient descent on the mean squared
error from par = 0. Finally, solve the least-squares problem in closed form:
gradient descent that converges must land on that solution.
"""
import numpy as np
import torch
from torch import nn


def make_data(seed=0, n=100):
    """The lab's data: X (n, 3) with columns X1, X2, X3 ~ N(0, 1), and Y (n, 1) = X1 + 2*X2 + 4*X3 + 3 + noise/1e6."""
    rng = np.random.RandomState(seed)
    X1 = rng.normal(0, 1, size=(n, 1))
    X2 = rng.normal(0, 1, size=(n, 1))
    X3 = rng.normal(0, 1, size=(n, 1))
    Y = 1 * X1 + 2 * X2 + 4 * X3 + 3 + rng.normal(0, 1, size=(n, 1)) / 1e6
    return np.hstack((X1, X2, X3)), Y


def as_tensors(X, Y):
    """X and Y as float32 tensors of the same shapes, for PyTorch."""
    return torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)


def make_model(weight, bias):
    """An nn.Linear(3, 1) whose weight and bias are set to the given tensors, of shapes (1, 3) and (1,)."""
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    return model


def train_torch(model, X, Y, lr=1e-4, num_epochs=500):
    """Full-batch training of model on X (n, 3), Y (n, 1) with MSELoss(reduction='sum') and optim.SGD.

    Returns the list of the num_epochs losses, each taken before that epoch's step.
    """
    criterion = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        y_hat = model(X)
        loss = criterion(y_hat, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def add_ones(X):
    """X (n, d) with a column of ones put in front: an (n, d + 1) array whose column 0 is all ones."""
    return np.hstack([np.ones((X.shape[0], 1)), X])


def gd_numpy(X1, Y, lr=1e-4, num_epochs=1000):
    """Gradient descent on the mean squared error from par = 0, for X1 (n, 4) with its ones column first, Y (n, 1).

    Returns (par, losses): the final parameters, shape (4, 1) or (4,), bias first,
    and the list of the num_epochs mean squared errors, each taken before that epoch's update.
    """
    n = X1.shape[0]
    par = np.zeros((X1.shape[1], 1))
    losses = []
    for epoch in range(num_epochs):
        e = X1.dot(par) - Y
        losses.append(np.mean(e ** 2))
        grad = (2 / n) * X1.T.dot(e)
        par = par - lr * grad
    return par, losses


def least_squares(X1, Y):
    """The par that minimises the squared error exactly, in closed form: shape (4, 1) or (4,), bias first."""
    return np.linalg.lstsq(X1, Y, rcond=None)[0]
