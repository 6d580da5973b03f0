"""x and y shuffled separately: the pairs (x[i], y[i]) broken apart."""
import numpy as np


def train_val_split(x, y, rng, train_fraction=0.8):
    x, y = x.copy(), y.copy()
    rng.shuffle(x)
    rng.shuffle(y)
    n_train = int(len(x) * train_fraction)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
