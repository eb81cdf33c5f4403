"""Typical mistakes in the exercises of notebook 00 (backpropagation by hand): the checks must catch each one."""

import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _backprop_variant(p, x, t, mistake=None):
    """The batched backward pass of the 2-layer sigmoid network, with one typical mistake made."""
    net_h = x @ p["W1"] + p["b1"]
    out_h = _sigmoid(net_h)
    net_o = out_h @ p["W2"] + p["b2"]
    out_o = _sigmoid(net_o)
    error = (t - out_o) if mistake == "sign" else (out_o - t)
    if mistake == "slope of net":  # the sigmoid's derivative written with net instead of out
        slope_o, slope_h = net_o * (1 - net_o), net_h * (1 - net_h)
    else:
        slope_o, slope_h = out_o * (1 - out_o), out_h * (1 - out_h)
    delta_2 = error * slope_o
    back = delta_2 @ (p["W2"] if mistake == "no transpose" else p["W2"].T)
    delta_1 = back if mistake == "no hidden slope" else back * slope_h
    grads = {"W1": x.T @ delta_1, "b1": delta_1.sum(axis=0), "W2": out_h.T @ delta_2, "b2": delta_2.sum(axis=0)}
    if mistake == "first example's bias":  # delta[0]: right for one example only
        grads["b1"], grads["b2"] = delta_1[0], delta_2[0]
    if mistake == "bias per example":  # the deltas themselves, one row per example
        grads["b1"], grads["b2"] = delta_1, delta_2
    if mistake == "mean":  # the mean over the batch, while E is the sum
        grads = {name: g / len(x) for name, g in grads.items()}
    if mistake == "delta.T @ input":  # the kernel gradients turned the other way round
        grads["W1"], grads["W2"] = delta_1.T @ x, delta_2.T @ out_h
    return grads


MISTAKES = {
    "00.backprop": [
        lambda p, x, t, mistake=mistake: _backprop_variant(p, x, t, mistake)
        for mistake in ("sign", "slope of net", "no transpose", "no hidden slope", "first example's bias",
                        "bias per example", "mean", "delta.T @ input")  # fmt: skip
    ],
}
