"""The path drawn from its second point on."""
import matplotlib.pyplot as plt
import numpy as np


def plot_path(W, B, Z, params):
    fig, ax = plt.subplots()
    ax.contour(W, B, Z)
    w, b = np.asarray(params, dtype=np.float64).T
    ax.plot(w[1:], b[1:], "rx-")
    ax.set(title="Loss Surface Contour", xlabel="w", ylabel="b")
    return fig
