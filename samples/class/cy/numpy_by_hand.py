"""Linear regression by hand with NumPy.

Fit the line y = b + w * x to 100 noisy points drawn around b = 1, w = 2, with
gradient descent written out in NumPy: predict, measure the mean squared error (MSE),
compute its gradients with respect to b and w, and step against them with lr = 0.1.
80 shuffled points train the line; the other 20 validate it.

Randomness comes from a ``np.random.RandomState`` passed in as ``rng``, never from the
global ``np.random`` functions: ``rng = np.random.RandomState(42)`` then ``rng.rand(...)``
gives the same numbers as the lab's ``np.random.seed(42)`` then ``np.random.rand(...)``.
The lab starts from b, w = start(42), that is [0.49671415] and [-0.1382643].

Last, the same descent for a line through the origin, y = a * x (no bias), on five
points: the NumPy way of fitting a, which the ``autograd`` exercise redoes with PyTorch.
"""
import numpy as np


def make_data(rng, n=100, true_b=1.0, true_w=2.0):
    """The lab's data: x of shape (n, 1), uniform in [0, 1), and y = true_b + true_w * x + 0.1 * noise."""
    x = rng.rand(n, 1)
    epsilon = 0.1 * rng.randn(n, 1)
    y = true_b + true_w * x + epsilon
    return x, y


def start(seed=42):
    """The lab's random start: b and w, two arrays of shape (1,) drawn in that order from RandomState(seed)."""
    rng = np.random.RandomState(seed)
    b = rng.randn(1)
    w = rng.randn(1)
    return b, w


def train_val_split(x, y, rng, train_fraction=0.8):
    """Shuffle the indices of the n points with rng; the first int(n * train_fraction) train, the rest validate.

    Returns x_train, y_train, x_val, y_val: the rows of x and y (shape (n, 1)) at those indices, in shuffled order.
    """
    # Hint: idx = np.arange(n), then rng.shuffle(idx) (rng.permutation(n) gives the same order).
    # Use rng, not np.random, so that the split follows on from the numbers that made the data.
    raise NotImplementedError


def predict(x, b, w):
    """Predictions y_hat = b + w * x, of the same shape as x, (n, 1)."""
    # Hint: b and w are arrays of shape (1,) (or plain numbers): they broadcast over x.
    raise NotImplementedError


def mse(y_hat, y):
    """Mean squared error between y_hat and y (both of shape (n, 1)), as one number."""
    raise NotImplementedError


def gradients(x, y, y_hat):
    """Gradients of the MSE of y_hat = b + w * x with respect to b and w, for x, y, y_hat of shape (n, 1).

    Returns (b_grad, w_grad), two numbers.
    """
    # Hint: with error = y_hat - y, the loss is the mean of error ** 2. Differentiate it:
    # d y_hat / d b = 1 and d y_hat / d w = x.
    raise NotImplementedError


def update(b, w, b_grad, w_grad, lr):
    """One gradient-descent step: returns the new (b, w), each moved by -lr times its gradient."""
    # Hint: subtract: the gradient points uphill.
    raise NotImplementedError


def train(x, y, b, w, lr=0.1, num_epochs=100):
    """Batch gradient descent from (b, w): one update per epoch, on all of x, y (shape (n, 1)).

    Returns (b, w, losses): the final b and w, and losses[i], the MSE on x, y just before update i.
    """
    # Hint: each epoch, predict, record the loss, compute the gradients, then update (b, w),
    # with the functions above or written out.
    raise NotImplementedError


def train_and_validate(x, y, rng, b, w, lr=0.1, num_epochs=100, train_fraction=0.8):
    """Split x, y with rng, train from (b, w) on the training points, then score the result on the others.

    Returns (b, w, losses, val_loss): what train returns for the training points, and the MSE of the
    final b, w on the validation points.
    """
    # Hint: the validation loss uses the points train never saw, and the b, w after training.
    raise NotImplementedError


def train_no_bias(x, y, a, lr=0.001, num_iterations=100):
    """Gradient descent for y_hat = a * x (no bias) on 1-D arrays x, y of N points, from the number a.

    Returns (a, losses, history): the final a, and for each iteration i, just before update i,
    losses[i] = (1/N) * sum((a*x - y)**2) and history[i] = a. The gradient is (2/N) * sum(x * (a*x - y)).
    """
    # Hint: record the loss and a before you update a.
    raise NotImplementedError
