"""w = w - lr * w.grad: new tensors bound to the local names, the ones given left as they were."""


def step(w, b, lr):
    w = w - lr * w.grad
    b = b - lr * b.grad
