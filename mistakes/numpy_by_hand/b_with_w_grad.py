"""b is updated with w's gradient."""


def update(b, w, b_grad, w_grad, lr):
    return b - lr * w_grad, w - lr * w_grad
