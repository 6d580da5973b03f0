"""The update goes up the gradient."""
import torch


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
            a += lr * a.grad
        a.grad.zero_()
    return Fit(a.item(), losses, history)
