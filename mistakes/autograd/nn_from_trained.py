"""The nn way started from the a the autograd way ended with."""
import torch


def compare_ways(x, y, a=0.25, lr=0.001, num_iterations=100):
    a_autograd = torch.tensor([a], requires_grad=True)
    autograd_fit = train_autograd(x, y, a_autograd, lr, num_iterations)
    nn_fit = train_nn(x, y, make_model(a_autograd.item()), lr, num_iterations)
    return {"autograd": autograd_fit.history, "nn": nn_fit.history}
