"""The loss recorded after the update, for the a it has moved to."""
import torch
from torch import nn, optim


def train_autograd(x, y, a, lr=0.001, num_iterations=100):
    N = len(x)
    losses, history = [], []
    for i in range(num_iterations):
        y_hat = a * x
        loss = (1 / N) * torch.sum((y_hat - y) ** 2)
        history.append(a.item())
        loss.backward()
        with torch.no_grad():
            a -= lr * a.grad
        a.grad.zero_()
        losses.append(((1 / N) * torch.sum((a * x - y) ** 2)).item())
    return Fit(a.item(), losses, history)


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    x, y = x.view(-1, 1), y.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, history = [], []
    for i in range(num_iterations):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        history.append(model.weight.item())
        loss.backward()
        optimizer.step()
        losses.append(loss_fn(model(x), y).item())
    return Fit(model.weight.item(), losses, history)
