"""Exercises of notebook 01 (logistic and softmax regression)."""

import numpy as np

from . import Exercise, _compare


def _logistic_gradient(X, y, theta):
    y_hat = 1 / (1 + np.exp(-(X @ theta)))
    return X.T @ (y_hat - y) / len(y)


def _logistic_gradient_cases(rng):
    cases = []
    for m, n in [(1, 2), (8, 3), (5, 5), (30, 4), (2, 6), (50, 1)]:
        X = np.hstack([np.ones((m, 1)), rng.normal(size=(m, n - 1))])
        y = rng.integers(0, 2, size=m).astype(float)
        cases.append(((X, y, rng.normal(scale=2.0, size=n)), {}))
    return cases


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_NOT_FINITE = "the result holds nan or inf values (with scores near 1000 or -1000, exp overflows or underflows)"


def _compare_finite(got, expected):
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is not None and values.shape == np.shape(expected) and not np.all(np.isfinite(values)):
        return _NOT_FINITE
    return _compare(got, expected, 1e-6)


def _logits_gradient(scores, labels):
    return (_softmax(scores) - np.eye(scores.shape[1])[labels]) / len(labels)


def _logits_gradient_cases(rng):
    cases = []
    for m, k, scale in [(1, 2, 1.0), (5, 10, 1.0), (3, 3, 1.0), (4, 3, 1.0), (8, 5, 500.0), (20, 12, 3.0)]:
        cases.append(((rng.normal(scale=scale, size=(m, k)), rng.integers(0, k, size=m)), {}))
    cases.append(((np.array([[1000.0, 1001.0, 1000.0], [0.0, 0.0, 0.0]]), np.array([0, 2])), {}))
    return cases


def _sgd_epoch(W, b, x, y, order, batch_size, learning_rate, logits_gradient):
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]  # the last batch may be smaller
        x_batch, y_batch = x[batch], y[batch]
        grad_scores = logits_gradient(x_batch @ W + b, y_batch)  # with the weights after the previous step
        W = W - learning_rate * (x_batch.T @ grad_scores)
        b = b - learning_rate * grad_scores.sum(axis=0)
    return W, b


def _sgd_epoch_kind(m, batch_size) -> str:
    """What a case of one SGD epoch tests, for the check's message."""
    if batch_size == 1:
        kind = "batch_size 1 (one example per step)"
    elif batch_size >= m:
        kind = "a single batch holding every example (batch_size >= m)"
    elif m % batch_size:
        kind = "a last batch smaller than batch_size"
    else:
        kind = "batches that tile the data exactly"
    return f"{kind}; m = {m}, batch_size = {batch_size}"


def _sgd_epoch_cases(rng):
    sizes = [(10, 3), (12, 4), (7, 1), (9, 9), (5, 8), (23, 5), (16, 16), (40, 6)]  # (m, batch_size)
    sizes += [(int(m), int(rng.integers(1, m + 3))) for m in rng.integers(4, 40, size=6)]
    cases = []
    for m, batch_size in sizes:
        n, k = int(rng.integers(2, 7)), int(rng.integers(2, 6))
        if n == k:
            n += 1  # W not square: a transposed gradient cannot slip through
        W, b = rng.normal(size=(n, k)), rng.normal(size=k)
        x, y = rng.normal(size=(m, n)), rng.integers(0, k, size=m)
        order = rng.permutation(m)
        while m > 1 and np.array_equal(order, np.arange(m)):
            order = rng.permutation(m)  # the stored order would hide an ignored `order`
        args = (W, b, x, y, order, batch_size, float(rng.uniform(0.1, 2.0)), _logits_gradient)
        cases.append((args, {}, _sgd_epoch_kind(m, batch_size)))
    return cases


EXERCISES = {
    "01.logistic_gradient": Exercise(
        title="gradient of the logistic regression loss",
        reference=_logistic_gradient,
        cases=_logistic_gradient_cases,
        hint="the gradient of J is the mean over the m examples of the one-example gradient of section 4; the trap is "
        "the shapes: X is (m, n), there is one error per example, and the result needs one number per parameter",
        recipe="compute the scores X theta and pass them through the sigmoid to get y_hat, shape (m,); take the "
        "errors y_hat - y; combine X and the errors in one matrix product so that entry j adds up error times x_j "
        "over the examples (X has to be turned for the shapes to fit, and the result must be (n,)); finally turn that "
        "sum into a mean",
    ),
    "01.logits_gradient": Exercise(
        title="gradient of the cross-entropy with respect to the scores",
        reference=_logits_gradient,
        cases=_logits_gradient_cases,
        compare=_compare_finite,
        hint="row i of the gradient compares what the model predicts for example i (its softmax probabilities) with "
        "what its label says (a one-hot row), and the loss is a mean over the m examples; scores can be around 1000, "
        "so the softmax must be the stable one",
        recipe="compute the stable softmax of every row (subtract the row's largest score first, as in section 5); "
        "build the one-hot matrix of the labels, shape (m, K), for instance by indexing the rows of np.eye(K) with "
        "labels; take the difference of the two matrices and account for the mean over the m examples",
    ),
    "01.sgd_epoch": Exercise(
        title="one epoch of mini-batch SGD",
        reference=_sgd_epoch,
        cases=_sgd_epoch_cases,
        hint="an epoch visits every example once, in the order it is given, batch_size examples at a time, and the "
        "last batch keeps whatever is left; each batch makes one step, and each step starts from the weights the "
        "previous step left",
        recipe="loop over start positions 0, batch_size, 2 batch_size, ... while they are below len(order); the "
        "batch is the slice of `order` from there, and it names the rows of x and the labels of y to use; compute "
        "that batch's scores with the current W and b and pass them to logits_gradient (it already takes the mean "
        "over the batch); turn its result into the gradient of W (same shape as W) and of b (one number per "
        "class, adding up the batch's rows) as in section 6, step both against their gradients, and return W and "
        "b after the last batch",
    ),
}
