"""Exercises of notebook 11 (classic CNN architectures)."""

import numpy as np

from . import Exercise, NotSolved


def _residual_block(x, filters, stride=1, name="block"):
    from keras import layers

    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([shortcut, y]))


def _expected_params(channels, filters, stride):
    convs = 9 * channels * filters + 9 * filters * filters  # no biases: BatchNormalization follows
    bns = 2 * 4 * filters  # gamma, beta, moving mean, moving variance
    projection = channels * filters + 4 * filters if stride != 1 or channels != filters else 0
    return convs + bns + projection


def _block_cases(rng):
    """(label, input shape, filters, stride): fresh shapes, with and without a projection."""
    c = int(rng.integers(2, 9))
    side = int(rng.integers(5, 12))
    return [
        ("same shape: identity shortcut", (side, side + 1, c), c, 1),
        ("more filters than input channels, stride 1", (side, side, c), c + int(rng.integers(1, 6)), 1),
        ("stride 2 and more filters", (2 * side + 1, 2 * side, c), 2 * c, 2),
        ("stride 2, same number of filters", (2 * side, 2 * side - 1, c), c, 2),
    ]


def _randomize(model, rng):
    for w in model.weights:
        value = rng.normal(0, 0.5, size=w.shape)
        if "variance" in w.path:  # BatchNormalization's moving variance must stay positive
            value = rng.uniform(0.5, 2.0, size=w.shape)
        w.assign(value.astype("float32"))


def _check_residual_block(fn, seed=None):
    import keras

    rng = np.random.default_rng(seed)
    for k, (label, shape, filters, stride) in enumerate(_block_cases(rng)):
        name = f"r{k}"
        inputs = keras.Input(shape)
        try:
            outputs = fn(inputs, filters, stride=stride, name=name)
            model = keras.Model(inputs, outputs)
        except NotImplementedError:
            raise NotSolved from None
        except Exception as exc:
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            return f"it raised {type(exc).__name__}: {text} ({label}, input {shape}, {filters} filters)"
        where = f"({label}: input {shape}, {filters} filters, stride {stride})"
        want = tuple(-(-s // stride) for s in shape[:2]) + (filters,)
        if tuple(model.output.shape[1:]) != want:
            return f"the output has shape {tuple(model.output.shape[1:])}, not {want} {where}"
        expected = _expected_params(shape[-1], filters, stride)
        if model.count_params() != expected:
            return f"the block has {model.count_params():,} parameters, not {expected:,} {where}"
        ref_inputs = keras.Input(shape)
        reference = keras.Model(ref_inputs, _residual_block(ref_inputs, filters, stride=stride, name=name))
        _randomize(reference, rng)
        for layer in reference.layers:
            if not layer.weights:
                continue
            try:
                mine = model.get_layer(layer.name)
                mine.set_weights(layer.get_weights())
            except (ValueError, KeyError) as exc:
                return (f"no layer {layer.name!r} with the weights of a {type(layer).__name__} "
                        f"({str(exc).splitlines()[0][:80]}); name the layers as the exercise says {where}")
        x = rng.normal(size=(2, *shape)).astype("float32")
        got = np.asarray(model(x, training=False))
        if not np.allclose(got, np.asarray(reference(x, training=False)), atol=1e-4, rtol=1e-4):
            if got.min() < 0:
                return f"the output has negative values: where is the last ReLU? {where}"
            return f"with the same weights, the output differs from a residual block's {where}"
        bn2 = model.get_layer(f"{name}_bn2")
        bn2.gamma.assign(np.zeros(filters, "float32"))
        bn2.beta.assign(np.zeros(filters, "float32"))
        if stride == 1 and shape[-1] == filters:
            silent = np.abs(x)
            if not np.allclose(np.asarray(model(silent, training=False)), silent, atol=1e-5):
                return f"with gamma = beta = 0 in {name}_bn2 the block does not pass its input through {where}"
    return None


EXERCISES = {
    "11.residual_block": Exercise(
        title="a residual block in Keras",
        reference=_residual_block,
        cases=lambda rng: [],
        extra=[_check_residual_block],
        hint="the block learns a change F(x) that is added to its input: the branch is two 3x3 convolutions, each "
        "followed by BatchNormalization, and only the output of the sum goes through the last ReLU; the two paths can "
        "only be added when their shapes agree, so think about what the shortcut must do when the stride or the "
        "number of channels changes",
        recipe="keep x aside as the shortcut; build the branch layer by layer, each layer called on the previous "
        "output, with the stride only in the first convolution and no ReLU after the second BatchNormalization; decide "
        "from the stride and from x.shape[-1] whether the shortcut needs a projection, and if so pass x through a 1x1 "
        "convolution with the same stride and its BatchNormalization; add the two paths with layers.Add, then apply "
        "the ReLU to the sum and return it; use the layer names the exercise gives",
    ),
}
