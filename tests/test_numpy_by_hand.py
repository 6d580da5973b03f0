"""The NumPy-by-hand exercise: the reference reproduces the labs, typical mistakes lose points where they belong,
correct styles get full marks."""
import numpy as np
import pytest

from conftest import all_items, assert_mistake, assert_style, every, load_reference, mutate
from grader.specs import numpy_by_hand as spec


ref = load_reference("numpy_by_hand")


def lab_001():
    """Lab 001's own script, global RNG and all: the data, the split and the start."""
    np.random.seed(42)
    x = np.random.rand(100, 1)
    epsilon = .1 * np.random.randn(100, 1)
    y = 1 + 2 * x + epsilon
    idx = np.arange(100)
    np.random.shuffle(idx)
    train_idx, val_idx = idx[:int(100 * .8)], idx[int(100 * .8):]
    np.random.seed(42)
    b = np.random.randn(1)
    w = np.random.randn(1)
    return (x, y), (x[train_idx], y[train_idx], x[val_idx], y[val_idx]), (b, w)


def reference_001(seed=42):
    """The same with the reference's functions and a RandomState passed in."""
    rng = np.random.RandomState(seed)
    x, y = ref.make_data(rng)
    return (x, y), ref.train_val_split(x, y, rng, 0.8), ref.start(seed)


def test_a_random_state_passed_in_reproduces_the_labs_global_stream():
    for lab, ours in zip(lab_001(), reference_001()):
        for a, b in zip(lab, ours):
            assert np.array_equal(a, b)


def test_the_reference_reproduces_the_lab_figures():
    """The lab prints b, w = [0.49671415] [-0.1382643], gradients -3.044811379650508 -1.8337537171510832, and
    [0.80119529] [0.04511107] after one step with lr = 0.1. It also prints the loss 2.720278897826747, which its
    own data do not give: its code on its data gives 2.7421577700550976, and the exercise follows the code."""
    _, (x_train, y_train, _, _), (b, w) = reference_001()
    assert (str(b), str(w)) == ("[0.49671415]", "[-0.1382643]")
    y_hat = ref.predict(x_train, b, w)
    assert ref.mse(y_hat, y_train) == pytest.approx(2.7421577700550976, rel=1e-13)
    assert ref.mse(y_hat, y_train) != pytest.approx(2.720278897826747, rel=1e-4)
    b_grad, w_grad = ref.gradients(x_train, y_train, y_hat)
    assert (b_grad, w_grad) == pytest.approx((-3.044811379650508, -1.8337537171510832), rel=1e-13)
    b, w = ref.update(b, w, b_grad, w_grad, 0.1)
    assert (str(b), str(w)) == ("[0.80119529]", "[0.04511107]")


def test_the_public_cases_are_the_labs(grader):
    """The grader builds lab 001's data, training points and start, so a student sees the lab's figures in the
    public cases (the training points are data in the spec: the release must not hold the split it grades)."""
    (x, y), (x_train, y_train, _, _), (b, w) = reference_001()
    assert np.array_equal(spec.data(spec.DATA)[0], x) and np.array_equal(spec.data(spec.DATA)[1], y)
    assert all(np.array_equal(got, want) for got, want in zip(spec.training_points(spec.DATA), (x_train, y_train)))
    assert spec.LAB_START == (b.item(), w.item())
    expected = grader.expected["numpy_by_hand"]
    assert expected["mse"].outputs["loss"][0] == pytest.approx(2.7421577700550976, rel=1e-13)
    assert expected["gradients"].outputs["b_grad"][0] == pytest.approx(-3.044811379650508, rel=1e-13)
    assert expected["gradients"].outputs["w_grad"][0] == pytest.approx(-1.8337537171510832, rel=1e-13)
    assert np.round(np.add(spec.LAB_START, expected["update"].outputs["update"]), 8).tolist() == \
        [0.80119529, 0.04511107]


def test_the_no_bias_fit_finds_the_slope_of_lab_004():
    """y = 2x exactly: 100 iterations with lr = 0.001 bring a from 0.25 to 2, the loss falling at every step."""
    x, y = np.array(spec.NO_BIAS["x"]), np.array(spec.NO_BIAS["y"])
    a, losses, history = ref.train_no_bias(x, y, 0.25, 0.001, 100)
    assert a == pytest.approx(2.0, abs=1e-5) and history[0] == 0.25 and len(losses) == len(history) == 100
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))


