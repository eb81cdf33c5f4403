"""Typical mistakes of notebook 09's exercises (loaded by test_exercises.py)."""

import keras
import numpy as np
from keras import layers


def _cnn(filters, dense_units, l2=0.0, dropout=0.0, drop_after="flatten", penalize_bias=False, factor=None,
         dense_only=False, second_filters=2, softmax=True):
    # the network of 09.regularized_cnn with one thing changed
    penalty = keras.regularizers.L2(l2 if factor is None else factor)
    conv_penalty = None if dense_only else penalty
    bias = penalty if penalize_bias else None
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_regularizer=conv_penalty,
                      bias_regularizer=bias)(inputs)
    if drop_after == "conv":
        x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(second_filters * filters, 3, padding="same", activation="relu",
                      kernel_regularizer=conv_penalty, bias_regularizer=bias)(x)
    if drop_after == "conv":
        x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(layers.MaxPooling2D(2)(x))
    if drop_after == "flatten":
        x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense_units, activation="relu", kernel_regularizer=penalty, bias_regularizer=bias)(x)
    if drop_after in ("flatten", "output"):
        x = layers.Dropout(dropout)(x)
    x = layers.Dense(10, activation="softmax" if softmax else None, kernel_regularizer=penalty,
                     bias_regularizer=bias)(x)
    if drop_after == "output":
        x = layers.Dropout(dropout)(x)
    return keras.Model(inputs, x)


def _early_stopping_le(losses, patience):
    # `<=` instead of `<`: a loss equal to the best restarts the count and moves the best epoch
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss <= best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(losses)


def _early_stopping(losses, patience):
    from course_utils import exercises

    return exercises.get("09.early_stopping").reference(losses, patience)


MISTAKES = {
    "09.regularized_cnn": [
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, drop_after="conv"),  # dropout after the convs
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, drop_after="output"),  # after the softmax
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, penalize_bias=True),  # biases penalized
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, factor=0.01),  # the notebook's l2 hard-coded
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, dense_only=True),  # no penalty on the convs
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, second_filters=1),  # second conv: filters
        lambda f, u, l2=0.0, dropout=0.0: _cnn(f, u, l2, dropout, softmax=False),  # logits, not probabilities
    ],
    "09.early_stopping": [
        # hindsight: the best epoch of the whole curve, and patience epochs after it
        lambda losses, p: (int(np.argmin(losses)) + 1, min(len(losses), int(np.argmin(losses)) + 1 + p)),
        _early_stopping_le,  # an equal loss counted as an improvement
        lambda losses, p: (_early_stopping(losses, p)[0] - 1, _early_stopping(losses, p)[1]),  # epochs from 0
        lambda losses, p: (_early_stopping(losses, p)[0],  # one epoch too many
                           min(len(losses), _early_stopping(losses, p)[1] + 1)),
    ],
}
