"""Typical mistakes in the exercises of notebook 04 (convolution); tests/test_exercises.py loads them."""

import keras
import tensorflow as tf


def _train(images, targets, steps, learning_rate, reduce=tf.reduce_mean, sign=-1.0, init="zeros", fixed_steps=None):
    # 04.learn_kernel with one thing changed: the loss reduction, the direction of the step, the starting kernel,
    # or a number of steps that ignores `steps`
    layer = keras.layers.Conv2D(1, 3, use_bias=False, kernel_initializer=init)
    x = tf.constant(images[..., None], dtype="float32")
    t = tf.constant(targets[..., None], dtype="float32")
    layer.build(x.shape)
    for _ in range(steps if fixed_steps is None else fixed_steps):
        with tf.GradientTape() as tape:
            loss = reduce((layer(x) - t) ** 2)
        layer.kernel.assign_add(sign * learning_rate * tape.gradient(loss, layer.kernel))
    return keras.ops.convert_to_numpy(layer.kernel)[:, :, 0, 0]


def _mean_abs(images, targets, steps, learning_rate):
    # the absolute error instead of the squared one: another loss, another path
    return _train(images, targets, steps, learning_rate, reduce=lambda e: tf.reduce_mean(tf.sqrt(e)))


MISTAKES = {
    "04.learn_kernel": [
        lambda x, t, n, lr: _train(x, t, n, lr, reduce=tf.reduce_sum),  # summed loss: steps far too large
        lambda x, t, n, lr: _train(x, t, n, lr, sign=1.0),  # adds the gradient: climbs the loss
        lambda x, t, n, lr: _train(x, t, n, lr, init="glorot_uniform"),  # starts from Keras' random kernel
        lambda x, t, n, lr: _train(x, t, n, lr, fixed_steps=50),  # ignores `steps`
        _mean_abs,
        lambda x, t, n, lr: _train(x, t, n, lr)[::-1, ::-1],  # returns the kernel flipped
    ],
}
