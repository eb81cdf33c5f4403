"""Typical mistakes in the exercises of notebook 07 (joined to test_exercises.MISTAKES)."""

import keras
import numpy as np


def _changes(model, before):
    return {w.path: float(np.max(np.abs(w.numpy() - before[w.path]))) for w in model.weights}


def _snapshot(model):
    return {w.path: np.array(w.numpy()) for w in model.weights}


def _fit(model, x, y):
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)


def _compile(model):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")


def _step_and_report(model, x, y):
    # one training step, then the largest change of every variable (what train_frozen reports)
    before = _snapshot(model)
    _fit(model, x, y)
    return _changes(model, before)


def _no_recompile(model, frozen, x, y):
    # compiles only a model that was never compiled: a training step built earlier keeps the old flags
    model.trainable = True
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    if not model.compiled:
        _compile(model)
    return _step_and_report(model, x, y)


def _freeze_only(model, frozen, x, y):
    # freezes the named layers but leaves every other layer as it was (layers frozen earlier stay frozen)
    model.trainable = True
    for name in frozen:
        model.get_layer(name).trainable = False
    _compile(model)
    return _step_and_report(model, x, y)


def _layers_only(model, frozen, x, y):
    # sets every layer's flag but not the model's: a model frozen as a whole stays frozen
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    _compile(model)
    return _step_and_report(model, x, y)


def _trainable_only(model, frozen, x, y):
    # reports only the trainable variables: the frozen ones are missing from the dict
    model.trainable = True
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    _compile(model)
    before = _snapshot(model)
    _fit(model, x, y)
    return {w.path: float(np.max(np.abs(w.numpy() - before[w.path]))) for w in model.trainable_weights}


def _variables_not_values(model, frozen, x, y):
    # keeps the variables themselves instead of copies of their values: every change comes out 0
    model.trainable = True
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    _compile(model)
    before = {w.path: w for w in model.weights}
    _fit(model, x, y)
    return {w.path: float(np.max(np.abs(w.numpy() - before[w.path].numpy()))) for w in model.weights}


MISTAKES = {
    "07.train_frozen": [_no_recompile, _freeze_only, _layers_only, _trainable_only, _variables_not_values],
}
