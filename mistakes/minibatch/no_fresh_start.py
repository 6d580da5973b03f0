"""One pair of parameters for every method: each starts where the one before stopped."""


def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):
    w, b = start(w, b)
    histories = {
        "batch": train_batch(X, y, w, b, lr, num_epochs).losses,
        "stochastic": train_stochastic(X, y, w, b, lr, num_epochs).losses,
    }
    for batch_size in (5, 10, 20):
        fit = train_minibatch(X, y, w, b, lr, num_epochs, batch_size)
        histories[f"mini-batch {batch_size}"] = fit.losses
    return histories
