"""The gradient with the wrong sign, (2/N) * sum(x * (y - y_hat))."""
import numpy as np


def train_no_bias(x, y, a, lr=0.001, num_iterations=100):
    N = len(x)
    losses, history = [], []
    for i in range(num_iterations):
        y_hat = a * x
        losses.append(float(np.sum((y_hat - y) ** 2) / N))
        history.append(float(a))
        gradient = (2 / N) * np.sum(x * (y - y_hat))
        a = a - lr * gradient
    return a, losses, history
