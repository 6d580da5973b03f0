"""The contour map drawn as contour(B, W, Z): b on the x axis."""
import matplotlib.pyplot as plt


def plot_surface(W, B, Z):
    fig = plt.figure(figsize=(11, 4.5))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(W, B, Z, cmap="viridis", edgecolor="none")
    ax.set(title="Loss Surface", xlabel="w", ylabel="b")
    ax = fig.add_subplot(1, 2, 2)
    ax.contour(B, W, Z)
    ax.set(title="Loss Surface Contour", xlabel="w", ylabel="b")
    return fig
