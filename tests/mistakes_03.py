"""Typical mistakes of notebook 03's momentum exercise (loaded by tests/test_exercises.py)."""

import numpy as np


def _path(grad_fn, w0, learning_rate, beta, steps, update, with_start=True):
    w = np.array(w0, dtype=float)
    m = np.zeros_like(w)
    path = [w.copy()] if with_start else []
    for _ in range(steps):
        w, m = update(grad_fn, w, m, learning_rate, beta)
        path.append(w.copy())
    return np.array(path)


def _keras(grad_fn, w, m, lr, beta):
    m = beta * m - lr * grad_fn(w)
    return w + m, m


def _ewa_velocity(grad_fn, w, m, lr, beta):
    # the EWA form's velocity with Keras' learning rate: steps 1 - beta times too short
    m = beta * m + (1 - beta) * grad_fn(w)
    return w - lr * m, m


def _old_velocity(grad_fn, w, m, lr, beta):
    # moves w with the velocity of the previous step, then updates it
    w_new = w + m
    return w_new, beta * m - lr * grad_fn(w)


def _lookahead(grad_fn, w, m, lr, beta):
    # the gradient taken at the look-ahead point w + beta m: Nesterov, not momentum
    m = beta * m - lr * grad_fn(w + beta * m)
    return w + m, m


def _uphill(grad_fn, w, m, lr, beta):
    # the sign of the gradient step flipped
    m = beta * m + lr * grad_fn(w)
    return w + m, m


def _in_place(grad_fn, w0, learning_rate, beta, steps):
    # appends the same array every time and changes it in place: every row ends up as the last point
    w = np.array(w0, dtype=float)
    m = np.zeros_like(w)
    path = [w]
    for _ in range(steps):
        m = beta * m - learning_rate * grad_fn(w)
        w += m
        path.append(w)
    return np.array(path)


MISTAKES = {
    "03.momentum_path": [
        lambda f, w0, lr, beta, steps: _path(f, w0, lr, beta, steps, _ewa_velocity),
        lambda f, w0, lr, beta, steps: _path(f, w0, lr, beta, steps, _old_velocity),
        lambda f, w0, lr, beta, steps: _path(f, w0, lr, beta, steps, _lookahead),
        lambda f, w0, lr, beta, steps: _path(f, w0, lr, beta, steps, _uphill),
        lambda f, w0, lr, beta, steps: _path(f, w0, lr, beta, steps, _keras, with_start=False),
        _in_place,
    ],
}
