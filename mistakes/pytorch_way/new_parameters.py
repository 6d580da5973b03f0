"""New nn.Parameters in place of the model's: an optimizer made before no longer moves them."""
import torch
from torch import nn


def set_parameters(model, w, b):
    model.linear.weight = nn.Parameter(torch.tensor([[float(w)]]))
    model.linear.bias = nn.Parameter(torch.tensor([float(b)]))
