"""The counting formulas against what Keras computes, over many random layer configurations."""

import math

import numpy as np
import pytest

from course_utils import setup
from course_utils.layer_math import (
    batchnorm_params,
    conv2d_params,
    conv_output_size,
    dense_params,
    param_table,
    pool_output_size,
)

setup(announce=False)
import keras  # noqa: E402

RNG = np.random.default_rng(20261122)


def random_conv_configs(count):
    for _ in range(count):
        n = int(RNG.integers(3, 40))
        kernel = int(RNG.integers(1, min(n, 8) + 1))
        stride = int(RNG.integers(1, 5))
        padding = str(RNG.choice(["valid", "same"]))
        c_in, filters = int(RNG.integers(1, 9)), int(RNG.integers(1, 17))
        bias = bool(RNG.integers(0, 2))
        yield n, kernel, stride, padding, c_in, filters, bias


@pytest.mark.parametrize("n, kernel, stride, padding, c_in, filters, bias", list(random_conv_configs(60)))
def test_conv2d_size_and_params_match_keras(n, kernel, stride, padding, c_in, filters, bias):
    layer = keras.layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=bias)
    out = layer(keras.Input((n, n + 1, c_in)))
    assert out.shape[1] == conv_output_size(n, kernel, stride, padding)
    assert out.shape[2] == conv_output_size(n + 1, kernel, stride, padding)
    assert layer.count_params() == conv2d_params(c_in, filters, kernel, bias)


@pytest.mark.parametrize("n, kernel, stride, pad", [(7, 3, 1, 1), (20, 5, 2, 2), (11, 4, 3, 0), (9, 7, 2, 3)])
def test_explicit_zero_padding_matches_keras(n, kernel, stride, pad):
    x = keras.Input((n, n, 1))
    y = keras.layers.Conv2D(1, kernel, strides=stride)(keras.layers.ZeroPadding2D(pad)(x))
    assert y.shape[1] == conv_output_size(n, kernel, stride, pad) == (n + 2 * pad - kernel) // stride + 1


@pytest.mark.parametrize("seed", range(30))
def test_pooling_sizes_match_keras(seed):
    rng = np.random.default_rng(seed)
    n, pool = int(rng.integers(2, 40)), int(rng.integers(1, 5))
    pool = min(pool, n)
    stride = int(rng.choice([0, 1, 2, 3])) or None
    padding = str(rng.choice(["valid", "same"]))
    for cls in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D):
        out = cls(pool, strides=stride, padding=padding)(keras.Input((n, n, 2)))
        assert out.shape[1] == pool_output_size(n, pool, stride, padding)


@pytest.mark.parametrize(
    "n_in, n_out, bias", [(1, 1, True), (2, 3, True), (3, 2, True), (784, 10, False), (8192, 2, True)]
)
def test_dense_params_match_keras(n_in, n_out, bias):
    layer = keras.layers.Dense(n_out, use_bias=bias)
    layer.build((None, n_in))
    assert layer.count_params() == dense_params(n_in, n_out, bias)


def test_same_padding_keeps_size_at_stride_one_and_uses_ceil_otherwise():
    assert conv_output_size(20, 7, 1, "same") == 20
    assert conv_output_size(20, 3, 3, "same") == math.ceil(20 / 3) == 7
    assert conv_output_size(4, 3) == 2


@pytest.mark.parametrize(
    "bad",
    [
        dict(n=0, kernel=1),
        dict(n=3, kernel=5),
        dict(n=5, kernel=3, padding="full"),
        dict(n=5, kernel=3, stride=0),
        dict(n=5.0, kernel=3),
    ],
)
def test_bad_arguments_raise_clear_errors(bad):
    with pytest.raises(ValueError):
        conv_output_size(**bad)


def test_batchnorm_params_and_table_against_keras():
    model = keras.Sequential(
        [
            keras.Input((20, 20, 3)),
            keras.layers.Conv2D(8, 3, padding="same", name="conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(2, name="out"),
        ]
    )
    assert batchnorm_params(8) == (16, 16)
    table = param_table(model)
    assert list(table["layer"]) == ["conv", "bn", "pool", "flat", "out", "total"]
    assert table["match"].all()
    assert list(table["ours"][:-1]) == [224, 32, 0, 0, 800 * 2 + 2]
    assert table["keras"].iloc[-1] == model.count_params() == 224 + 32 + 1602
    assert table["output shape"].iloc[2] == (10, 10, 8)


def test_table_reports_layers_without_a_formula_instead_of_guessing():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(10, 3, name="emb")])
    table = param_table(model)
    assert table["formula"].iloc[0] == "no formula here"
    assert not table["match"].iloc[0]


def test_table_of_a_functional_model_leaves_out_the_input_layer():
    inputs = keras.Input((8, 8, 1), name="image")
    outputs = keras.layers.Dense(3, name="out")(keras.layers.Flatten(name="flat")(inputs))
    table = param_table(keras.Model(inputs, outputs))
    assert list(table["layer"]) == ["flat", "out", "total"]
    assert table["ours"].iloc[-1] == 64 * 3 + 3
