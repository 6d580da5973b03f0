"""The error taken as y - y_hat: the gradients have the wrong sign."""


def gradients(x, y, y_hat):
    error = y - y_hat
    b_grad = 2 * error.mean()
    w_grad = 2 * (x * error).mean()
    return b_grad, w_grad
