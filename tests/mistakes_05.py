"""Typical mistakes in the exercises of notebook 05 (zero padding); tests/test_exercises.py loads them."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _conv_padded(x, k, s, pads, out_shape=None):
    # a stride-s valid convolution of x padded by pads ((top, bottom), (left, right)), cut to out_shape if given
    f = k.shape[0]
    out = np.einsum("ijuv,uv->ij", sliding_window_view(np.pad(x, pads), (f, f))[::s, ::s], k)
    return out if out_shape is None else out[: out_shape[0], : out_shape[1]]


def _split(x, f, s, extra_before):
    pads = []
    for n in x.shape:
        total = max((-(-n // s) - 1) * s + f - n, 0)
        small, large = total // 2, total - total // 2
        pads.append((large, small) if extra_before else (small, large))
    return pads


def _ceil_shape(x, s):
    return tuple(-(-n // s) for n in x.shape)


MISTAKES = {
    "05.conv_same": [
        # the odd zero at the top and left (as some other libraries do), not at the bottom and right
        lambda x, k, s: _conv_padded(x, k, s, _split(x, k.shape[0], s, extra_before=True)),
        # the stride-1 rule at every stride: (f - 1) // 2 before and f // 2 after, cut to ceil(n / s)
        lambda x, k, s: _conv_padded(x, k, s, [((k.shape[0] - 1) // 2, k.shape[0] // 2)] * 2, _ceil_shape(x, s)),
        # the stride-1 'same' output, then every s-th value
        lambda x, k, s: _conv_padded(x, k, 1, [((k.shape[0] - 1) // 2, k.shape[0] // 2)] * 2)[::s, ::s],
        # (f - 1) // 2 zeros on each side: an even kernel loses a row and a column
        lambda x, k, s: _conv_padded(x, k, s, [((k.shape[0] - 1) // 2,) * 2] * 2),
    ],
}
