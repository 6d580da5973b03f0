"""The update goes up the gradient."""
import torch


def step(w, b, lr):
    with torch.no_grad():
        w += lr * w.grad
        b += lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
