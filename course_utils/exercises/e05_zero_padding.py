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
        hint="padding adds p zeros on each side; the question is how many positions an f-wide window can take in the "
        "padded input when it moves s pixels at a time, without ever sticking out",
        recipe="draw a small case by hand (n = 7, f = 3, p = 0, first with s = 1, then with s = 2) and count the "
        "positions; then put the count into symbols: how far can the window's left edge travel inside the padded "
        "input, how many whole s-pixel steps fit in that distance (round down with //, so that the result stays an "
        "int), and do not forget the starting position",
    ),
    "05.pad": Exercise(
        title="zero padding by hand",
        reference=_pad,
        cases=_pad_cases,
        hint="the result is x framed by p rows and columns of zeros on every side: a larger array of the same dtype, "
        "with x unchanged in its middle",
        recipe="create an array of zeros (np.zeros, with x's dtype) that is p larger on every side, so 2p larger "
        "along each axis, then assign x into the slice that starts p rows and p columns in and is exactly as large as "
        "x",
    ),
}
