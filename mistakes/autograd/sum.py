"""The squared errors summed, not averaged."""
import torch
from torch import nn, optim


def train_autograd(x, y, a, lr=0.001, num_iterations=100):
    losses, history = [], []
    for i in range(num_iterations):
        y_hat = a * x
        loss = torch.sum((y_hat - y) ** 2)
        losses.append(loss.item())
        history.append(a.item())
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
        a.grad.zero_()
    return Fit(a.item(), losses, history)


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    x, y = x.view(-1, 1), y.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="sum")
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
