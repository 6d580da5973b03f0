"""The loss recorded after the update, for the (b, w) it moved to."""


def train(x, y, b, w, lr=0.1, num_epochs=100):
    losses = []
    for epoch in range(num_epochs):
        y_hat = predict(x, b, w)
        b_grad, w_grad = gradients(x, y, y_hat)
        b, w = update(b, w, b_grad, w_grad, lr)
        losses.append(float(mse(predict(x, b, w), y)))
    return b, w, losses
