"""Exercises of notebook 13 (fine-tuning a pretrained network)."""

import numpy as np

from . import Exercise, NotSolved


def _mbconv_params(c_in, c_out, k, expand=6):
    wide = expand * c_in
    batch_norm_channels = wide + wide + c_out  # after the expand, the depthwise and the project convolution
    trainable = c_in * wide + k * k * wide + wide * c_out + 2 * batch_norm_channels
    return trainable, 2 * batch_norm_channels


def _mbconv_cases(rng):
    cases = [((192, 192, 5), {}), ((112, 192, 5), {}), ((16, 24, 3), {}), ((1, 1, 1), {}), ((40, 80, 3), {}),
             ((8, 8, 3), {"expand": 2})]  # fmt: skip
    for _ in range(10):
        c_in, c_out = int(rng.integers(1, 400)), int(rng.integers(1, 400))
        cases.append(((c_in, c_out, int(rng.choice([3, 5, 7]))), {"expand": int(rng.choice([2, 4, 6]))}))
    return cases


def _unfreeze_for_fine_tuning(base, top_layers):
    import keras

    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name in top_layers and not isinstance(layer, keras.layers.BatchNormalization)


def _toy_base(frozen):
    """A small functional model with EfficientNet-style layer names (convolutions, BatchNormalization, ReLU6)."""
    import keras
    from keras import layers

    x = inputs = keras.Input((8, 8, 3))
    for prefix, kind in [("stem", "conv"), ("block1a", "dwconv"), ("block2a", "expand"), ("block2a", "dwconv"),
                         ("block2b", "expand"), ("block2b", "project")]:  # fmt: skip
        if kind == "dwconv":
            x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"{prefix}_dwconv")(x)
        else:
            x = layers.Conv2D(6, 1, use_bias=False, name=f"{prefix}_{kind}_conv")(x)
        x = layers.BatchNormalization(name=f"{prefix}_{kind}_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_{kind}_activation")(x)
    base = keras.Model(inputs, x, name="toy_base")
    base.trainable = not frozen
    return base


def _trainable_state(base):
    """(names of the trainable layers, number of trainable weights) of a model."""
    return {layer.name for layer in base.layers if layer.trainable}, sum(
        int(np.prod(w.shape)) for w in base.trainable_weights
    )


def _check_unfreeze(fn):
    import keras

    for frozen in (True, False):  # the base as phase 1 leaves it (frozen), and a base left fully trainable
        for stage in ("block2b", "block2", "block1a"):
            expected_base, got_base = _toy_base(frozen), _toy_base(frozen)
            top = {layer.name for layer in expected_base.layers if layer.name.startswith(stage)}
            _unfreeze_for_fine_tuning(expected_base, top)
            try:
                fn(got_base, set(top))
            except NotImplementedError:
                raise NotSolved from None
            except Exception as exc:
                return f"it raised {type(exc).__name__}: {exc}"
            names, count = _trainable_state(got_base)
            expected_names, expected_count = _trainable_state(expected_base)
            where = f"(a {'frozen' if frozen else 'trainable'} base, top_layers = the layers of {stage})"
            if count == 0 and expected_count > 0:
                return f"the base has no trainable weights afterwards {where}"
            outside = sorted(n for n in names - top if got_base.get_layer(n).weights)
            if outside:
                return f"layers outside top_layers are trainable, e.g. {outside[0]} {where}"
            bn = sorted(n for n in names if isinstance(got_base.get_layer(n), keras.layers.BatchNormalization))
            if bn:
                return f"BatchNormalization layers of top_layers are trainable, e.g. {bn[0]} {where}"
            missing = sorted(expected_names - names)
            if missing:
                return f"layers of top_layers stay frozen, e.g. {missing[0]} {where}"
            if count != expected_count:
                return f"{count:,} trainable weights, which is not the right count {where}"
    return None


EXERCISES = {
    "13.mbconv_params": Exercise(
        title="the parameters of an MBConv block",
        reference=_mbconv_params,
        cases=_mbconv_cases,
        hint="an MBConv block is three convolutions without biases (expand 1 x 1, depthwise k x k, project 1 x 1), "
        "each followed by BatchNormalization: count each convolution's weights from the channels it reads and writes, "
        "and remember which of BatchNormalization's four numbers per channel are trainable",
        recipe="write the channel counts along the block: c_in, then expand * c_in after the expansion and after the "
        "depthwise step, then c_out; count a 1 x 1 convolution as one weight per (input channel, output channel) pair "
        "and the depthwise one as one k x k filter per channel; add the BatchNormalization numbers of the three "
        "outputs (gamma and beta trainable, moving mean and variance not); return (trainable, non_trainable) as ints",
    ),
    "13.unfreeze": Exercise(
        title="unfreeze the top stage for fine-tuning",
        reference=_unfreeze_for_fine_tuning,
        cases=lambda rng: [],
        extra=[_check_unfreeze],
        hint="a frozen model contributes no trainable weights, whatever the flags of its layers say, and "
        "BatchNormalization layers stay frozen during fine-tuning; every layer of base must end up either trainable "
        "or frozen, none left as it was",
        recipe="make the base itself trainable again first (setting a model's trainable also sets all its layers'), "
        "then go through base.layers and decide each layer's trainable flag from two facts: whether its name is in "
        "top_layers, and whether it is a BatchNormalization layer (isinstance with keras.layers.BatchNormalization); "
        "change base in place and return nothing",
    ),
}
