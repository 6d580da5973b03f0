"""w's gradient without the x: each error not multiplied by its x."""


def gradients(x, y, y_hat):
    error = y_hat - y
    b_grad = 2 * error.mean()
    w_grad = 2 * error.mean()
    return b_grad, w_grad
