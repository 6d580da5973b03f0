"""w is updated with b's gradient."""
import torch


def step(w, b, lr):
    with torch.no_grad():
        w -= lr * b.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
