"""Exercises of notebook 11 (classic CNN architectures)."""

import numpy as np

from . import Exercise


def _conv_multiplications(side, channels, filters, kernel):
    return side * side * filters * kernel * kernel * channels


def _conv_multiplications_cases(rng):
    cases = [((28, 192, 32, 5), {}), ((28, 192, 16, 1), {}), ((28, 16, 32, 5), {}), ((1, 1, 1, 1), {}),
             ((7, 3, 64, 7), {}), ((14, 512, 512, 3), {})]
    for _ in range(10):
        side, channels, filters = int(rng.integers(1, 113)), int(rng.integers(1, 1025)), int(rng.integers(1, 513))
        cases.append(((side, channels, filters, int(rng.choice([1, 3, 5, 7]))), {}))
    return cases


def _relu(v):
    return np.maximum(v, 0)


def _residual_forward(x, conv1, conv2):
    return _relu(x + conv2(_relu(conv1(x))))


class _LinearBranch:
    """A stand-in for conv + BatchNormalization: a per-pixel linear map plus an offset, as a NumPy function."""

    def __init__(self, rng, channels):
        self.weights = rng.normal(0, 1 / np.sqrt(channels), size=(channels, channels))
        self.offset = rng.normal(0, 0.5, channels)

    def __call__(self, v):
        return v @ self.weights + self.offset

    def __repr__(self):
        return "a branch function"


def _residual_cases(rng):
    cases = []
    for shape in [(2, 4, 4, 3), (1, 5, 5, 8), (3, 6), (1, 1, 1, 1), (2, 3, 7, 16)]:
        channels = shape[-1]
        x = rng.normal(size=shape)  # signed, as the input of a block may be after a projection
        cases.append(((x, _LinearBranch(rng, channels), _LinearBranch(rng, channels)), {}))
    return cases


EXERCISES = {
    "11.conv_multiplications": Exercise(
        title="multiplications of a 'same' convolution",
        reference=_conv_multiplications,
        cases=_conv_multiplications_cases,
        hint="the cost is the number of output values times the work of one output value: think about what 'same' "
        "padding and stride 1 mean for the output's height and width, and about how many input numbers one output "
        "value reads",
        recipe="first write the output's shape (what do 'same' and stride 1 keep, and what sets the depth?), then "
        "count the weights of one filter: each is one multiplication for every output value the filter produces; the "
        "total is the product of the two counts; return an int",
    ),
    "11.residual_forward": Exercise(
        title="the forward pass of a residual block",
        reference=_residual_forward,
        cases=_residual_cases,
        hint="the block learns a change F(x) to its input rather than a whole new mapping: the shortcut carries x "
        "around the branch unchanged, and the last ReLU comes after the two paths meet",
        recipe="compute the branch in the order of the diagram: conv1, a ReLU (np.maximum with 0), conv2, with no "
        "ReLU right after conv2; then join the branch with the shortcut and apply the final ReLU to the joined result",
        atol=1e-9,
    ),
}
