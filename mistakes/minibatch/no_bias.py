"""The predictions without the bias."""


def forward(X, w, b):
    return w * X
