"""The indices shuffled by the global np.random, not the rng passed in."""
import numpy as np


def train_val_split(x, y, rng, train_fraction=0.8):
    idx = np.arange(len(x))
    np.random.shuffle(idx)
    n_train = int(len(x) * train_fraction)
    train_idx, val_idx = idx[:n_train], idx[n_train:]
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]
