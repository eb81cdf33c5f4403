"""Exercises of notebook 07 (counting learnable parameters)."""

from . import Exercise


def _dense(n_in, n_out):
    return n_in * n_out + n_out


def _dense_cases(rng):
    cases = [((2, 3), {}), ((3, 2), {}), ((1, 1), {}), ((25088, 4096), {}), ((64, 10), {}), ((10, 64), {})]
    cases += [((int(rng.integers(1, 5000)), int(rng.integers(1, 5000))), {}) for _ in range(20)]
    return cases


def _conv2d(c_in, filters, k):
    return k * k * c_in * filters + filters


def _conv2d_cases(rng):
    cases = [((3, 2, 3), {}), ((2, 3, 3), {}), ((1, 1, 1), {}), ((3, 64, 3), {}), ((4, 8, 5), {}), ((8, 4, 5), {})]
    for _ in range(20):
        cases.append(((int(rng.integers(1, 512)), int(rng.integers(1, 512)), int(rng.choice([1, 3, 5, 7, 11]))), {}))
    return cases


def _count_layer(shape, spec):
    kind = spec[0]
    if kind == "conv":
        filters, k = spec[1], spec[2]
        return (k * k * shape[-1] + 1) * filters, (*shape[:-1], filters)
    if kind == "dense":
        return (shape[-1] + 1) * spec[1], (spec[1],)
    if kind == "pool":
        return 0, (shape[0] // spec[1], shape[1] // spec[1], shape[2])
    return 0, (shape[0] * shape[1] * shape[2],)  # flatten


def _count_layer_cases(rng):
    cases = [
        ((20, 20, 3), ("conv", 2, 3)),
        ((20, 20, 2), ("conv", 3, 3)),
        ((20, 20, 3), ("flatten",)),
        ((1200,), ("dense", 2)),
        ((12, 12, 8), ("pool", 2)),
        ((7, 7, 5), ("pool", 2)),  # an odd side: the last row and column are dropped
        ((9, 6, 4), ("pool", 3)),
        ((6, 6, 8), ("flatten",)),
        ((1, 1, 7), ("flatten",)),
        ((1,), ("dense", 1)),
        ((5, 8, 1), ("conv", 6, 1)),
    ]
    for _ in range(8):
        h, w, c = (int(v) for v in rng.integers(1, 40, size=3))
        cases.append(((h, w, c), ("conv", int(rng.integers(1, 64)), int(rng.choice([1, 3, 5, 7])))))
        p = int(rng.integers(2, 4))
        cases.append(((int(rng.integers(p, 40)), int(rng.integers(p, 40)), c), ("pool", p)))
        cases.append(((h, w, c), ("flatten",)))
        cases.append(((int(rng.integers(1, 5000)),), ("dense", int(rng.integers(1, 500)))))
    return [(args, {}) for args in cases]


def _compare_layer(got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "it should return two values: (the layer's parameter count, its output shape)"
    count, shape = got
    if not isinstance(count, int) and not hasattr(count, "__index__"):
        return f"the parameter count should be an int, got a {type(count).__name__}"
    if int(count) != expected[0]:
        return f"the parameter count {int(count)} is not right"
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        return f"the output shape should be a tuple of ints, got {shape!r}"
    if shape != expected[1]:
        return f"the parameter count is right, but the output shape {shape} is not"
    return None


EXERCISES = {
    "07.dense_params": Exercise(
        title="parameters of a Dense layer",
        reference=_dense,
        cases=_dense_cases,
        hint="a Dense layer connects every input to every unit, and each unit also has a parameter of its own: count "
        "the connections and those extras",
        recipe="write down the shapes of the layer's two arrays in Keras, the kernel (n_in, n_out) and the bias (one "
        "entry per unit), and count their entries; you can compare with count_params() of a keras.layers.Dense(n_out) "
        "built on n_in inputs; return a Python int",
    ),
    "07.conv2d_params": Exercise(
        title="parameters of a Conv2D layer",
        reference=_conv2d,
        cases=_conv2d_cases,
        hint="parameters belong to the filters, not to the pixels: the same filter slides over every position, so "
        "count what one filter holds (it is as deep as its input, and has a bias) and how many filters there are",
        recipe="write down the shapes of a Keras Conv2D's kernel, (k, k, c_in, filters), and of its bias (one entry "
        "per filter), and count the entries of both; the window has k cells along each of its two sides, and the "
        "image's height and width do not enter; return a Python int",
    ),
    "07.count_layer": Exercise(
        title="one layer: its parameters and its output shape",
        reference=_count_layer,
        cases=_count_layer_cases,
        compare=_compare_layer,
        hint="a layer's parameter count depends only on the last axis of what comes in (the channels, or the vector's "
        "length), and its output shape is what the next layer sees; pooling and Flatten have no parameters, they only "
        "change the shape",
        recipe="branch on spec[0]: for 'conv' count as in exercise 2 with c_in = shape[-1], keep height and width "
        "('same') and make the depth the number of filters; for 'dense' count as in exercise 1 with n_in = shape[-1]; "
        "for 'pool' divide height and width by p, rounding down, and keep the depth; for 'flatten' multiply the three "
        "sizes; return (count, output shape as a tuple)",
    ),
}
