"""Typical mistakes of notebook 01's exercises (tests/test_exercises.py loads MISTAKES from here)."""

import numpy as np


def _epoch(W, b, x, y, order, batch_size, learning_rate, logits_gradient, *, starts=None, rows=None,
           scale=lambda size: 1, bias="sum", stale=False, once=False):  # fmt: skip
    """One epoch of mini-batch SGD with one typical mistake switched on (the right loop with every switch off)."""
    m = len(order)
    starts = range(0, m, batch_size) if starts is None else starts(m, batch_size)
    scores_before = x @ W + b  # the scores of every example with the weights before the epoch
    for start in starts:
        batch = order[start : start + batch_size] if rows is None else rows(order, start, batch_size)
        x_batch, y_batch = x[batch], y[batch]
        scores = scores_before[batch] if stale else x_batch @ W + b
        grad = scale(len(batch)) * logits_gradient(scores, y_batch)
        W = W - learning_rate * (x_batch.T @ grad)
        b = b - learning_rate * (grad.sum(axis=0) if bias == "sum" else grad.mean(axis=0))
        if once:
            break
    return W, b


def _labels_in_stored_order(W, b, x, y, order, batch_size, learning_rate, logits_gradient):
    # shuffles the images but takes the labels in their stored order: every batch pairs images with wrong labels
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        x_batch, y_batch = x[batch], y[start : start + batch_size]
        grad = logits_gradient(x_batch @ W + b, y_batch)
        W = W - learning_rate * (x_batch.T @ grad)
        b = b - learning_rate * grad.sum(axis=0)
    return W, b


MISTAKES = {
    "01.sgd_epoch": [
        # no shuffling: ignores `order` and visits the examples in their stored order
        lambda *a: _epoch(*a, rows=lambda order, start, bs: np.arange(start, min(start + bs, len(order)))),
        # the last, smaller batch dropped: range(0, m - batch_size + 1, batch_size)
        lambda *a: _epoch(*a, starts=lambda m, bs: range(0, m - bs + 1, bs)),
        # a sum over the batch instead of the mean: the gradient times the batch's size
        lambda *a: _epoch(*a, scale=lambda size: size),
        # the mean taken twice: logits_gradient already divides by the batch's size
        lambda *a: _epoch(*a, scale=lambda size: 1 / size),
        # the bias gradient as the mean of G's rows instead of their sum
        lambda *a: _epoch(*a, bias="mean"),
        # stale gradients: every batch's scores computed once, with the weights before the epoch
        lambda *a: _epoch(*a, stale=True),
        # `return` indented into the loop: one step per epoch
        lambda *a: _epoch(*a, once=True),
        _labels_in_stored_order,
    ],
}