def test_the_split_cases_have_distinct_points_and_whole_training_sizes():
    """The probe finds training points in x by value, and int() and round() agree on each case's training size."""
    for p in [item.params for item in all_items("numpy_by_hand") if item.check.name == "train_val_split"]:
        x = spec.data(p)[0]
        assert len(np.unique(x)) == len(x)
        n_train = p["n"] * p["train_fraction"]
        assert int(n_train) == round(n_train) == pytest.approx(n_train, abs=1e-9)


TRAIN_LOOP = """        y_hat = predict(x, b, w)
        losses.append(float(mse(y_hat, y)))
        b_grad, w_grad = gradients(x, y, y_hat)
        b, w = update(b, w, b_grad, w_grad, lr)
"""
NO_BIAS_LOOP = """        y_hat = a * x
        losses.append(float(np.sum((y_hat - y) ** 2) / N))
        history.append(float(a))
        gradient = (2 / N) * np.sum(x * (y_hat - y))
        a = a - lr * gradient
"""
SPLIT_BODY = """    idx = np.arange(len(x))
    rng.shuffle(idx)
    n_train = int(len(x) * train_fraction)
    train_idx, val_idx = idx[:n_train], idx[n_train:]
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]
"""


def items(check):
    return every("numpy_by_hand", check)


SPLIT, GRADIENTS, UPDATE = items("train_val_split"), items("gradients"), items("update")
TRAIN, VALIDATE, NO_BIAS = items("train"), items("train_and_validate"), items("train_no_bias")
NO_BIAS_ARRAY = NO_BIAS_LOOP.replace("history.append(float(a))", "history.append(a)").replace(
    "a = a - lr * gradient", "a -= lr * gradient")

