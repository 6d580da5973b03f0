"""The update goes up the gradient."""


def update(b, w, b_grad, w_grad, lr):
    return b + lr * b_grad, w + lr * w_grad
