"""The error as Y - X1.dot(par): every step goes up the gradient."""
import numpy as np


def gd_numpy(X1, Y, lr=1e-4, num_epochs=1000):
    n = X1.shape[0]
    par = np.zeros((X1.shape[1], 1))
    losses = []
    for epoch in range(num_epochs):
        e = Y - X1.dot(par)
        losses.append(np.mean(e ** 2))
        grad = (2 / n) * X1.T.dot(e)
        par = par - lr * grad
    return par, losses
