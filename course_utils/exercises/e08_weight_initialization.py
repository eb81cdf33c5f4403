"""Exercises of notebook 08 (weight initialization)."""

import numpy as np

from . import Exercise


def _variance_of_sum(x, var_w):
    return var_w * np.sum(np.square(x))


def _variance_cases(rng):
    cases = [((np.ones(250), 1.0), {}), ((np.ones(250), 1 / 250), {}), ((np.array([1.0, -2.0, 3.0]), 0.5), {})]
    for n in (1, 10, 64, 400):
        cases.append(((rng.normal(0, 2, size=n), float(rng.uniform(0.01, 3.0))), {}))
    return cases


def _fans(shape):
    receptive_field = int(np.prod(shape[:-2]))  # 1 for a Dense kernel (n_in, n_out)
    return receptive_field * shape[-2], receptive_field * shape[-1]


def _glorot_limit(shape):
    fan_in, fan_out = _fans(shape)
    return float(np.sqrt(6 / (fan_in + fan_out)))


def _he_std(shape):
    fan_in, _ = _fans(shape)
    return float(np.sqrt(2 / fan_in))


def _shape_cases(rng):
    cases = [(((250, 100),), {}), (((3, 3, 8, 16),), {}), (((500, 2000),), {}), (((64, 64),), {})]
    for _ in range(3):
        n_in, n_out = int(rng.integers(1, 1000)), int(rng.integers(1, 1000))
        cases.append((((n_in, n_out),), {}))
    for _ in range(4):
        k, c_in, c_out = int(rng.choice([1, 3, 5, 7])), int(rng.integers(1, 257)), int(rng.integers(1, 257))
        cases.append((((k, k, c_in, c_out),), {}))
    cases += [(((5, 4, 32),), {}), (((3, 3, 3, 16, 8),), {}), (((1, 7, 3, 64),), {})]  # Conv1D, Conv3D, 1 x 7
    return cases


EXERCISES = {
    "08.variance_of_sum": Exercise(
        title="the variance of a weighted sum",
        reference=_variance_of_sum,
        cases=_variance_cases,
        hint="the weights are independent with mean 0 while the inputs x_i are fixed numbers: think about what a "
        "constant factor does to a variance, and about what happens to the variances of independent terms when they "
        "are added",
        recipe="find the variance of one term w_i x_i (how does a constant factor come out of a variance?), then "
        "combine the terms over i, which independence lets you do by adding their variances; one NumPy sum over the "
        "array x does it; return a number, not an array",
        atol=1e-9,
    ),
    "08.glorot_limit": Exercise(
        title="the glorot_uniform limit of a kernel",
        reference=_glorot_limit,
        cases=_shape_cases,
        hint="Glorot balances the forward and the backward pass, so the limit depends on both fans; for a convolution "
        "a fan is not just a channel count, because every cell of the kernel window adds a connection",
        recipe="read the shape from the end: the last axis is the output channels (or units), the one before it the "
        "input channels, and every earlier axis belongs to the kernel window; multiply the window's sizes (np.prod of "
        "the leading axes, 1 for a Dense kernel), multiply both channel counts by it to get n_in and n_out, and "
        "evaluate the limit of section 4 with both fans under one square root; return a float",
        atol=1e-9,
    ),
    "08.he_std": Exercise(
        title="the he_normal standard deviation of a kernel",
        reference=_he_std,
        cases=_shape_cases,
        hint="He looks only at the fan-in, the number of weights that feed one output value, which for a convolution "
        "includes the whole kernel window; the value asked for is the standard deviation of the weights drawn, not "
        "the stddev argument Keras gives its truncated normal",
        recipe="get n_in as the product of every axis of the shape except the last (window times input channels); "
        "take He's variance in terms of n_in from section 3 and return its square root as a float, with no 0.8796 "
        "factor",
        atol=1e-9,
    ),
}
