"""Exercises of notebook 06 (max pooling)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import Exercise


def _windows(x, f, s):
    return sliding_window_view(x, (f, f))[::s, ::s]  # (out rows, out columns, f, f)


def _pool(x, f, s, mode="max"):
    reduce = np.max if mode == "max" else np.mean
    return reduce(_windows(x, f, s), axis=(2, 3))


def _kind(h, w, f, s) -> str:
    """What a case of pooling tests, for the check's message."""
    if s < f:
        kind = "overlapping windows"
    elif s > f:
        kind = "windows with gaps between them"
    elif (h - f) % s or (w - f) % s:
        kind = "a last row or column that no window covers"
    else:
        kind = "windows that tile the image"
    return f"{kind} ({h} x {w} input, f = {f}, s = {s})"


def _pool_cases(rng):
    worked = np.array([[1, 9, 2, 4], [3, 2, 8, 1], [6, 1, 5, 3], [2, 4, 0, 1]], dtype=float)
    shapes = [  # (H, W, f, s)
        (4, 4, 2, 2),
        (6, 6, 2, 2),
        (7, 7, 2, 2),  # odd: the last row and column are dropped
        (9, 9, 3, 2),  # overlapping windows
        (5, 8, 2, 1),  # stride 1
        (8, 6, 4, 4),
        (7, 10, 3, 3),
    ]
    cases = [((worked, 2, 2, mode), {}, f"the notebook's worked example, mode {mode!r}") for mode in ("max", "avg")]
    for h, w, f, s in shapes + [(int(rng.integers(5, 13)), int(rng.integers(5, 13)), int(rng.integers(1, 5)),
                                  int(rng.integers(1, 5))) for _ in range(6)]:
        x = rng.normal(size=(h, w))
        cases += [((x, f, s, "max"), {}, f"{_kind(h, w, f, s)}, mode 'max'"),
                  ((x.copy(), f, s, "avg"), {}, f"{_kind(h, w, f, s)}, mode 'avg'")]  # fmt: skip
    return cases


def _max_pool_backward(x, grad_out, f, s):
    grad = np.zeros(x.shape)
    windows = _windows(x, f, s).reshape(grad_out.shape + (f * f,))
    rows, cols = np.divmod(np.argmax(windows, axis=-1), f)  # where each window's maximum sits, in the window
    i, j = np.indices(grad_out.shape)
    np.add.at(grad, (s * i + rows, s * j + cols), grad_out)  # add.at: overlapping windows add up
    return grad


def _max_pool_backward_cases(rng):
    worked = np.array([[1, 9, 2, 4], [3, 2, 8, 1], [6, 1, 5, 3], [2, 4, 0, 1]], dtype=float)
    cases = [((worked, np.array([[1.0, 2.0], [3.0, 4.0]]), 2, 2), {}, "the worked example of the notebook")]
    shapes = [(6, 6, 2, 2), (7, 7, 2, 2), (7, 7, 3, 2), (9, 9, 3, 1), (5, 8, 2, 1), (8, 8, 4, 4)]
    shapes += [(int(rng.integers(4, 12)), int(rng.integers(4, 12)), int(rng.integers(2, 5)), int(rng.integers(1, 4)))
               for _ in range(6)]
    for h, w, f, s in shapes:
        out_shape = ((h - f) // s + 1, (w - f) // s + 1)
        cases.append(((rng.normal(size=(h, w)), rng.normal(size=out_shape), f, s), {}, _kind(h, w, f, s)))
    return cases


EXERCISES = {
    "06.pool": Exercise(
        title="max and average pooling by hand",
        reference=_pool,
        cases=_pool_cases,
        hint="each output value summarizes one f x f window of x, and the windows start every s pixels: count "
        "how many windows fit along each side, then decide what each mode keeps of a window",
        recipe="make the output array first (its side is how many windows fit), then fill value (i, j) from the "
        "window whose top-left corner is s pixels times (i, j): its largest value for 'max', its mean for 'avg'",
    ),
    "06.max_pool_backward": Exercise(
        title="the gradient of max pooling",
        reference=_max_pool_backward,
        cases=_max_pool_backward_cases,
        hint="max pooling passes on only the largest value of each window, so only that value influenced the "
        "output: think about which input pixels should receive any gradient at all, and what happens to a pixel "
        "that is the largest of two windows",
        recipe="start from zeros shaped like x; for each output position (i, j) look at its window, find where "
        "its maximum sits (np.argmax and np.unravel_index), and route grad_out[i, j] to that pixel of x; "
        "accumulate rather than overwrite",
    ),
}
