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


def _shift_changes(images, shifts, maps):
    base = maps(images)
    changes = np.zeros((len(shifts), len(base), len(images)))
    for row, d in enumerate(shifts):
        moved = np.zeros_like(images)
        moved[:, :, d:] = images[:, :, : images.shape[2] - d]  # d pixels to the right; background comes in
        for col, (a, b) in enumerate(zip(base, maps(moved))):
            a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
            changes[row, col] = np.linalg.norm(b - a, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-12)
    return changes


def _raw_map(images):
    """One kind of map: the image itself (N, H, W)."""
    return (images[..., 0],)


def _three_maps(images):
    """Three kinds of map, as the notebook's feature_maps gives four: the image, 2 x 2 max pooling, subsampling."""
    n, h, w, _ = images.shape
    even = images[:, : h // 2 * 2, : w // 2 * 2, 0]
    return images[..., 0], even.reshape(n, h // 2, 2, w // 2, 2).max(axis=(2, 4)), images[:, ::2, ::2, 0]


def _shift_cases(rng):
    one = np.zeros((1, 2, 2, 1))
    one[0, 0, 0, 0] = 1.0  # a bright pixel with room to its right
    last = np.zeros((1, 2, 2, 1))
    last[0, 0, 1, 0] = 1.0  # a bright pixel in the last column
    cases = [
        ((one, [0], _raw_map), {}, "no shift (d = 0): every change is 0"),
        ((one, [1], _raw_map), {}, "one pixel moved by 1: same strength, no overlap, change sqrt(2)"),
        ((last, [1], _raw_map), {}, "a pixel in the last column moved out of the image: change 1"),
    ]
    for k in range(5):
        n, h, w = int(rng.integers(2, 6)), int(rng.integers(6, 15)), int(rng.integers(6, 15))
        images = np.maximum(rng.normal(size=(n, h, w, 1)), 0.0)  # non-negative, like maps after a ReLU
        shifts = [0, *sorted(int(d) for d in rng.choice(np.arange(1, 5), size=2, replace=False))]
        maps = _three_maps if k % 2 else _raw_map
        kinds = "three kinds of map" if k % 2 else "one kind of map"
        cases.append(((images, shifts, maps), {}, f"{n} random {h} x {w} images, shifts {shifts}, {kinds}"))
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
    "06.shift_changes": Exercise(
        title="the shift experiment",
        reference=_shift_changes,
        cases=_shift_cases,
        hint="compute the maps of the unshifted images once; for each shift build the shifted images (what comes in "
        "from the left is background, 0, and nothing wraps around), then compare each kind of map image by "
        "image, always relative to the unshifted map; a shift of 0 must give 0",
        recipe="changes = np.zeros((len(shifts), number of kinds of map, number of images)); for shift d, copy "
        "images[:, :, : W - d] into columns d and on of a zero array (careful: : -0 is empty); flatten each map "
        "per image and divide the norm of the difference by the norm of the unshifted map",
    ),
}
