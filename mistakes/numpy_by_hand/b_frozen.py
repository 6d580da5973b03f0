"""b is never updated."""


def update(b, w, b_grad, w_grad, lr):
    return b, w - lr * w_grad
