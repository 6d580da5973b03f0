"""Trained on all the points, not on the training ones only."""


def train_and_validate(x, y, rng, b, w, lr=0.1, num_epochs=100, train_fraction=0.8):
    x_train, y_train, x_val, y_val = train_val_split(x, y, rng, train_fraction)
    b, w, losses = train(x, y, b, w, lr, num_epochs)
    val_loss = mse(predict(x_val, b, w), y_val)
    return b, w, losses, val_loss
