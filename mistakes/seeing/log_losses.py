"""The log of each loss plotted, not the loss."""
import matplotlib.pyplot as plt
import numpy as np


def plot_loss_histories(histories):
    fig, ax = plt.subplots()
    for label, losses in histories.items():
        ax.plot(np.log(losses), label=label)
    ax.set(title="Loss at the start of each epoch", xlabel="epoch", ylabel="loss")
    ax.legend()
    return fig
