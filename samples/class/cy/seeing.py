"""Seeing gradient descent: the loss surface, the path of (w, b) and the loss histories.

The cost of the line y_hat = w*x + b, as a function of w and b, is a surface over
the (w, b) plane. Lab 003 draws it twice, as a 3D surface and as a contour map,
marks the (w, b) of each iteration on the contour, and plots every method's loss
history on one figure. Here the surface is computed on a grid, and each plot is a
function that returns the matplotlib Figure it drew, so that it can be checked.

To see a figure, show it (plt.show()) or save it (fig.savefig("surface.png")), e.g.
W, B, Z = loss_surface(*make_data()); plot_surface(W, B, Z). Paths and loss histories
to draw come from the exercise on mini-batch gradient descent: the params of a training
loop's Fit, and compare_methods(X, y).
"""
import matplotlib.pyplot as plt
import numpy as np
import torch


def make_data(seed=1):
    """The lab's data: X = arange(-3, 3, 0.1) as a (60, 1) column, y = X - 1 + 0.1 * noise."""
    torch.manual_seed(seed)
    X = torch.arange(-3, 3, 0.1).view(-1, 1)
    y = X - 1 + 0.1 * torch.randn(X.size())
    return X, y


def loss_surface(X, y, w_range=15, b_range=13, n_samples=30):
    """The mean squared error of the line y_hat = w*x + b on a grid of (w, b) values.

    Takes X and y, (m, 1) tensors. Returns W, B, Z, three (n_samples, n_samples) arrays:
    W, B = np.meshgrid(w_values, b_values), where w_values are n_samples numbers evenly
    spaced from -w_range to w_range, and b_values from -b_range to b_range (so W[i, j] is
    the j-th w and B[i, j] the i-th b); Z[i, j] = mean((y - (W[i, j] * X + B[i, j])) ** 2).
    """
    # Hint: np.linspace for the values, np.meshgrid(w_values, b_values) for the grid; then one
    # mean per grid point (two loops, or broadcasting). The lab's helper forgets the brackets
    # around w*x + b: the error is y - (w*x + b).
    raise NotImplementedError


def plot_surface(W, B, Z):
    """Draw Z, (n, n) like W and B, twice on one Figure and return the Figure.

    Left, a 3D surface; right, a contour map (w on the x axis, b on the y axis); both with axes labelled w and b.
    """
    # Hint: fig = plt.figure(); fig.add_subplot(1, 2, 1, projection="3d").plot_surface(W, B, Z),
    # then fig.add_subplot(1, 2, 2).contour(W, B, Z); label the axes with set_xlabel and set_ylabel.
    raise NotImplementedError


def plot_path(W, B, Z, params):
    """Draw the contour map of Z with the path params over it, axes labelled w and b; return the Figure.

    params is a list of (w, b), one per iteration; draw it as a line or markers (plot or scatter), w on the x axis.
    """
    # Hint: the w of the path goes on the x axis and its b on the y axis, as in contour(W, B, Z).
    raise NotImplementedError


def plot_loss_histories(histories):
    """Draw every loss history on one Figure and return the Figure.

    histories maps a label to a list of losses, one per epoch. Draw one line per label, the epoch on
    the x axis and the loss on the y axis, with label=that label; add a legend and label both axes.
    """
    # Hint: plot each history with label=its key; then legend and axis labels.
    raise NotImplementedError
