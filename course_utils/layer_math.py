"""Counting formulas for convolutional networks: output sizes and learnable parameters.

Pure Python, no TensorFlow import, so these functions can be read (and tested) on their own.
`param_table` is the one function here that takes a Keras model; it only reads it.
"""

from __future__ import annotations

import math

_PADDINGS = ("valid", "same")


def _check_positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: str | int = "valid") -> int:
    """Output length along one axis of a convolution over an input of length `n`.

    `padding` is "valid" (no padding), "same" (Keras/TensorFlow rule: ceil(n / stride))
    or an explicit number p of zeros added on *each* side: floor((n + 2p - kernel) / stride) + 1.
    """
    _check_positive("n", n)
    _check_positive("kernel", kernel)
    _check_positive("stride", stride)
    if padding == "same":
        return math.ceil(n / stride)
    if padding == "valid":
        p = 0
    elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        p = padding
    else:
        raise ValueError(f"padding must be 'valid', 'same' or a non-negative int, got {padding!r}")
    if n + 2 * p < kernel:
        raise ValueError(f"kernel {kernel} is larger than the padded input {n + 2 * p}")
    return (n + 2 * p - kernel) // stride + 1


def pool_output_size(n: int, pool: int = 2, stride: int | None = None, padding: str = "valid") -> int:
    """Output length of a pooling layer; the stride defaults to the pool size, as in Keras."""
    return conv_output_size(n, pool, pool if stride is None else stride, padding)


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """A Dense layer has one weight per (input, output) pair plus one bias per output."""
    _check_positive("n_in", n_in)
    _check_positive("n_out", n_out)
    return n_in * n_out + (n_out if bias else 0)


def conv2d_params(in_channels: int, filters: int, kernel_size: int | tuple[int, int], bias: bool = True) -> int:
    """A Conv2D layer has (kh * kw * in_channels) weights per filter plus one bias per filter."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    for name, value in (
        ("in_channels", in_channels),
        ("filters", filters),
        ("kernel height", kh),
        ("kernel width", kw),
    ):
        _check_positive(name, value)
    return kh * kw * in_channels * filters + (filters if bias else 0)


def batchnorm_params(features: int) -> tuple[int, int]:
    """BatchNormalization keeps 4 numbers per feature: (trainable gamma, beta; non-trainable mean, variance)."""
    _check_positive("features", features)
    return 2 * features, 2 * features


def _formula(layer) -> tuple[int | None, str]:
    """(parameter count by our formula, the formula as text) for the layer types the course uses."""
    kind = type(layer).__name__
    if not layer.weights:
        return 0, "no weights"
    in_shape = layer.input.shape
    if kind == "Dense":
        n_in, n_out = int(in_shape[-1]), layer.units
        b = n_out if layer.use_bias else 0
        return dense_params(n_in, n_out, layer.use_bias), f"{n_in}*{n_out} + {b}"
    if kind == "Conv2D" and layer.groups == 1:
        c_in, f = int(in_shape[-1] if layer.data_format == "channels_last" else in_shape[1]), layer.filters
        kh, kw = layer.kernel_size
        b = f if layer.use_bias else 0
        return conv2d_params(c_in, f, (kh, kw), layer.use_bias), f"({kh}*{kw}*{c_in})*{f} + {b}"
    if kind == "BatchNormalization":
        features = int(in_shape[layer.axis if isinstance(layer.axis, int) else layer.axis[0]])
        trainable, fixed = batchnorm_params(features)
        return trainable + fixed, f"4*{features}"
    return None, "no formula here"


def param_table(model):
    """One row per layer (input layers left out): output shape, our formula, its value, Keras' count_params(),
    and whether they agree.

    Returns a pandas DataFrame; the last row holds the totals.
    """
    import pandas as pd

    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":  # functional models list their input; it has no weights
            continue
        ours, text = _formula(layer)
        keras_count = layer.count_params()
        rows.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output shape": tuple(layer.output.shape[1:]),
                "formula": text,
                "ours": ours,
                "keras": keras_count,
                "match": ours == keras_count,
            }
        )
    table = pd.DataFrame(rows).astype({"ours": "Int64"})  # Int64 keeps whole numbers next to missing ones
    total = {
        "layer": "total",
        "type": "",
        "output shape": "",
        "formula": "",
        "ours": int(table["ours"].sum()) if table["ours"].notna().all() else pd.NA,
        "keras": model.count_params(),
        "match": bool(table["match"].all()),
    }
    return pd.concat([table, pd.DataFrame([total]).astype({"ours": "Int64"})], ignore_index=True)
