"""Exercises of notebook 04 (convolution as pattern detection)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import Exercise


def _slide(x, k):
    f = k.shape[0]
    return np.einsum("ijuv,uv->ij", sliding_window_view(x, (f, f)), k)


def _image_and_kernel(rng, max_side=11):
    f = int(rng.integers(1, 6))
    h, w = int(rng.integers(f, max_side + 1)), int(rng.integers(f, max_side + 1))
    return rng.normal(size=(h, w)), rng.normal(size=(f, f))


def _slide_cases(rng):
    edge = np.zeros((6, 6))
    edge[:, 3:] = 9.0
    cases = [
        ((edge, np.array([[-1.0, 0.0, 1.0]] * 3)), {}),  # the notebook's vertical edge
        ((rng.normal(size=(5, 5)), rng.normal(size=(5, 5))), {}),  # filter as large as the image: 1 x 1
        ((rng.normal(size=(4, 7)), rng.normal(size=(1, 1))), {}),  # 1 x 1 filter, wide image
        ((rng.integers(0, 10, size=(7, 4)).astype(float), rng.integers(-2, 3, size=(3, 3)).astype(float)), {}),
    ]
    cases += [(_image_and_kernel(rng), {}) for _ in range(8)]
    return cases


def _conv_channels(x, w, b):
    patches = sliding_window_view(x, w.shape[:2], axis=(0, 1))  # (H - f + 1, W - f + 1, C, f, f)
    return np.einsum("ijcuv,uvck->ijk", patches, w) + b


def _conv_channels_cases(rng):
    cases = []
    channels_filters = [(3, 2), (1, 1), (2, 3), (4, 4), (3, 1), (1, 2)]
    for c, k in channels_filters + [tuple(rng.integers(1, 5, size=2)) for _ in range(4)]:
        f = 3 if not cases else int(rng.integers(1, 4))  # first the notebook's case: 3 x 3 filters on RGB
        h, w = int(rng.integers(f, 9)), int(rng.integers(f, 9))
        x = rng.normal(size=(h, w, int(c)))
        cases.append(((x, rng.normal(size=(f, f, int(c), int(k))), rng.normal(size=int(k)) * 3), {}))
    return cases


def _slide_strided(x, k, s):
    return _slide(x, k)[::s, ::s]


def _slide_strided_cases(rng):
    cases = [
        ((rng.normal(size=(7, 7)), rng.normal(size=(3, 3)), 2), {}),  # (7 - 3) / 2 = 2: fits exactly
        ((rng.normal(size=(8, 8)), rng.normal(size=(3, 3)), 2), {}),  # 2.5: the floor drops a column
        ((rng.normal(size=(9, 6)), rng.normal(size=(2, 2)), 3), {}),  # not square
        ((rng.normal(size=(5, 5)), rng.normal(size=(3, 3)), 1), {}),  # stride 1
        ((rng.normal(size=(6, 6)), rng.normal(size=(2, 2)), 5), {}),  # (6 - 2) / 5 < 1: a single position
    ]
    for _ in range(8):
        x, k = _image_and_kernel(rng, max_side=13)
        cases.append(((x, k, int(rng.integers(1, 5))), {}))
    return cases


EXERCISES = {
    "04.slide": Exercise(
        title="sliding the filter (valid cross-correlation)",
        reference=_slide,
        cases=_slide_cases,
        hint="the output has one value per position where the whole f x f filter fits inside x, and each value "
        "measures how well the patch under the filter matches it; the filter is used as it is, not flipped (a "
        "cross-correlation)",
        recipe="make the output array first (count along each side the positions where the filter still lies entirely "
        "inside x, the last one included), loop over its rows and columns, cut out the f x f patch of x whose "
        "top-left corner is the output position, multiply it element by element with k and add up the products "
        "(np.sum)",
    ),
    "04.conv_channels": Exercise(
        title="several input channels, several filters, a bias",
        reference=_conv_channels,
        cases=_conv_channels_cases,
        hint="each filter spans all C input channels and produces one output channel, so there are K output channels; "
        "one output value sums over the patch's rows, columns and channels at once, and then gets its filter's bias",
        recipe="make the output array (rows and columns as in exercise 1, one channel per filter); at each position "
        "cut out the f x f x C patch, give it a last axis of length 1 (patch[..., None]) so that it broadcasts "
        "against w of shape (f, f, C, K), multiply, sum over the rows, columns and channels so that one value per "
        "filter is left, and add the biases",
    ),
    "04.slide_strided": Exercise(
        title="a strided convolution",
        reference=_slide_strided,
        cases=_slide_strided_cases,
        hint="the filter now jumps s pixels between positions, so fewer positions fit, and output value (i, j) no "
        "longer comes from the window at (i, j) of x: think about where each window starts",
        recipe="count along each side how many windows fit when the window moves s pixels at a time (the last one "
        "must still lie entirely inside x), make the output array, and fill value (i, j) from the f x f window whose "
        "top-left corner is s times further along than (i, j), multiplied by k and summed",
    ),
}
