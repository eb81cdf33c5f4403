"""Typical mistakes of notebook 02's exercises (loaded by tests/test_exercises.py): the checks must catch each."""

import numpy as np
import tensorflow as tf


def _gradients(model, x, y, variables, reduce=tf.reduce_mean):
    with tf.GradientTape() as tape:
        prediction = model(x)
        loss = reduce((prediction - tf.cast(y, prediction.dtype)) ** 2)
    return tape.gradient(loss, variables)


def _norms_with_output_layer(model, x, y):
    # every layer's kernel, the output layer's too
    return np.array([float(tf.norm(g)) for g in _gradients(model, x, y, [layer.kernel for layer in model.layers])])


def _norms_of_summed_loss(model, x, y):
    # the sum of the squared errors instead of their mean
    kernels = [layer.kernel for layer in model.layers[:-1]]
    return np.array([float(tf.norm(g)) for g in _gradients(model, x, y, kernels, tf.reduce_sum)])


def _norms_of_the_kernels(model, x, y):
    # the size of the kernels themselves, not of their gradients
    return np.array([float(tf.norm(layer.kernel)) for layer in model.layers[:-1]])


def _norms_with_biases(model, x, y):
    # kernel and bias of each layer measured together
    variables = [v for layer in model.layers[:-1] for v in (layer.kernel, layer.bias)]
    g = _gradients(model, x, y, variables)
    return np.array([float(tf.sqrt(tf.norm(k) ** 2 + tf.norm(b) ** 2)) for k, b in zip(g[::2], g[1::2])])


def _largest_entries(model, x, y):
    # the largest entry of each gradient instead of its norm
    kernels = [layer.kernel for layer in model.layers[:-1]]
    return np.array([float(tf.reduce_max(tf.abs(g))) for g in _gradients(model, x, y, kernels)])


def _spread(model, x, reduce, layers=slice(None, -1)):
    a, out = x, []
    for layer in model.layers[layers]:
        a = layer(a)
        out.append(float(reduce(np.asarray(a))))
    return np.array(out)


MISTAKES = {
    "02.kernel_gradient_norms": [
        _norms_with_output_layer,
        _norms_of_summed_loss,
        _norms_of_the_kernels,
        _norms_with_biases,
        _largest_entries,
    ],
    "02.activation_spread": [
        lambda model, x: _spread(model, x, np.std),  # one std over the whole array: mixes the units
        lambda model, x: _spread(model, x, lambda a: np.mean(np.std(a, axis=1))),  # across the units, per example
        lambda model, x: _spread(model, x, lambda a: np.mean(np.std(a, axis=0)), slice(None)),  # the output layer too
        lambda model, x: _spread(model, x, np.mean),  # the mean activation, not its variation
    ],
}
