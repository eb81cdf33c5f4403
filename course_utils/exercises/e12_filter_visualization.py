"""Exercises of notebook 12 (visualizing filters by gradient ascent)."""

import numpy as np

from . import Exercise


def _own_means(feature_model, channels, x, border):
    """Per image i: the mean of channel channels[i] of feature_model(x) over the interior (border left out)."""
    import tensorflow as tf

    fmap = feature_model(x, training=False)  # (N, h, w, C)
    h, w = fmap.shape[1], fmap.shape[2]
    means = tf.reduce_mean(fmap[:, border : h - border, border : w - border, :], axis=[1, 2])  # (N, C)
    return tf.gather(means, channels, axis=1, batch_dims=1)  # (N,): image i's own channel


def _ascend(feature_model, channels, images, steps, step_size, border):
    import tensorflow as tf

    x = tf.constant(images, dtype=tf.float32)
    channels = tf.constant(channels, dtype=tf.int32)
    history = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            own = _own_means(feature_model, channels, x, border)
            total = tf.reduce_sum(own)
        g = tape.gradient(total, x)
        rms = tf.sqrt(tf.reduce_mean(tf.square(g), axis=[1, 2, 3], keepdims=True))
        x = x + step_size * g / (rms + 1e-8)
        history.append(own.numpy())
    history.append(_own_means(feature_model, channels, x, border).numpy())
    return x.numpy(), np.array(history)


class _Expected(tuple):
    """The reference's (images, history), with the case's inputs attached so that the comparison can name a
    mistake (a plain tuple works too: the autograder's reference is the notebook's own solution)."""


def _reference(feature_model, channels, images, steps, step_size, border):
    out = _Expected(_ascend(feature_model, channels, images, steps, step_size, border))
    out.start, out.steps, out.step_size = np.asarray(images, dtype=np.float64), steps, step_size
    whole = _own_means(feature_model, np.asarray(channels, np.int32), np.asarray(images, np.float32), 0)
    out.with_border = np.asarray(whole, dtype=np.float64)  # the start activations with the border included
    return out


def _ascend_compare(got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "it should return two values, (final images, history)"
    try:
        images, history = (np.asarray(v, dtype=np.float64) for v in got)
    except (TypeError, ValueError):
        return "it should return two arrays, (final images, history)"
    want_images, want_history = (np.asarray(v, dtype=np.float64) for v in expected)
    n = len(want_images)
    if images.shape != want_images.shape:
        return f"the final images have shape {images.shape}, expected {want_images.shape} (one image per channel)"
    if history.shape == want_history.shape[::-1] and history.shape != want_history.shape:
        return (f"the history has shape {history.shape}, expected {want_history.shape}: one row per step, one column "
                "per image")
    if history.shape != want_history.shape:
        return (f"the history has shape {history.shape}, expected {want_history.shape}: the mean activation of every "
                "image before each step, and once more after the last step (steps + 1 rows)")  # fmt: skip
    if not np.all(np.isfinite(images)) or not np.all(np.isfinite(history)):
        return "the result holds nan or inf: a gradient of zero divided by its rms of zero (add 1e-8 to the rms)"
    close = lambda a, b: np.allclose(a, b, rtol=1e-4, atol=1e-3)  # noqa: E731
    if close(images, want_images) and close(history, want_history):
        return None
    start = getattr(expected, "start", None)
    if not close(history[0], want_history[0]):
        if start is not None and close(history[0], expected.with_border):
            return ("the activation at the start already differs: it is the mean over the whole feature map; leave "
                    "out `border` rows and columns on each side, where the padding distorts the response")
        return ("the activation at the start already differs: for image i take the mean of channel channels[i] "
                "over the interior of the feature map (border rows and columns left out)")
    live = want_history[-1] > want_history[0]
    if np.any(history[-1][live] < history[0][live]) and np.all(history[-1] <= history[0] + 1e-6):
        return "the activations fall instead of rising: the image moves against the gradient (descent, not ascent)"
    if start is not None:
        moved = np.sqrt(np.mean((images - start) ** 2, axis=(1, 2, 3)))
        limit = expected.steps * expected.step_size
        if np.any(moved > limit * (1 + 1e-3)):
            return (f"an image moved by {moved.max():.3g} rms in {expected.steps} steps of {expected.step_size:g}, "
                    "more than steps * step_size allows: divide each image's gradient by its own rms")
        one_rms = np.sqrt(np.mean((images - start) ** 2))
        want_moved = np.sqrt(np.mean((want_images - start) ** 2, axis=(1, 2, 3)))
        if np.any(moved < 0.5 * want_moved):
            return ("an image moved far less than step_size per step: divide each image's gradient by its root-mean-"
                    "square, so that every step has the size step_size whatever the gradient's size")
        if n > 1 and not close(moved, want_moved) and one_rms <= limit * (1 + 1e-3):
            return ("the images moved by other amounts than they should: normalize each image's gradient by its own "
                    "rms (over its pixels and channels), not by one rms over the whole batch")
    return "the activations or the final images differ from those of the ascent described above"


def _case_model(rng, kind):
    import keras
    from keras import layers

    init = lambda: keras.initializers.GlorotUniform(seed=int(rng.integers(2**31)))  # noqa: E731
    if kind == "one conv":
        model = keras.Sequential([keras.Input((10, 10, 3)),
                                  layers.Conv2D(5, 3, padding="same", activation="relu", kernel_initializer=init())])
    elif kind == "non-square":
        model = keras.Sequential([keras.Input((9, 13, 3)),
                                  layers.Conv2D(4, 3, activation="relu", kernel_initializer=init()),
                                  layers.MaxPooling2D(2),
                                  layers.Conv2D(6, 3, padding="same", activation="relu", kernel_initializer=init())])
    elif kind == "score":  # a class score: a (1, 1, classes) map, so the border must be 0
        model = keras.Sequential([keras.Input((8, 8, 3)),
                                  layers.Conv2D(6, 3, activation="relu", kernel_initializer=init()),
                                  layers.GlobalAveragePooling2D(), layers.Dense(7, kernel_initializer=init()),
                                  layers.Reshape((1, 1, 7))])
    else:  # "small" or "dead": one conv layer whose raw gradients are far from rms 1, or with a silent channel
        model = keras.Sequential([keras.Input((7, 11, 3)),
                                  layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer=init())])
        kernel, bias = model.layers[0].get_weights()
        if kind == "small":
            kernel = kernel * 1e-3
        else:
            bias[0] = -1e4  # channel 0 is negative everywhere: zero activation, zero gradient
        model.layers[0].set_weights([kernel, bias])
    return model


