"""Exercises of notebook 10 (batch normalization)."""

import numpy as np

from . import Exercise


def _batch_norm_train(x, gamma, beta, epsilon):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _moving_update(moving_mean, moving_variance, x, momentum):
    return (momentum * moving_mean + (1 - momentum) * x.mean(axis=0),
            momentum * moving_variance + (1 - momentum) * x.var(axis=0))


def _batch_norm_inference(x, gamma, beta, moving_mean, moving_variance, epsilon):
    return gamma * (x - moving_mean) / np.sqrt(moving_variance + epsilon) + beta


def _batch(rng, m, c):
    """A batch (m, c) whose features have different means and spreads, one of them nearly constant."""
    scale = rng.uniform(0.3, 3.0, size=c)
    scale[0] = 0.01  # variance 1e-4, below epsilon: forgetting epsilon shows
    return rng.normal(rng.uniform(-3, 3, size=c), scale, size=(m, c))


def _shapes(rng):
    return [(16, 3), (2, 4), (1, 3), (32, 1), (64, 8)] + [(int(rng.integers(2, 50)), int(rng.integers(1, 10)))
                                                          for _ in range(4)]


def _train_cases(rng):
    cases = []
    for m, c in _shapes(rng):
        gamma, beta = rng.uniform(0.5, 2.0, size=c), rng.normal(size=c)
        cases.append(((_batch(rng, m, c), gamma, beta, float(rng.choice([1e-3, 1e-5, 0.1]))), {}))
    return cases


def _moving_cases(rng):
    cases = [((np.zeros(3), np.ones(3), _batch(rng, 16, 3), 0.99), {})]
    for m, c in _shapes(rng)[1:]:
        moving = (rng.normal(size=c), rng.uniform(0.1, 3.0, size=c))
        cases.append(((*moving, _batch(rng, m, c), float(rng.choice([0.99, 0.9, 0.5]))), {}))
    return cases


def _inference_cases(rng):
    cases = []
    for m, c in _shapes(rng):
        gamma, beta = rng.uniform(0.5, 2.0, size=c), rng.normal(size=c)
        moving_mean, moving_variance = rng.normal(size=c), rng.uniform(0.1, 3.0, size=c)
        moving_variance[0] = 1e-4  # below epsilon
        cases.append(((_batch(rng, m, c), gamma, beta, moving_mean, moving_variance, float(rng.choice([1e-3, 0.1]))),
                      {}))
    return cases


EXERCISES = {
    "10.batch_norm_train": Exercise(
        title="batch normalization in training mode",
        reference=_batch_norm_train,
        cases=_train_cases,
        hint="each feature (column) is standardized with the mean and variance of the batch itself, taken over the "
        "examples (axis 0) with the biased variance; epsilon keeps the division safe, and gamma and beta then give "
        "the layer a scale and a shift of its own",
        recipe="compute each feature's mean and variance along axis 0 (np.var divides by m, as BN does; no ddof=1), "
        "then follow the formulas of section 2, first for x_hat and then for y, with epsilon under the square root; "
        "the (C,) arrays broadcast against the (m, C) batch",
        atol=1e-9,
    ),
    "10.moving_update": Exercise(
        title="the update of the moving statistics",
        reference=_moving_update,
        cases=_moving_cases,
        hint="the moving statistics are exponentially weighted averages of the batch statistics: momentum is the "
        "share of the old moving value that is kept, and the batch statistics are the same per-feature mean and "
        "biased variance as in training mode",
        recipe="compute the batch's mean and variance per feature (axis 0, the variance dividing by m), then update "
        "each moving value by the rule of section 2 with rho = momentum (most of the weight stays on the old moving "
        "value), and return the pair (new mean, new variance)",
        atol=1e-9,
    ),
    "10.batch_norm_inference": Exercise(
        title="batch normalization in inference mode",
        reference=_batch_norm_inference,
        cases=_inference_cases,
        hint="in inference mode the output for one example must not depend on the others in the batch: the layer uses "
        "its stored moving statistics in place of the batch's own, and otherwise applies the same transform as in "
        "training mode",
        recipe="take your training-mode transform and replace the batch mean and variance by moving_mean and "
        "moving_variance, computing nothing from the statistics of x; epsilon stays under the square root, then gamma "
        "and beta as before",
        atol=1e-9,
    ),
}
