"""The gradients without the 2 of the derivative of the square."""


def gradients(x, y, y_hat):
    error = y_hat - y
    b_grad = error.mean()
    w_grad = (x * error).mean()
    return b_grad, w_grad
