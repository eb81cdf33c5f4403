"""Exercises of notebook 08 (weight initialization)."""

import numpy as np

from . import Exercise, _compare, _describe


def _variance_of_sum(x, var_w):
    return var_w * np.sum(np.square(x))


def _variance_cases(rng):
    cases = [((np.ones(250), 1.0), {}), ((np.ones(250), 1 / 250), {}), ((np.array([1.0, -2.0, 3.0]), 0.5), {})]
    for n in (1, 10, 64, 400):
        cases.append(((rng.normal(0, 2, size=n), float(rng.uniform(0.01, 3.0))), {}))
    return cases


def _kernel_scales(shape):
    window = int(np.prod(shape[:-2]))  # the kernel window: 1 for a Dense kernel (n_in, n_out)
    fan_in, fan_out = window * shape[-2], window * shape[-1]
    return float(np.sqrt(6 / (fan_in + fan_out))), float(np.sqrt(2 / fan_in))


def _shape_cases(rng):
    cases = [(((250, 100),), {}, "a Dense kernel (250, 100)"), (((3, 3, 8, 16),), {}, "a 3 x 3 Conv2D kernel"),
             (((500, 2000),), {}, "a Dense kernel (500, 2000)")]  # fmt: skip
    for _ in range(3):
        n_in, n_out = int(rng.integers(1, 1000)), int(rng.integers(1, 1000))
        cases.append((((n_in, n_out),), {}, f"a Dense kernel ({n_in}, {n_out})"))
    for _ in range(4):
        k, c_in, c_out = int(rng.choice([1, 3, 5, 7])), int(rng.integers(1, 257)), int(rng.integers(1, 257))
        cases.append((((k, k, c_in, c_out),), {}, f"a {k} x {k} Conv2D kernel ({k}, {k}, {c_in}, {c_out})"))
    cases += [(((5, 4, 32),), {}, "a Conv1D kernel (5, 4, 32)"), (((3, 3, 3, 16, 8),), {}, "a Conv3D kernel"),
              (((1, 7, 3, 64),), {}, "a 1 x 7 Conv2D kernel")]  # fmt: skip
    return cases


def _forward_stds(x, kernels, activation):
    h, stds, factors = x, [], []
    gain = 0.5 if activation == "relu" else 1.0  # ReLU keeps half of the second moment; tanh ~ identity near 0
    for W in kernels:
        h = np.maximum(h @ W, 0) if activation == "relu" else np.tanh(h @ W)
        stds.append(h.std())
        factors.append(np.sqrt(W.shape[0] * W.var() * gain))
    return np.array(stds), np.array(factors)


_SCALES = {  # label: weight std for a layer with fans (n_in, n_out)
    "N(0, 1)": lambda n_in, n_out: 1.0,
    "too small": lambda n_in, n_out: 0.01,
    "Glorot": lambda n_in, n_out: np.sqrt(2 / (n_in + n_out)),
    "He": lambda n_in, n_out: np.sqrt(2 / n_in),
}


def _stack_cases(rng):
    cases = []
    plans = [("relu", "He", [64, 64, 64, 64]), ("tanh", "Glorot", [32, 32, 32])]
    for activation in ("relu", "tanh"):
        for label in _SCALES:
            plans.append((activation, label, [int(w) for w in rng.integers(16, 80, size=int(rng.integers(3, 7)))]))
    for activation, label, widths in plans:
        x = rng.normal(size=(int(rng.integers(16, 65)), widths[0]))
        kernels = [rng.normal(0, _SCALES[label](a, b), size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
        name = f"a {activation} stack with {label} weights, widths {' -> '.join(map(str, widths))}"
        cases.append(((x, kernels, activation), {}, name))
    return cases


def _compare_stack(got, expected):
    """Both arrays within 0.01% (float32 arithmetic is fine); else what is wrong with which one."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"it should return two arrays (the stds and the factors), got {_describe(got)}"
    for k, what in enumerate(("the activation stds", "the predicted factors")):
        try:
            value = np.asarray(got[k], dtype=float)
        except (TypeError, ValueError):
            return f"{what}: got {_describe(got[k])}"
        if value.shape == expected[k].shape and np.allclose(value, expected[k], rtol=1e-4, atol=0):
            continue
        return f"{what} (value {k + 1} of 2): {_compare(value, expected[k], 0.0) or 'not right'}"
    return None


EXERCISES = {
    "08.variance_of_sum": Exercise(
        title="the variance of a weighted sum",
        reference=_variance_of_sum,
        cases=_variance_cases,
        hint="the weights are independent with mean 0 while the inputs x_i are fixed numbers: think about what a "
        "constant factor does to a variance, and about what happens to the variances of independent terms when they "
        "are added",
        recipe="find the variance of one term w_i x_i (how does a constant factor come out of a variance?), then "
        "combine the terms over i, which independence lets you do by adding their variances; one NumPy sum over the "
        "array x does it; return a number, not an array",
        atol=1e-9,
    ),
    "08.kernel_scales": Exercise(
        title="the glorot_uniform limit and the he_normal std of a kernel",
        reference=_kernel_scales,
        cases=_shape_cases,
        hint="Glorot's compromise needs both fans, He only the fan-in; for a convolution a fan is not just a channel "
        "count, because every cell of the kernel window adds a connection; and a uniform limit is not a variance",
        recipe="read the shape from the end: the last axis is the output channels (or units), the one before it the "
        "input channels, every earlier axis belongs to the window; multiply the window's sizes (1 for a Dense "
        "kernel) into both channel counts to get n_in and n_out; turn each target variance of section 3 into the "
        "number asked for (the uniform limit sqrt(3 Var), the std sqrt(Var), with no 0.8796 factor); return two "
        "floats",
        atol=1e-9,
    ),
    "08.forward_stds": Exercise(
        title="the activation std, layer by layer, and its prediction",
        reference=_forward_stds,
        cases=_stack_cases,
        compare=_compare_stack,
        hint="the std of a layer is taken after its activation, and each layer starts from the previous layer's "
        "output; the predicted factor of a layer depends on how many weights feed one unit, how large they are, and "
        "how much of the second moment the activation keeps",
        recipe="start with h = x; for each kernel W: h = activation(h @ W), append h.std(); the factor is "
        "sqrt(n_in * Var(w) * g) with n_in = W.shape[0] (the rows feed each unit), Var(w) = W.var(), and g = 1/2 "
        "for relu, 1 for tanh; return both lists as arrays, in layer order",
    ),
}
