"""The mean of the absolute errors, not of the squared ones."""
import numpy as np


def mse(y_hat, y):
    return np.abs(y_hat - y).mean()
