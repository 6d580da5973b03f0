"""The column of ones put last, not first."""
import numpy as np


def add_ones(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])
