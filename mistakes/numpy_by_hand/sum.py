"""The squared errors summed, not averaged."""


def mse(y_hat, y):
    error = y_hat - y
    return (error ** 2).sum()
