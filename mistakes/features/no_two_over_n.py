"""The gradient without its 2 / n: X1.T.dot(e)."""
import numpy as np


def gd_numpy(X1, Y, lr=1e-4, num_epochs=1000):
    n = X1.shape[0]
    par = np.zeros((X1.shape[1], 1))
    losses = []
    for epoch in range(num_epochs):
        e = X1.dot(par) - Y
        losses.append(np.mean(e ** 2))
        grad = X1.T.dot(e)
        par = par - lr * grad
    return par, losses
