"""The gradient is never zeroed: backward() adds each iteration's gradient to the last ones."""
import torch
from torch import nn, optim


def train_autograd(x, y, a, lr=0.001, num_iterations=100):
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
    return Fit(a.item(), losses, history)


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    x, y = x.view(-1, 1), y.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, history = [], []
    for i in range(num_iterations):
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        losses.append(loss.item())
        history.append(model.weight.item())
        loss.backward()
        optimizer.step()
    return Fit(model.weight.item(), losses, history)
