"""The PyTorch way: nn.Module, MSELoss, SGD and a DataLoader.

Fit the line y = w*x + b to the lab's 60 noisy points once more, now with
PyTorch's building blocks: a model class that holds an nn.Linear, nn.MSELoss()
as the criterion, optim.SGD to update the parameters, and a DataLoader to hand
out the points. As in the lab, training starts from w = -15, b = -10 and runs
10 epochs with batch size 1 and lr = 0.01; the practice does it again with lr = 0.1.

The lab's run, with the functions below:

    torch.manual_seed(1)
    dataset = Data()
    model = LinearRegression(1, 1)  # nn.Linear's random start: weight 0.3636, bias 0.4957
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    set_parameters(model, -15.0, -10.0)
    losses = train_model(model, nn.MSELoss(), optimizer, make_loader(dataset, 1), 10)
    # now weight 0.9932, bias -1.0174
"""
from typing import NamedTuple

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, Dataset


class Data(Dataset):
    """The lab's 60 points (x, y): x = arange(-3, 3, 0.1) as a (60, 1) column, y = x - 1 plus noise of std 0.1."""

    def __init__(self):
        self.x = torch.arange(-3, 3, 0.1).view(-1, 1)
        self.f = self.x - 1  # the line to recover: w = 1, b = -1
        self.y = self.f + 0.1 * torch.randn(self.x.size())
        self.len = len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __len__(self):
        return self.len


class Fit(NamedTuple):
    """What fit gives back."""

    w: float  # final weight
    b: float  # final bias
    losses: list  # every batch's loss, taken before its update


class LinearRegression(nn.Module):
    """A linear model whose attribute ``linear`` is an nn.Linear(input_size, output_size)."""

    def __init__(self, input_size, output_size):
        """Initialise nn.Module, then create self.linear = nn.Linear(input_size, output_size)."""
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        """Predictions y_hat of shape (n, output_size) for x of shape (n, input_size)."""
        return self.linear(x)


def set_parameters(model, w, b):
    """Set the weight of a LinearRegression(1, 1) to the number w and its bias to b, in place; return nothing."""
    model.state_dict()["linear.weight"][0] = w
    model.state_dict()["linear.bias"][0] = b


def make_loader(dataset, batch_size):
    """A DataLoader over dataset giving (x, y) batches of batch_size points, in the dataset's order (no shuffling).

    When batch_size does not divide len(dataset), the last batch is smaller (60 points in batches of 25:
    25, 25, then 10); it is a batch like the others.
    """
    return DataLoader(dataset=dataset, batch_size=batch_size)


def train_model(model, criterion, optimizer, loader, num_epochs):
    """Train model for num_epochs passes over loader; return every batch's loss, taken before its update, as a list."""
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            y_hat = model(X)
            loss = criterion(y_hat, y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return losses


def fit(dataset, w=-15.0, b=-10.0, lr=0.01, num_epochs=10, batch_size=1):
    """Train a new LinearRegression(1, 1) on dataset, from (w, b), with nn.MSELoss() and optim.SGD.

    It runs num_epochs epochs over batches of batch_size points (the last one smaller when batch_size does not
    divide the number of points) with learning rate lr, and returns a Fit:
    the final weight and bias as numbers, and the losses train_model gives back.
    """
    model = LinearRegression(1, 1)
    set_parameters(model, w, b)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses = train_model(model, criterion, optimizer, make_loader(dataset, batch_size), num_epochs)
    return Fit(model.linear.weight.item(), model.linear.bias.item(), losses)
