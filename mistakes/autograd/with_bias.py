"""nn.Linear(1, 1) with its bias."""
from torch import nn


def make_model(a):
    model = nn.Linear(in_features=1, out_features=1, bias=True)
    nn.init.constant_(model.weight, a)
    return model
