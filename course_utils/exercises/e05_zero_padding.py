"""Exercises of notebook 05 (zero padding)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import Exercise


def _pad(x, p):
    out = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
    out[p : p + x.shape[0], p : p + x.shape[1]] = x
    return out


def _pad_cases(rng):
    return [((rng.normal(size=(int(rng.integers(1, 7)), int(rng.integers(1, 7)))), int(p)), {}) for p in (0, 1, 2, 3)]


def _same_pads(n, f, s):
    """Keras' (TensorFlow's) 'same' padding along one axis: (zeros before, zeros after)."""
    total = max((-(-n // s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def _conv_same(x, k, s):
    f = k.shape[0]
    padded = np.pad(x, [_same_pads(n, f, s) for n in x.shape])
    return np.einsum("ijuv,uv->ij", sliding_window_view(padded, (f, f))[::s, ::s], k)


def _kind(h, w, f, s) -> str:
    totals = [max((-(-n // s) - 1) * s + f - n, 0) for n in (h, w)]
    if any(t % 2 for t in totals):
        kind = "an odd number of zeros to share" + (" (an even kernel)" if f % 2 == 0 and s == 1 else "")
    elif max(totals) == 0:
        kind = "no zeros needed at all"
    else:
        kind = "an even number of zeros, split equally"
    return f"{kind}: {h} x {w} input, {f} x {f} kernel, stride {s}"


def _conv_same_cases(rng):
    shapes = [  # (H, W, f, s)
        (8, 8, 3, 1),  # odd kernel, stride 1: 1 zero on each side
        (8, 8, 4, 1),  # even kernel: 3 zeros, 1 before and 2 after
        (8, 8, 2, 1),  # even kernel: 1 zero, after only
        (8, 9, 3, 2),  # odd kernel, stride 2: 1 zero on one axis, 2 on the other
        (9, 9, 5, 2),
        (7, 10, 4, 3),
        (8, 8, 2, 4),  # the windows do not even touch: no zeros
        (6, 7, 6, 1),
    ]
    shapes += [(int(rng.integers(3, 13)), int(rng.integers(3, 13)), int(rng.integers(1, 7)), int(rng.integers(1, 4)))
               for _ in range(8)]
    return [((rng.normal(size=(h, w)), rng.normal(size=(f, f)), s), {}, _kind(h, w, f, s)) for h, w, f, s in shapes]


EXERCISES = {
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
    "05.conv_same": Exercise(
        title="Keras' padding='same', even kernels and strides included",
        reference=_conv_same,
        cases=_conv_same_cases,
        hint="Keras decides the output size first, ceil(n / s) along each axis; then it adds the fewest zeros that let "
        "the last window fit, splits them between the two sides, and gives any odd zero to the bottom or right; only "
        "then does the window slide, s pixels at a time",
        recipe="for each axis of x: compute the output length, the position where the last window starts, how far "
        "that window reaches past the end of x (never below 0 zeros), and the split (half, rounded down, before; the "
        "rest after); pad x with those zeros (np.pad accepts ((top, bottom), (left, right))), then fill an output of "
        "that size with the sums of k times the f x f windows whose corners are s pixels apart",
    ),
}
