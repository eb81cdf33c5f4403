"""Typical mistakes in the exercises of notebook 08 (joined to test_exercises.MISTAKES)."""

import numpy as np


def _fans(shape):
    window = int(np.prod(shape[:-2]))
    return window * shape[-2], window * shape[-1]


def _stack(x, kernels, activation, *, gain=None, fan=0, before_activation=False, one_behind=False, variance=False):
    h, stds, factors = x, [], []
    g = (0.5 if activation == "relu" else 1.0) if gain is None else gain
    for W in kernels:
        z = h @ W
        previous = h
        h = np.maximum(z, 0) if activation == "relu" else np.tanh(z)
        stds.append((z if before_activation else previous if one_behind else h).std())
        factor = W.shape[fan] * W.var() * g
        factors.append(factor if variance else np.sqrt(factor))
    return np.array(stds), np.array(factors)


MISTAKES = {
    "08.kernel_scales": [
        lambda shape: (np.sqrt(6 / (shape[-2] + shape[-1])), np.sqrt(2 / shape[-2])),  # forgets the kernel window
        lambda shape: (np.sqrt(6 / _fans(shape)[0]), np.sqrt(2 / _fans(shape)[0])),  # Glorot with fan_in only
        lambda shape: (6 / (np.sqrt(_fans(shape)[0]) + np.sqrt(_fans(shape)[1])), np.sqrt(2 / _fans(shape)[0])),
        lambda shape: (2 / sum(_fans(shape)), np.sqrt(2 / _fans(shape)[0])),  # the variance, not the limit
        lambda shape: (np.sqrt(6 / sum(_fans(shape))), np.sqrt(2 / _fans(shape)[0]) / 0.87962566103423978),
        lambda shape: (np.sqrt(6 / sum(_fans(shape))), np.sqrt(2 / sum(_fans(shape)))),  # He with Glorot's fans
    ],
    "08.forward_stds": [
        lambda x, kernels, activation: _stack(x, kernels, activation, gain=1.0),  # forgets ReLU's 1/2
        lambda x, kernels, activation: _stack(x, kernels, activation, fan=1),  # n_out instead of n_in
        lambda x, kernels, activation: _stack(x, kernels, activation, before_activation=True),  # std of z, not h
        lambda x, kernels, activation: _stack(x, kernels, activation, one_behind=True),  # the layer's input std
        lambda x, kernels, activation: _stack(x, kernels, activation, variance=True),  # the power, not the std
    ],
}
