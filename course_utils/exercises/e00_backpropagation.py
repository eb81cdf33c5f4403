"""Exercises of notebook 00 (backpropagation by hand)."""

import numpy as np

from . import Exercise


def _output_delta(out, target):
    return (out - target) * out * (1 - out)


def _output_delta_cases(rng):
    cases = [
        ((0.75136507, 0.01), {}),  # o1 of the worked example
        ((0.77292847, 0.99), {}),  # o2
        ((np.array([0.5, 0.5]), np.array([0.0, 1.0])), {}),
        ((np.array([[0.9, 0.1, 0.3]]), np.array([[0.1, 0.9, 0.3]])), {}),  # the last unit is on its target
    ]
    for shape in [(2,), (1, 2), (5, 3), (4, 1), (3, 2, 2)]:
        out = rng.uniform(0.02, 0.98, size=shape)
        cases.append(((out, rng.uniform(0, 1, size=shape)), {}))
    return cases


def _hidden_delta(delta_next, w_next, out_h):
    return (delta_next @ w_next.T) * out_h * (1 - out_h)


def _hidden_delta_cases(rng):
    cases = []
    # not square first: a kernel turned the wrong way fails on the shapes, not on values
    for m, n_h, n_out in [(4, 2, 3), (1, 3, 2), (1, 2, 2), (5, 4, 4), (3, 6, 1), (2, 1, 5)]:
        delta_next = rng.normal(scale=0.1, size=(m, n_out))
        w_next = rng.normal(size=(n_h, n_out))
        out_h = rng.uniform(0.05, 0.95, size=(m, n_h))
        cases.append(((delta_next, w_next, out_h), {}))
    return cases


class _Function:
    """A scalar function of a vector, shown by its formula in the check's messages."""

    def __init__(self, formula, fn):
        self.formula, self.fn = formula, fn

    def __call__(self, theta):
        return self.fn(theta)

    def __repr__(self):
        return f"f(theta) = {self.formula}"


def _centered_difference(f, theta, eps):
    g = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        g[i] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return g


def _network_error(theta):
    """E of the 2-2-2 sigmoid network of the notebook, its 12 parameters in one vector."""
    w1, b1, w2, b2 = theta[:4].reshape(2, 2), theta[4:6], theta[6:10].reshape(2, 2), theta[10:]
    out_h = 1 / (1 + np.exp(-(np.array([0.05, 0.10]) @ w1 + b1)))
    out_o = 1 / (1 + np.exp(-(out_h @ w2 + b2)))
    return 0.5 * np.sum((np.array([0.01, 0.99]) - out_o) ** 2)


def _centered_difference_cases(rng):
    a = rng.normal(size=(4, 4))
    a = a @ a.T + np.eye(4)  # symmetric, with off-diagonal terms: every entry's slope depends on the others
    b = rng.normal(size=4)
    functions = [
        _Function("sum(theta ** 2)", lambda th: float(np.sum(th**2))),
        _Function("0.5 theta.A.theta + b.theta", lambda th: float(0.5 * th @ a @ th + b @ th)),
        _Function("sum(sin(3 theta))", lambda th: float(np.sum(np.sin(3 * th)))),
        _Function("log(sum(exp(theta)))", lambda th: float(np.log(np.sum(np.exp(th))))),
        _Function("theta[0] * exp(theta[-1])", lambda th: float(th[0] * np.exp(th[-1]))),
    ]
    cases = []
    for f, size in zip(functions, (3, 4, 5, 6, 2)):
        cases.append(((f, rng.normal(size=size), float(rng.choice([1e-2, 3e-3, 1e-3]))), {}))
    cases.append(((functions[0], np.array([1.0]), 0.1), {}))  # one parameter
    start = np.array([0.15, 0.25, 0.20, 0.30, 0.35, 0.35, 0.40, 0.50, 0.45, 0.55, 0.60, 0.60])
    cases.append(((_Function("E of the 2-2-2 network", _network_error), start, 1e-2), {}))
    return cases


EXERCISES = {
    "00.output_delta": Exercise(
        title="delta of a sigmoid output unit",
        reference=_output_delta,
        cases=_output_delta_cases,
        hint="delta is how fast E changes with the unit's net input, so by the chain rule it is the product of how E "
        "depends on out and how the sigmoid's out depends on net; the sign of the first factor is the usual trap, and "
        "everything works element by element",
        recipe="differentiate E = 1/2 (t - out)^2 with respect to out (the 1/2 cancels the 2; check which way round "
        "the difference comes out), write the sigmoid's derivative with out instead of net (section 3), and multiply "
        "the two; use only element-wise arithmetic, no loops and no np.dot, so that numbers and arrays of any shape "
        "both work",
    ),
    "00.hidden_delta": Exercise(
        title="delta of a hidden layer",
        reference=_hidden_delta,
        cases=_hidden_delta_cases,
        hint="a hidden unit reaches E through every unit of the next layer, so its delta collects the next layer's "
        "deltas, weighted by the weights that connect it to them, and then passes through its own sigmoid's slope; "
        "the result has one row per example and one column per hidden unit",
        recipe="first combine delta_next, shape (m, next), with W_next, shape (hidden, next), in one matrix product "
        "whose result is (m, hidden): the shapes tell you which of the two has to be transposed; then multiply that "
        "element by element by the sigmoid's derivative of the hidden units, written with out_h as in exercise 1",
    ),
    "00.centered_difference": Exercise(
        title="numerical gradient by centered differences",
        reference=_centered_difference,
        cases=_centered_difference_cases,
        hint="each g[i] is the slope of f along entry i alone: compare f a small step above and a small step below "
        "theta in that one direction, symmetric about theta, without changing theta itself",
        recipe="start from an array of zeros shaped like theta; for each index i make a copy of theta with only entry "
        "i raised by eps and another with it lowered by eps (or add and subtract eps times a unit vector e_i), "
        "evaluate f at both, and divide the difference of the two values by the distance between the two points; "
        "never write into theta itself",
    ),
}
