"""Typical mistakes in the exercises of notebook 12 (joined to test_exercises.MISTAKES, replacing its entry for
12.ascent_step, which was a single step before the exercise became the whole loop). Each comes with a phrase that
the check's message must contain: the test below asserts that the message names the mistake."""

import numpy as np
import tensorflow as tf


def _ascend(feature_model, channels, images, steps, step_size, border, sign=1.0, normalize="image",
            keep_border=False, last=True):  # fmt: skip
    # the loop of exercise 1 with one thing changed
    x = tf.convert_to_tensor(images, tf.float32)

    def own(x):
        fmap = feature_model(x, training=False)
        h, w = fmap.shape[1], fmap.shape[2]
        inside = fmap if keep_border else fmap[:, border : h - border, border : w - border, :]
        return tf.gather(tf.reduce_mean(inside, axis=[1, 2]), channels, axis=1, batch_dims=1)

    history = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = own(x)
            total = tf.reduce_sum(loss)
        g = tape.gradient(total, x)
        if normalize == "image":
            g = g / (tf.sqrt(tf.reduce_mean(tf.square(g), axis=[1, 2, 3], keepdims=True)) + 1e-8)
        elif normalize == "batch":
            g = g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-8)
        x = x + sign * step_size * g
        history.append(loss.numpy())
    if last:
        history.append(own(x).numpy())
    return x.numpy(), np.array(history)


MISTAKES = {
    "12.ascent_step": [
        lambda m, c, x, s, eta, b: _ascend(m, c, x, s, eta, b, sign=-1.0),  # descends
        lambda m, c, x, s, eta, b: _ascend(m, c, x, s, eta, b, normalize="none"),  # the raw gradient
        lambda m, c, x, s, eta, b: _ascend(m, c, x, s, eta, b, keep_border=True),  # the border included
        lambda m, c, x, s, eta, b: _ascend(m, c, x, s, eta, b, normalize="batch"),  # one rms for the batch
        lambda m, c, x, s, eta, b: _ascend(m, c, x, s, eta, b, last=False),  # no activation after the last step
    ],
}

NAMED = {  # what the check's message must say about each mistake above, in order (test_exercises.py asserts it)
    "12.ascent_step": ["descent, not ascent", "divide each image's gradient by its root-mean-square",
                       "leave out `border` rows", "its own rms", "steps + 1 rows"],
}  # fmt: skip
