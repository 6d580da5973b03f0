"""forward without the bias: x @ weight.T."""
from torch import nn


class LinearRegression(nn.Module):
    def __init__(self, input_size, output_size):
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x):
        return x @ self.linear.weight.T
