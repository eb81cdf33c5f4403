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


def _learn_kernel(images, targets, steps, learning_rate):
    import keras
    import tensorflow as tf

    layer = keras.layers.Conv2D(1, 3, use_bias=False, kernel_initializer="zeros")
    x = tf.constant(images[..., None], dtype="float32")
    t = tf.constant(targets[..., None], dtype="float32")
    layer.build(x.shape)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((layer(x) - t) ** 2)
        layer.kernel.assign_sub(learning_rate * tape.gradient(loss, layer.kernel))
    return keras.ops.convert_to_numpy(layer.kernel)[:, :, 0, 0]


def _responses(images, k):
    """The valid cross-correlation of every image (N, H, W) with the 3 x 3 kernel k: (N, H - 2, W - 2)."""
    return np.einsum("nijuv,uv->nij", sliding_window_view(images, (3, 3), axis=(1, 2)), k)


def _learn_kernel_cases(rng):
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    cases = []
    for kernel, steps, rate, label in [
        (sobel_x, 30, 0.2, "Sobel X responses of random images, 30 steps"),
        (rng.normal(size=(3, 3)), 30, 0.2, "a random kernel with no symmetry, 30 steps"),
        (rng.normal(size=(3, 3)), 40, 0.1, "a random kernel, learning rate 0.1, 40 steps"),
        (rng.normal(size=(3, 3)), 3, 0.2, "only 3 steps: the kernel is still on its way from zeros"),
    ]:
        n, h, w = int(rng.integers(2, 5)), int(rng.integers(8, 13)), int(rng.integers(8, 13))
        images = rng.normal(size=(n, h, w)).astype("float32")
        cases.append(((images, _responses(images, kernel).astype("float32"), steps, rate), {}, label))
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
    "04.learn_kernel": Exercise(
        title="learning a kernel by gradient descent",
        reference=_learn_kernel,
        cases=_learn_kernel_cases,
        atol=1e-4,
        hint="the 9 weights of the layer's kernel are the only parameters; the loss says how far the layer's output "
        "is from the targets, and each step moves the kernel a little against the gradient of that loss",
        recipe="make the Conv2D layer (kernel of zeros), give images and targets a channel axis, build the layer; then "
        "repeat `steps` times: inside a tf.GradientTape compute the layer's output and the mean of the squared "
        "differences to the targets, ask the tape for the gradient with respect to layer.kernel, and subtract "
        "learning_rate times it (assign_sub); at the end return the kernel as a 3 x 3 NumPy array",
    ),
}
