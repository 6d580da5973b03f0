"""b's gradient summed over the points, not averaged."""


def gradients(x, y, y_hat):
    error = y_hat - y
    b_grad = 2 * error.sum()
    w_grad = 2 * (x * error).mean()
    return b_grad, w_grad