def _ascend_cases(rng):
    cases = []
    for kind, channels, shape, steps, border, label in (
        ("one conv", [0, 3, 1], (10, 10, 3), 4, 2, "one conv layer, three channels"),
        ("non-square", [5, 5], (9, 13, 3), 3, 1, "non-square images, two conv layers and a pooling"),
        ("score", [4, 0, 6], (8, 8, 3), 4, 0, "a class score: a 1 x 1 output, border 0"),
        ("small", [1, 2], (7, 11, 3), 3, 1, "small gradients (weights 1000 times smaller)"),
        ("dead", [0, 2], (7, 11, 3), 3, 1, "a silent channel (zero gradient) beside a live one"),
    ):
        images = rng.normal(0, 20, size=(len(channels), *shape)).astype("float32")
        args = (_case_model(rng, kind), np.array(channels), images, steps, float(rng.uniform(0.5, 4.0)), border)
        cases.append((args, {}, label))
    return cases


def _receptive_field(layers):
    side, jump = 1, 1
    for kernel, stride in layers:
        side += (kernel - 1) * jump
        jump *= stride
    return side


def _receptive_field_cases(rng):
    vgg_block4 = [(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 3 + [(2, 2)] + [(3, 1)] * 3
    cases = [(([],), {}), (([(3, 1)],), {}), (([(3, 1), (3, 1)],), {}), (([(2, 2), (3, 1)],), {}),
             (([(3, 1), (2, 2)],), {}), (([(7, 2), (3, 2), (3, 1)],), {}), ((vgg_block4,), {})]  # fmt: skip
    for _ in range(8):
        n = int(rng.integers(1, 9))
        layers = [(int(rng.choice([1, 2, 3, 5, 7])), int(rng.choice([1, 1, 2, 3]))) for _ in range(n)]
        cases.append(((layers,), {}))
    return cases


EXERCISES = {
    "12.ascent_step": Exercise(
        title="the gradient-ascent loop on a batch of images",
        reference=_reference,
        cases=_ascend_cases,
        compare=_ascend_compare,
        hint="the ascent changes the images, not the weights, so the tape must watch the images; each image has "
        "its own loss, the mean of its own channel over the interior of the map; summing the losses still gives "
        "each image its own gradient; every image's step has the same size, whatever the size of its gradient; "
        "and ascent means moving along the gradient",
        recipe="for each step: under a tf.GradientTape that watches x, compute the feature map, slice off border "
        "rows and columns on each side, average over height and width, pick channels[i] for image i (tf.gather "
        "with batch_dims=1) and sum; take tape.gradient of that sum with respect to x; divide each image's "
        "gradient by its own rms (mean over axes 1, 2, 3, keepdims) plus 1e-8; add step_size times it to x; "
        "record the activations before the step, and once more after the last one",
    ),
    "12.receptive_field": Exercise(
        title="the receptive field of a stack of layers",
        reference=_receptive_field,
        cases=_receptive_field_cases,
        hint="two things change as you go up the stack: how wide the window seen by one unit is, and how far apart, "
        "in input pixels, neighbouring units are; a kernel widens the window in steps of that spacing, and a stride "
        "stretches the spacing for every layer above it",
        recipe="start with a window of side 1 and a spacing of 1 (one pixel); for each (kernel, stride) pair in "
        "order, first widen the window by kernel - 1 steps of the current spacing, then update the spacing with the "
        "stride (the order matters); return the window's side as an int",
    ),
}
