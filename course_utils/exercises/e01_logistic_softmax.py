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
        hint="compute the prediction y_hat of every example, multiply the errors y_hat - y by the examples "
        "(one row of X each; mind which way X must be turned), and take the mean over the m examples",
    ),
    "01.softmax": Exercise(
        title="numerically stable softmax",
        reference=_softmax,
        cases=_softmax_cases,
        compare=_compare_probabilities,
        hint="each row of scores (the last axis) is one example: subtract that row's own largest score before "
        "exponentiating, then divide by that row's sum; keepdims=True keeps the shapes compatible",
    ),
    "01.logits_gradient": Exercise(
        title="gradient of the cross-entropy with respect to the scores",
        reference=_logits_gradient,
        cases=_logits_gradient_cases,
        compare=_compare_finite,
        hint="per example it is softmax(scores) minus the one-hot row of the true class; compute softmax stably "
        "(scores can be around 1000), and the loss is a mean over the m examples",
    ),
}
