"""Typical mistakes of notebook 10's exercises (loaded by test_exercises.py)."""

import keras
import numpy as np


def _bn_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def _inputs(model, bn, x, batch_size):
    feeder = keras.Model(model.inputs[0], bn.input)
    h = np.concatenate([np.asarray(feeder(x[i:i + batch_size])) for i in range(0, len(x), batch_size)])
    return h.reshape(-1, h.shape[-1]).astype("float64")


def _recalibrate(model, x, batch_size, ddof=0, epsilon=0.0, per_batch=False, measure_all_first=False):
    measured = []
    for bn in _bn_layers(model):
        if per_batch:  # the average of the per-batch means and variances
            parts = [_inputs(model, bn, x[i:i + batch_size], batch_size) for i in range(0, len(x), batch_size)]
            stats = (np.mean([p.mean(axis=0) for p in parts], axis=0), np.mean([p.var(axis=0) for p in parts], axis=0))
        else:
            h = _inputs(model, bn, x, batch_size)
            stats = (h.mean(axis=0), h.var(axis=0, ddof=ddof) + epsilon)
        measured.append((bn, stats))
        if not measure_all_first:  # the right way: write, then measure the next layer
            bn.moving_mean.assign(stats[0])
            bn.moving_variance.assign(stats[1])
    return [stats for _, stats in measured]


MISTAKES = {
    "10.recalibrate": [
        lambda model, x, b: _recalibrate(model, x, b, ddof=1),  # the unbiased variance
        lambda model, x, b: _recalibrate(model, x, b, epsilon=1e-3),  # epsilon stored in the moving variance
        lambda model, x, b: _recalibrate(model, x, b, per_batch=True),  # averages per-batch statistics
        lambda model, x, b: _recalibrate(model, x, b, measure_all_first=True),  # bn2 measured with bn1's old statistics
    ],
}
