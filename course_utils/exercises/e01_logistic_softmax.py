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


def _softmax_cases(rng):
    cases = [
        np.array([1.0, 2.0, 3.0]),
        np.array([1001.0, 1002.0, 1003.0]),  # e^1000 overflows
        np.array([[1000.0, 1000.0], [-1000.0, -999.0]]),  # and e^-1000 underflows to 0
        np.array([[1000.0, 1001.0, 999.0], [0.0, 1.0, -1.0]]),  # rows a thousand apart
        np.array([[5.0]]),  # one class: probability 1
        rng.normal(size=(4, 3)),  # more rows than classes ...
        rng.normal(size=(3, 4)),  # ... and fewer
        rng.normal(scale=400.0, size=(6, 10)),
        rng.normal(scale=3.0, size=(2, 5, 7)),  # a batch of batches: softmax over the last axis
    ]
    return [((z,), {}) for z in cases]


_NOT_FINITE = "the result holds nan or inf values (with scores near 1000 or -1000, exp overflows or underflows)"


def _compare_probabilities(got, expected):
    """Say so when the result holds nan or inf (an exponential overflowed), or when its rows do not sum to 1."""
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is not None and values.shape == np.shape(expected):
        if not np.all(np.isfinite(values)):
            return _NOT_FINITE
        if not np.allclose(values.sum(axis=-1), 1.0):
            return "the shape is right, but the probabilities of a row (the last axis) do not sum to 1"
    return _compare(got, expected, 1e-6)


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
    "01.softmax": Exercise(
        title="numerically stable softmax",
        reference=_softmax,
        cases=_softmax_cases,
        compare=_compare_probabilities,
        hint="softmax gives the same probabilities if one number is subtracted from every score of a row, and the "
        "right choice of that number keeps exp from overflowing; each row (the last axis) is one example, so work "
        "along that axis only",
        recipe="find each row's largest score along the last axis (keepdims=True lets it broadcast against the "
        "scores), shift the row by it, exponentiate, and normalize by the row's sum along the same axis, again with "
        "keepdims=True",
    ),
    "01.logits_gradient": Exercise(
        title="gradient of the cross-entropy with respect to the scores",
        reference=_logits_gradient,
        cases=_logits_gradient_cases,
        compare=_compare_finite,
        hint="row i of the gradient compares what the model predicts for example i (its softmax probabilities) with "
        "what its label says (a one-hot row), and the loss is a mean over the m examples; scores can be around 1000, "
        "so the softmax must be the stable one",
        recipe="compute the stable softmax of every row (subtract the row's largest score first, as in exercise 2); "
        "build the one-hot matrix of the labels, shape (m, K), for instance by indexing the rows of np.eye(K) with "
        "labels; take the difference of the two matrices and account for the mean over the m examples",
    ),
}
