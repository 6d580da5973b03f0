"""The autograd way started at random, torch.randn(1, requires_grad=True), as in the lab."""
import torch


def compare_ways(x, y, a=0.25, lr=0.001, num_iterations=100):
    a_autograd = torch.randn(1, requires_grad=True)
    autograd_fit = train_autograd(x, y, a_autograd, lr, num_iterations)
    nn_fit = train_nn(x, y, make_model(a), lr, num_iterations)
    return {"autograd": autograd_fit.history, "nn": nn_fit.history}
