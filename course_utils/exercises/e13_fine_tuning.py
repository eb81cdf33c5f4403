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


def _unfreeze_from(model, base, first_layer, learning_rate, train_bn=False):
    import keras

    model.trainable = True  # a no-op when already True: it does not reach the layers then
    for layer in model.layers:  # the head, and the base as a whole
        layer.trainable = True
    names = [layer.name for layer in base.layers]
    start = names.index(first_layer)
    for i, layer in enumerate(base.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= start and (train_bn or not is_bn)
    model.compile(keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


LAYOUT = [("stem", "conv"), ("block1a", "dwconv"), ("block2a", "expand"), ("block2a", "dwconv"),
          ("block2a", "project"), ("block3a", "expand"), ("block3a", "project")]  # fmt: skip


def _toy_model(state, seed):
    """A small EfficientNet-like base (convolutions, BatchNormalization, ReLU6) under a pooled Dense head, in
    one of the states a model can reach fine-tuning in; also (x, y) for one training step."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    x = inputs = keras.Input((6, 5, 3))  # not square: no transposition hides
    for prefix, kind in LAYOUT:
        if kind == "dwconv":
            x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"{prefix}_dwconv")(x)
        else:
            x = layers.Conv2D(4 if kind == "project" else 8, 1, use_bias=False, name=f"{prefix}_{kind}_conv")(x)
        x = layers.BatchNormalization(name=f"{prefix}_{kind}_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_{kind}_activation")(x)
    base = keras.Model(inputs, x, name="toy_base")
    image = keras.Input((6, 5, 3))
    pooled = layers.GlobalAveragePooling2D(name="pool")(base(image, training=False))
    model = keras.Model(image, layers.Dense(3, activation="softmax", name="classifier")(pooled), name="toy")
    rng = np.random.default_rng(seed)
    xy = (rng.normal(size=(12, 6, 5, 3)).astype("float32"), rng.integers(0, 3, 12))
    loss = "sparse_categorical_crossentropy"
    if state == "phase 1 done":  # base frozen as a whole, compiled and trained with a large learning rate
        base.trainable = False
        model.compile(keras.optimizers.Adam(1e-2), loss=loss)
        model.fit(*xy, epochs=1, batch_size=12, verbose=0)
    elif state == "whole model frozen":
        model.trainable = False
    elif state == "fine-tuned before, from another layer":
        _unfreeze_from(model, base, "block1a_dwconv", 1e-2, train_bn=True)
    return model, base, xy


CASES = [("phase 1 done", "block3a_expand_conv", False), ("whole model frozen", "block2a_dwconv", False),
         ("fine-tuned before, from another layer", "block2a_expand_conv", False),
         ("never compiled", "block2a_dwconv", True)]  # fmt: skip


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def _check_unfreeze_from(fn):
    import logging

    logger = logging.getLogger("tensorflow")  # each fresh model traces its training step once: no retracing notes
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return _check_cases(fn)
    finally:
        logger.setLevel(level)


def _check_cases(fn):
    import keras

    for k, (state, first, train_bn) in enumerate(CASES):
        lr = [3e-4, 2e-5, 1e-4, 5e-4][k]
        model, base, (x, y) = _toy_model(state, seed=k)
        where = f"(a model with {state}, first_layer={first!r}, train_bn={train_bn})"
        try:
            got = fn(model, base, first, lr, train_bn=train_bn)
        except NotImplementedError:
            raise NotSolved from None
        except Exception as exc:
            return f"it raised {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]} {where}"
        names = [layer.name for layer in base.layers]
        start = names.index(first)
        head = model.get_layer("classifier")
        if not model.trainable_weights:
            return f"the model has no trainable weights afterwards {where}"
        if not (head.trainable and model.trainable):
            return f"the head is frozen: it must go on learning in phase 2 {where}"
        for i, layer in enumerate(base.layers):
            if not layer.weights:
                continue
            is_bn = isinstance(layer, keras.layers.BatchNormalization)
            if i < start and layer.trainable:
                return f"{layer.name}, before first_layer, is trainable {where}"
            if i >= start and not is_bn and not layer.trainable:
                return f"{layer.name}, from first_layer on, stays frozen {where}"
            if i >= start and is_bn and layer.trainable != train_bn:
                state_bn = "trainable" if layer.trainable else "frozen"
                return f"the BatchNormalization layer {layer.name} is {state_bn} although train_bn={train_bn} {where}"
        if not base.trainable_weights:
            return f"the base contributes no trainable weights {where}"
        expected = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        if not isinstance(got, (int, np.integer)) or int(got) != expected:
            return f"returned {got!r}; it should return the number of trainable parameters, {expected:,} here {where}"
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None or not isinstance(optimizer, keras.optimizers.Adam):
            return f"the model is not compiled with Adam after the change {where}"
        if not np.isclose(float(keras.ops.convert_to_numpy(optimizer.learning_rate)), lr, rtol=1e-4):
            return f"the optimizer's learning rate is not learning_rate: compile again after the change {where}"
        if k > 0:  # one training step, on the model that was trained before, shows what moves (fits are slow)
            continue
        trainable_ids = {id(w) for w in model.trainable_weights}
        before = _values(model.weights)
        model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
        after = _values(model.weights)
        for w, b, a in zip(model.weights, before, after):
            moved = not np.array_equal(b, a)
            if id(w) in trainable_ids and not moved:
                return f"{w.path} did not move in a training step: compile after changing trainable {where}"
            if moved and id(w) not in trainable_ids and not (train_bn and "moving" in w.path):
                return f"{w.path} moved in a training step although it is frozen: compile after the change {where}"
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
        title="set up fine-tuning from a layer on",
        reference=_unfreeze_from,
        cases=lambda rng: [],
        extra=[_check_unfreeze_from],
        hint="the model may arrive in any state (base frozen as a whole, the whole model frozen, left over from "
        "an earlier fine-tuning, never compiled): every layer must end up trainable or frozen by your rule, none "
        "left as it was; and the training step only learns of the change when it is built again",
        recipe="make the model and each of its layers trainable first (a frozen model or base contributes no "
        "trainable weights, whatever its layers' flags say, and setting trainable to the value it already has "
        "changes nothing below it); find where first_layer sits in base.layers (they are listed in the order "
        "they compute); set each base layer's trainable from two facts, its position against first_layer and "
        "whether it is a BatchNormalization layer (only trainable if train_bn); then compile with "
        "keras.optimizers.Adam(learning_rate) and the sparse categorical cross-entropy, and return the number of "
        "trainable parameters of the model",
    ),
}
