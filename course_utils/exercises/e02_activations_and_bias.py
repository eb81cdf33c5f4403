"""Exercises of notebook 02 (activations, vanishing gradients and the bias)."""

import numpy as np

from . import Exercise


def _derivatives(x, alpha):
    s = 1 / (1 + np.exp(-x))
    t = np.tanh(x)
    return s * (1 - s), 1 - t**2, np.where(x > 0, 1.0, 0.0), np.where(x > 0, 1.0, alpha)


def _derivatives_cases(rng):
    cases = [((np.linspace(-5.0, 5.0, 11), 0.1), {}), ((np.array([-2.0, 0.0, 2.0]), 0.2), {})]
    for shape in [(7,), (3, 4), (2, 3, 2), (1,)]:
        x = rng.normal(0, 4, size=shape)
        x.flat[0] = 0.0  # ReLU has no derivative at 0: TensorFlow uses 0 (alpha for leaky ReLU)
        cases.append(((x, float(rng.uniform(0.01, 0.5))), {}))
    cases.append(((np.array([-30.0, -12.0, 12.0, 30.0]), 0.01), {}))  # saturated: both slopes are about 0
    return cases


def _merge_linear(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2 + b2


def _merge_linear_cases(rng):
    cases = []
    for n_in, hidden, n_out in [(3, 4, 2), (2, 2, 2), (5, 3, 4), (1, 6, 3), (4, 1, 5)]:
        cases.append(((rng.normal(size=(n_in, hidden)), rng.normal(size=hidden),
                       rng.normal(size=(hidden, n_out)), rng.normal(size=n_out)), {}))
    return cases


def _clip_by_global_norm(gradients, c):
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in gradients))
    scale = c / max(norm, c)  # min(1, c / norm), without dividing by a zero norm
    return tuple(np.asarray(g) * scale for g in gradients)


def _clip_cases(rng):
    cases = [(([np.array([3.0, 4.0]), np.array([12.0])], 1.0), {}),  # the notebook's example: global norm 13
             (([np.array([3.0, 4.0]), np.array([12.0])], 20.0), {}),  # below the threshold: left alone
             (([np.array([0.3, -0.4])], 1.0), {})]  # one small variable: left alone
    for _ in range(4):
        gradients = [np.round(rng.normal(0, 3, size=shape), 2) for shape in [(2,), (2, 2), (1,)]]
        cases.append(((gradients, float(rng.uniform(0.5, 3.0))), {}))
    return cases


EXERCISES = {
    "02.derivatives": Exercise(
        title="the derivatives of four activations",
        reference=_derivatives,
        cases=_derivatives_cases,
        hint="the derivatives of sigmoid and tanh are most easily written with the functions' own values, not with x, "
        "and those of ReLU and leaky ReLU are piecewise constant: decide which side x = 0 belongs to (TensorFlow's "
        "convention)",
        recipe="compute sigma(x) and np.tanh(x) once and build the first two derivatives from them with the table of "
        "section 1; for the other two use np.where on the condition x > 0 with the slope of each side (x = 0 goes "
        "with the negative side), and mind that leaky ReLU's slope below 0 is a constant; return four arrays shaped "
        "like x, in the order sigmoid', tanh', ReLU', leaky ReLU'",
    ),
    "02.merge_linear": Exercise(
        title="two linear layers as one",
        reference=_merge_linear,
        cases=_merge_linear_cases,
        hint="a linear layer applied to the output of another linear layer is still one linear function of x: write "
        "the second layer's output in terms of x and see which part multiplies x and which part does not",
        recipe="substitute the first layer's output into the second layer, multiply out, and group the terms: the "
        "kernel is whatever multiplies x, the bias is every term without x (each of those must reach the n_out "
        "outputs, so follow what happens to b1 on its way); with Keras' row vectors x W the first layer's kernel "
        "comes first in a product; return (W, b)",
    ),
    "02.global_clipnorm": Exercise(
        title="clipping by the global norm",
        reference=_clip_by_global_norm,
        cases=_clip_cases,
        hint="global_clipnorm treats all the gradients as one long vector: one norm for all of them together, and one "
        "common factor that shrinks them only when that norm exceeds c, so the direction of the whole update is kept",
        recipe="add up the squares of every component of every array in the list (np.sum over each array, then the "
        "sum over the list) and take one square root; from it and c compute the single scale factor, which is 1 when "
        "the norm is already at most c and brings the norm down to exactly c otherwise; multiply every array by it "
        "and return a tuple",
    ),
}
