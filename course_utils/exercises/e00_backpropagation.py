"""Exercises of notebook 00 (backpropagation by hand)."""

import numpy as np

from . import Exercise, _compare, _describe

GRADIENT_NAMES = ("W1", "b1", "W2", "b2")


def _backprop(p, x, t):
    """dE/dparameter of a sigmoid network with one hidden layer, E = 1/2 sum over the batch and the outputs of
    (t - out)^2; kernels in Keras' layout (inputs, units); x: (m, inputs), t: (m, outputs)."""
    out_h = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
    out_o = 1 / (1 + np.exp(-(out_h @ p["W2"] + p["b2"])))
    delta_2 = (out_o - t) * out_o * (1 - out_o)
    delta_1 = (delta_2 @ p["W2"].T) * out_h * (1 - out_h)
    return {"W1": x.T @ delta_1, "b1": delta_1.sum(axis=0), "W2": out_h.T @ delta_2, "b2": delta_2.sum(axis=0)}


def _network(rng, n_in, n_hidden, n_out, m):
    p = {"W1": rng.normal(size=(n_in, n_hidden)), "b1": rng.normal(scale=0.5, size=n_hidden),
         "W2": rng.normal(size=(n_hidden, n_out)), "b2": rng.normal(scale=0.5, size=n_out)}  # fmt: skip
    return p, rng.normal(size=(m, n_in)), rng.uniform(0, 1, size=(m, n_out))


def _backprop_cases(rng):
    worked = {"W1": np.array([[0.15, 0.25], [0.20, 0.30]]), "b1": np.array([0.35, 0.35]),
              "W2": np.array([[0.40, 0.50], [0.45, 0.55]]), "b2": np.array([0.60, 0.60])}  # fmt: skip
    cases = [((worked, np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])), {}, "the worked example (m = 1)")]
    # layer sizes not square where possible, so that a kernel or a product turned the wrong way shows
    for n_in, n_hidden, n_out, m in [(3, 4, 2, 1), (2, 2, 2, 2), (3, 5, 2, 4), (4, 3, 6, 5), (2, 1, 3, 3),
                                     (5, 4, 1, 8), (2, 3, 4, 1)]:  # fmt: skip
        p, x, t = _network(rng, n_in, n_hidden, n_out, m)
        kind = "one example (m = 1)" if m == 1 else f"a batch of m = {m}"
        cases.append(((p, x, t), {}, f"{kind}, layers {n_in}-{n_hidden}-{n_out}"))
    for _ in range(3):
        sizes = [int(v) for v in rng.integers(1, 7, size=3)]
        m = int(rng.integers(2, 10))
        p, x, t = _network(rng, *sizes, m)
        cases.append(((p, x, t), {}, f"a batch of m = {m}, layers {sizes[0]}-{sizes[1]}-{sizes[2]}"))
    return cases


def _compare_gradients(got, expected, atol=1e-10):
    """None when the dict `got` holds the right four gradients; else which one is wrong and how."""
    if got is None:
        return "it returned None: did you forget `return`?"
    if not isinstance(got, dict):
        return f"it should return a dict with the keys {', '.join(GRADIENT_NAMES)}, got {_describe(got)}"
    missing = [name for name in GRADIENT_NAMES if name not in got]
    if missing:
        return f"the dict has no {', '.join(missing)}: return the gradients under the keys {', '.join(GRADIENT_NAMES)}"
    for name in ("W2", "b2", "W1", "b1"):  # in the order the backward pass computes them
        value, right = got[name], expected[name]
        if name.startswith("b") and np.ndim(value) == 2 and np.shape(value)[-1] == right.shape[0]:
            return (f"dE/d{name} has shape {np.shape(value)}, one row per example; a parameter's gradient has the "
                    f"parameter's shape, {right.shape}")  # fmt: skip
        problem = _compare(value, right, atol)
        if problem is not None:
            return f"dE/d{name}: {problem}"
    return None


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
    "00.backprop": Exercise(
        title="the backward pass of a batch",
        reference=_backprop,
        cases=_backprop_cases,
        compare=_compare_gradients,
        hint="the backward pass needs what the forward pass computed, so run the forward pass first and keep every "
        "layer's outputs; then go from the error back to the inputs, one delta per layer, each built from the one "
        "after it; every example of the batch adds its own share to every gradient, and a gradient always has the "
        "shape of its parameter",
        recipe="(1) forward: net and out of the hidden layer from x, W1 and b1, then of the output layer from out_h, "
        "W2 and b2 (rows are examples); (2) the output delta: how E changes with out_o, times the sigmoid's slope "
        "written with out_o; (3) the hidden delta: send the output delta back through W2 so that it comes out with "
        "one column per hidden unit (check the shapes), times the hidden sigmoid's slope; (4) a kernel's gradient "
        "pairs the layer's input with its delta and adds over the m examples in one matrix product, shape (inputs, "
        "units); a bias's gradient adds its delta over the m examples, shape (units,); (5) return a dict with the "
        "keys W1, b1, W2, b2",
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
