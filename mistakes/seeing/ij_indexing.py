"""np.meshgrid(..., indexing='ij'): the grid and the surface transposed."""
import numpy as np


def loss_surface(X, y, w_range=15, b_range=13, n_samples=30):
    x, y = np.asarray(X, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    W, B = np.meshgrid(np.linspace(-w_range, w_range, n_samples), np.linspace(-b_range, b_range, n_samples),
                       indexing='ij')
    Z = np.mean((y - (W[..., None] * x + B[..., None])) ** 2, axis=-1)
    return W, B, Z
