"""Typical mistakes of notebook 13's exercises (loaded by test_exercises.py)."""

import keras
import numpy as np


def _unfreeze_from(model, base, first_layer, learning_rate, train_bn=False, thaw_model=True, freeze_below=True,
                   bn_rule="train_bn", compile_after=True, compile_before=False, inclusive=True):
    loss = "sparse_categorical_crossentropy"
    if compile_before:  # compiles first, then changes the flags
        model.compile(keras.optimizers.Adam(learning_rate), loss=loss)
    if thaw_model in (True, "model only"):
        model.trainable = True  # alone, a no-op on a model that is already trainable: a frozen base stays frozen
    if thaw_model in (True, "base only"):  # alone: a head frozen with the whole model stays frozen
        for layer in model.layers:
            layer.trainable = True
    names = [layer.name for layer in base.layers]
    start = names.index(first_layer) + (0 if inclusive else 1)
    for i, layer in enumerate(base.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        bn_ok = {"train_bn": train_bn, "always": True, "never": False}[bn_rule]
        if i >= start:
            layer.trainable = bn_ok or not is_bn
        elif freeze_below:
            layer.trainable = False
    if compile_after:
        model.compile(keras.optimizers.Adam(learning_rate), loss=loss)
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


MISTAKES = {
    "13.unfreeze": [
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, thaw_model="model only"),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, thaw_model="base only"),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, freeze_below=False),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, bn_rule="always"),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, bn_rule="never"),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, compile_after=False),
        lambda m, b, f, lr, train_bn=False: _unfreeze_from(m, b, f, lr, train_bn, inclusive=False),
    ],
}
