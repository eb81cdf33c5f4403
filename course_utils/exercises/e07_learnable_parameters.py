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
        hint="every input is wired to every unit, one weight per wire, and every unit has its own bias",
    ),
    "07.conv2d_params": Exercise(
        title="parameters of a Conv2D layer",
        reference=_conv2d,
        cases=_conv2d_cases,
        hint="one filter holds a weight for every cell of its k x k window in every input channel, plus one "
        "bias; there are `filters` such filters, and the image's height and width do not enter",
    ),
    "07.count_layer": Exercise(
        title="one layer: its parameters and its output shape",
        reference=_count_layer,
        cases=_count_layer_cases,
        compare=_compare_layer,
        hint="a layer's count depends on the last axis of what comes in (channels, or the vector's length); "
        "a 'same' convolution keeps height and width and sets the depth to its number of filters; pooling "
        "divides height and width by p, rounding down; Flatten multiplies the three sizes together",
    ),
}
