"""The path drawn as (b, w): b on the x axis."""
import matplotlib.pyplot as plt
import numpy as np


def plot_path(W, B, Z, params):
    fig, ax = plt.subplots()
    ax.contour(W, B, Z)
    b, w = np.asarray(params, dtype=np.float64).T
    ax.plot(w, b, "rx-")
    ax.set(title="Loss Surface Contour", xlabel="w", ylabel="b")
    return fig
