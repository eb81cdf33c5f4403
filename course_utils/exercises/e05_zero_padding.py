"""Exercises of notebook 05 (zero padding)."""

import numpy as np

from . import Exercise


def _output_size(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def _output_size_cases(rng):
    cases = [((6, 3, 0, 1), {}), ((5, 3, 1, 1), {}), ((7, 3, 0, 2), {}), ((224, 7, 3, 2), {}), ((8, 3, 1, 2), {})]
    for _ in range(20):
        f = int(rng.integers(1, 8))
        n, p, s = int(rng.integers(f, 64)), int(rng.integers(0, 4)), int(rng.integers(1, 5))
        cases.append(((n, f, p, s), {}))
    return cases


def _pad(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p : p + x.shape[0], p : p + x.shape[1]] = x
    return out


def _pad_cases(rng):
    return [((rng.normal(size=(int(rng.integers(1, 7)), int(rng.integers(1, 7)))), int(p)), {}) for p in (0, 1, 2, 3)]


EXERCISES = {
    "05.output_size": Exercise(
        title="output size of a convolution",
        reference=_output_size,
        cases=_output_size_cases,
        hint="count how many times an f-wide window fits in n + 2p pixels when it moves s pixels at a time; "
        "the first position counts too, and a window that would stick out does not count",
    ),
    "05.pad": Exercise(
        title="zero padding by hand",
        reference=_pad,
        cases=_pad_cases,
        hint="make an array of zeros p larger on every side, then copy x into its middle",
    ),
}
