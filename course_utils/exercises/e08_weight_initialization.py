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
        hint="z is a sum of independent terms w_i x_i, so their variances add up; the term w_i x_i, with x_i "
        "a fixed number, has variance var_w times x_i squared",
        atol=1e-9,
    ),
    "08.glorot_limit": Exercise(
        title="the glorot_uniform limit of a kernel",
        reference=_glorot_limit,
        cases=_shape_cases,
        hint="the last two numbers of the shape are the input and output channels (or units); every other "
        "axis is the kernel window, whose size multiplies both fans; then L = sqrt(6 / (n_in + n_out)), "
        "both fans inside one square root",
        atol=1e-9,
    ),
    "08.he_std": Exercise(
        title="the he_normal standard deviation of a kernel",
        reference=_he_std,
        cases=_shape_cases,
        hint="only n_in counts for He: the product of every axis but the last (window times input channels); "
        "the weights' standard deviation is sqrt(2 / n_in); the 0.8796 belongs to the truncated normal's "
        "stddev argument, not to the result",
        atol=1e-9,
    ),
}