# name: (replacements, the checks that must fail (and only those), text the first message must hold, the cause it
# names: a known mistake, else a hint)
MISTAKES = {
    "split not shuffled": (
        [("    rng.shuffle(idx)\n", "")], SPLIT, "train_idx: at training point 0: expected 76, got 0",
        "when the indices are never shuffled"),
    "split shuffled by a fresh RandomState(42)": (
        [("rng.shuffle(idx)", "np.random.RandomState(42).shuffle(idx)")], SPLIT, "train_idx: at training point 0",
        "when a RandomState(42) of its own shuffles the indices"),
    "split shuffled by the global np.random": (
        [("rng.shuffle(idx)", "np.random.shuffle(idx)")], SPLIT, "train_idx: at training point 0",
        "when the global np.random shuffles the indices"),
    "train fraction hard-coded to 0.8": (
        [("int(len(x) * train_fraction)", "int(len(x) * 0.8)")], SPLIT - {"train_val_split"},
        "x_train: expected shape (30, 1), got (32, 1)", "with the lab's train_fraction, 0.8"),
    "train and validation swapped": (
        [("idx[:n_train], idx[n_train:]", "idx[-n_train:], idx[:-n_train]")], SPLIT,
        "train_idx: at training point 0", "when the last shuffled indices train"),
    "x and y shuffled separately": (
        [(SPLIT_BODY, "    x, y = x.copy(), y.copy()\n    rng.shuffle(x)\n    rng.shuffle(y)\n"
                      "    n_train = int(len(x) * train_fraction)\n"
                      "    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]\n")],
        SPLIT, "y_train: at index 0, 0", "when x and y are shuffled separately"),
    "b and w swapped in predict": (
        [("return b + w * x", "return w + b * x")], items("predict"), "y_hat: at index 0, 0",
        "when b and w are the wrong way round"),
    "predict without the bias": (
        [("return b + w * x", "return w * x")], items("predict"), "y_hat: at index 0, 0",
        "when the predictions leave out the bias b"),
    "mse as a sum": (
        [("return (error ** 2).mean()", "return (error ** 2).sum()")], items("mse"),
        "loss: at (b, w) = (0.496714, -0.138264): expected 2.74216, got 219.373",
        "with the squared errors summed instead of averaged"),
    "mse of the absolute errors": (
        [("return (error ** 2).mean()", "return np.abs(error).mean()")], items("mse"),
        "loss: at (b, w) = (0.496714, -0.138264): expected 2.74216, got",
        "with the absolute errors instead of the squared ones"),
    "gradients without the factor 2": (
        [("    b_grad = 2 * error.mean()\n    w_grad = 2 * (x * error).mean()\n",
          "    b_grad = error.mean()\n    w_grad = (x * error).mean()\n")],
        GRADIENTS, "b_grad: at (b, w) = (0.496714, -0.138264): expected -3.04481, got -1.52241",
        "when the gradients leave out the 2 of the derivative"),
    "w_grad without the x": (
        [("w_grad = 2 * (x * error).mean()", "w_grad = 2 * error.mean()")], GRADIENTS,
        "w_grad: at (b, w) = (0.496714, -0.138264): expected -1.83375, got -3.04481",
        "when w's gradient leaves out the x of each error"),
    "b_grad as a sum": (
        [("b_grad = 2 * error.mean()", "b_grad = 2 * error.sum()")], GRADIENTS, "expected -3.04481, got -243.585",
        "when b's gradient is a sum over the points, not a mean"),
    "error as y - y_hat": (
        [("error = y_hat - y\n    b_grad", "error = y - y_hat\n    b_grad")], GRADIENTS,
        "b_grad: at (b, w) = (0.496714, -0.138264): expected -3.04481, got 3.04481",
        "when the error is y - y_hat"),
    "update goes up the gradient": (
        [("return b - lr * b_grad, w - lr * w_grad", "return b + lr * b_grad, w + lr * w_grad")], UPDATE,
        "update: b expected 0.304481, got -0.304481; w expected 0.183375, got -0.183375",
        "when the update goes up the gradient"),
    "b never updated": (
        [("return b - lr * b_grad, w - lr * w_grad", "return b, w - lr * w_grad")], UPDATE,
        "update: b expected 0.304481, got 0", "when b is never updated"),
    "lr 0.01 in update": (
        [("return b - lr * b_grad, w - lr * w_grad", "return b - 0.01 * b_grad, w - 0.01 * w_grad")], UPDATE,
        "0.1x the expected change", "the expected change: check the learning rate"),
    "lr ignored in update: the lab's 0.1 written in": (
        [("return b - lr * b_grad, w - lr * w_grad", "return b - 0.1 * b_grad, w - 0.1 * w_grad")],
        UPDATE - {"update"}, "update: b expected -0.1, got -0.2", "with the lab's learning rate, 0.1"),
    "b updated with w's gradient": (
        [("return b - lr * b_grad, w - lr * w_grad", "return b - lr * w_grad, w - lr * w_grad")], UPDATE,
        "update: b expected 0.304481, got 0.183375", "when b is updated with w's gradient"),
    "loss recorded after the update": (
        [(TRAIN_LOOP, "        y_hat = predict(x, b, w)\n        b_grad, w_grad = gradients(x, y, y_hat)\n"
                      "        b, w = update(b, w, b_grad, w_grad, lr)\n"
                      "        losses.append(float(mse(predict(x, b, w), y)))\n")],
        TRAIN, "losses: at epoch 0: expected 2.74216, got 1.63493", "when the loss is recorded after the update"),
    "epochs counted from 1": (
        [("for epoch in range(num_epochs):", "for epoch in range(1, num_epochs):")], TRAIN,
        "losses: expected 100 entries (epoch 0 to epoch 99), got 99", "with 1 epoch fewer than num_epochs"),
    "gradient ascent written out in train": (
        [("b, w = update(b, w, b_grad, w_grad, lr)", "b, w = b + lr * b_grad, w + lr * w_grad")], TRAIN,
        "losses: at epoch 1: expected 1.63493, got 4.16164", "when the update goes up the gradient"),
    "lr ignored in train: the lab's 0.1 written in": (
        [("b, w = update(b, w, b_grad, w_grad, lr)", "b, w = update(b, w, b_grad, w_grad, 0.1)")],
        TRAIN - {"train"}, "losses: at epoch 1", "with the lab's learning rate, 0.1"),
    "validation loss on the training points": (
        [("mse(predict(x_val, b, w), y_val)", "mse(predict(x_train, b, w), y_train)")], VALIDATE,
        "val_loss: expected 0.0122848, got 0.0176799", "when the validation loss is taken on the training points"),
    "validation loss of the starting (b, w)": (
        [("b, w, losses = train(x_train", "b_end, w_end, losses = train(x_train"),
         ("return b, w, losses, val_loss", "return b_end, w_end, losses, val_loss")], VALIDATE,
        "val_loss: expected 0.0122848, got 2.36804", "when the validation loss is that of the starting (b, w)"),
    "trained on all the points": (
        [("train(x_train, y_train, b, w, lr, num_epochs)", "train(x, y, b, w, lr, num_epochs)")], VALIDATE,
        "losses: at epoch 0: expected 2.74216, got", "when it trains on all the points"),
    "no-bias gradient with the wrong sign": (
        [("np.sum(x * (y_hat - y))", "np.sum(x * (y - y_hat))")], NO_BIAS,
        "history: at iteration 1: a expected 0.4796, got 0.0204", "when the gradient has the wrong sign"),
    "no-bias gradient without 1/N": (
        [("gradient = (2 / N) * np.sum", "gradient = 2 * np.sum")], NO_BIAS,
        "history: at iteration 1: a expected 0.4796, got 1.398", "when the gradient leaves out its 1/N"),
    "no-bias loss without 1/N": (
        [("float(np.sum((y_hat - y) ** 2) / N)", "float(np.sum((y_hat - y) ** 2))")], NO_BIAS,
        "losses: at iteration 0: expected 200.9, got 1004.5", "when the loss leaves out its 1/N"),
    "no-bias a recorded after the update": (
        [(NO_BIAS_LOOP, NO_BIAS_LOOP.replace("        history.append(float(a))\n", "")
          + "        history.append(float(a))\n")], NO_BIAS, "history: at iteration 0: a expected 0.25, got 0.4796",
        "when a is recorded after each update"),
    "no-bias a as an array, recorded live": (
        [("    N = len(x)\n", "    N = len(x)\n    a = np.array([a])\n"), (NO_BIAS_LOOP, NO_BIAS_ARRAY)], NO_BIAS,
        "history: at iteration 0: a expected 0.25, got 2", "when a is recorded as the live array itself"),
    "100 iterations hard-coded": (
        [("for i in range(num_iterations):", "for i in range(100):")], NO_BIAS - {"train_no_bias"},
        "losses: expected 30 entries (iteration 0 to iteration 29), got 100", "with the lab's 100 iterations"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_loses_points_on_the_check_that_owns_it(name, grade_source):
    replacements, owners, text, hint = MISTAKES[name]
    result = grade_source("numpy_by_hand", mutate("numpy_by_hand", *replacements))
    assert_mistake("numpy_by_hand", result, owners, text, hint=hint, name=name)


# name: replacements that keep the answer correct
STYLES = {
    "rng.permutation": [("idx = np.arange(len(x))\n    rng.shuffle(idx)\n", "idx = rng.permutation(len(x))\n")],
    "rows of x and y shuffled together": [
        (SPLIT_BODY, "    data = np.hstack([x, y])\n    rng.shuffle(data)\n"
                     "    n_train = int(len(x) * train_fraction)\n    train, val = data[:n_train], data[n_train:]\n"
                     "    return train[:, :1], train[:, 1:], val[:, :1], val[:, 1:]\n")],
    "sums divided by n": [
        ("return (error ** 2).mean()", "return np.sum(error ** 2) / len(y)"),
        ("b_grad = 2 * error.mean()", "b_grad = 2 * np.sum(error) / len(x)"),
        ("w_grad = 2 * (x * error).mean()", "w_grad = 2 / len(x) * np.sum(x * error)")],
    "np.dot and @, 1x1 arrays back": [
        ("return b + w * x", "return x @ np.reshape(w, (1, 1)) + b"),
        ("return (error ** 2).mean()", "return error.T @ error / len(y)"),
        ("b_grad = 2 * error.mean()", "b_grad = 2 * np.ones(len(x)) @ error / len(x)"),
        ("w_grad = 2 * (x * error).mean()", "w_grad = 2 * np.dot(x.T, error) / len(x)"),
        ("losses.append(float(mse(y_hat, y)))", "losses.append(mse(y_hat, y).item())")],
    "loops over the points": [
        ("    error = y_hat - y\n    return (error ** 2).mean()\n",
         "    total = 0.0\n    for i in range(len(y)):\n        total += (y_hat[i, 0] - y[i, 0]) ** 2\n"
         "    return total / len(y)\n"),
        ("    error = y_hat - y\n    b_grad = 2 * error.mean()\n    w_grad = 2 * (x * error).mean()\n",
         "    b_grad, w_grad = 0.0, 0.0\n    for x_i, y_i, y_hat_i in zip(x[:, 0], y[:, 0], y_hat[:, 0]):\n"
         "        b_grad += 2 * (y_hat_i - y_i) / len(x)\n        w_grad += 2 * x_i * (y_hat_i - y_i) / len(x)\n"),
        (NO_BIAS_LOOP, "        loss, gradient = 0.0, 0.0\n        for x_i, y_i in zip(x, y):\n"
                       "            loss += (a * x_i - y_i) ** 2 / N\n"
                       "            gradient += 2 * x_i * (a * x_i - y_i) / N\n"
                       "        losses.append(loss)\n        history.append(a)\n        a -= lr * gradient\n")],
    "Python floats everywhere": [
        ("return b - lr * b_grad, w - lr * w_grad",
         "return np.asarray(b - lr * b_grad).item(), np.asarray(w - lr * w_grad).item()"),
        ("    return b_grad, w_grad\n", "    return float(b_grad), float(w_grad)\n"),
        ("return (error ** 2).mean()", "return float((error ** 2).mean())"),
        ("    losses = []\n    for epoch", "    losses = []\n    b, w = float(b[0]), float(w[0])\n    for epoch"),
        ("    return a, losses, history\n", "    return float(a), losses, history\n")],
    "arrays of shape (1,) everywhere": [
        ("losses.append(float(mse(y_hat, y)))", "losses.append(((y_hat - y) ** 2).mean(axis=0))"),
        ("    return (error ** 2).mean()\n", "    return (error ** 2).mean(axis=0)\n"),
        ("    N = len(x)\n", "    N = len(x)\n    a = np.array([a])\n"),
        ("history.append(float(a))", "history.append(a.copy())"),
        ("losses.append(float(np.sum((y_hat - y) ** 2) / N))",
         "losses.append(np.sum((y_hat - y) ** 2, keepdims=True) / N)")],
    "update in place": [("    return b - lr * b_grad, w - lr * w_grad\n",
                         "    b -= lr * b_grad\n    w -= lr * w_grad\n    return b, w\n")],
    "train written out, losses as an array": [
        (TRAIN_LOOP, "        error = b + w * x - y\n        losses.append(np.mean(error ** 2))\n"
                     "        b = b - lr * 2 * np.mean(error)\n        w = w - lr * 2 * np.mean(x * error)\n"),
        ("    return b, w, losses\n", "    return b, w, np.array(losses)\n")],
    "train_and_validate written out": [
        ("    x_train, y_train, x_val, y_val = train_val_split(x, y, rng, train_fraction)\n"
         "    b, w, losses = train(x_train, y_train, b, w, lr, num_epochs)\n"
         "    val_loss = mse(predict(x_val, b, w), y_val)\n",
         "    idx = rng.permutation(len(x))\n    n_train = int(train_fraction * len(x))\n"
         "    x_train, y_train = x[idx[:n_train]], y[idx[:n_train]]\n"
         "    losses = []\n    for epoch in range(num_epochs):\n        error = b + w * x_train - y_train\n"
         "        losses.append((error ** 2).mean())\n"
         "        b, w = b - lr * 2 * error.mean(), w - lr * 2 * (x_train * error).mean()\n"
         "    val_loss = np.mean((b + w * x[idx[n_train:]] - y[idx[n_train:]]) ** 2)\n")],
    "no-bias fit vectorised with np.mean, a dict back": [
        ("losses.append(float(np.sum((y_hat - y) ** 2) / N))", "losses.append(np.mean((y_hat - y) ** 2))"),
        ("gradient = (2 / N) * np.sum(x * (y_hat - y))", "gradient = 2 * np.mean(x * (y_hat - y))"),
        ("    return a, losses, history\n", '    return {"a": a, "losses": losses, "history": history}\n')],
}


@pytest.mark.parametrize("name", STYLES)
def test_correct_style_gets_full_marks(name, grade_source):
    result = grade_source("numpy_by_hand", mutate("numpy_by_hand", *STYLES[name]))
    assert_style("numpy_by_hand", result)
