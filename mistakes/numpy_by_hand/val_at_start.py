"""The validation loss of the (b, w) training started from, not of the trained ones."""


def train_and_validate(x, y, rng, b, w, lr=0.1, num_epochs=100, train_fraction=0.8):
    x_train, y_train, x_val, y_val = train_val_split(x, y, rng, train_fraction)
    b_end, w_end, losses = train(x_train, y_train, b, w, lr, num_epochs)
    val_loss = mse(predict(x_val, b, w), y_val)
    return b_end, w_end, losses, val_loss
