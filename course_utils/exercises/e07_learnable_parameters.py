"""Exercises of notebook 07 (counting learnable parameters)."""

import numpy as np

from . import Exercise, NotSolved


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


# ---- 07.train_frozen: freeze exactly the named layers, compile, train one step, report what moved ----


def _train_frozen(model, frozen, x, y):
    import keras

    model.trainable = True
    for layer in model.layers:
        layer.trainable = layer.name not in frozen
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    before = {w.path: np.array(w.numpy()) for w in model.weights}
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return {w.path: float(np.max(np.abs(w.numpy() - before[w.path]))) for w in model.weights}


def _small_model(rng, name):
    """A fresh small convnet: two or three convolutions (tanh, so that every weight gets a gradient), a head."""
    import keras
    from keras import layers

    side, channels = int(rng.integers(5, 9)), int(rng.integers(1, 3))
    x = inputs = keras.Input((side, side, channels), name="image")
    convs = [f"conv{k + 1}" for k in range(int(rng.integers(2, 4)))]
    for conv in convs:
        x = layers.Conv2D(int(rng.integers(2, 5)), 3, padding="same", activation="tanh", name=conv)(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(int(rng.integers(2, 4)), name="head")(x)
    return keras.Model(inputs, outputs, name=name), convs


def _data(rng, model, n=8):
    x = rng.normal(size=(n, *model.input_shape[1:])).astype("float32")
    return x, rng.normal(size=(n, model.output_shape[-1])).astype("float32")


def _fit_once(model, x, y):
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)


def _scenarios(rng):
    """(label, model, the layers to freeze, x, y): small models in the states a model can arrive in."""
    found = []

    def add(label, prepare, pick):
        model, convs = _small_model(rng, f"case_{len(found)}")
        x, y = _data(rng, model)
        prepare(model, convs, x, y)
        found.append((label, model, pick(convs), x, y))

    def stale(model, convs, x, y):  # compiled and trained once with every layer trainable
        _fit_once(model, x, y)

    def conv2_frozen_before(model, convs, x, y):
        model.get_layer("conv2").trainable = False

    def conv2_frozen_and_trained(model, convs, x, y):
        model.get_layer("conv2").trainable = False
        _fit_once(model, x, y)

    def frozen_as_a_whole(model, convs, x, y):
        model.trainable = False

    add("a model compiled and trained once with every layer trainable", stale, lambda convs: {"conv1"})
    add("a model whose conv2 was frozen earlier (never compiled)", conv2_frozen_before, lambda convs: {"conv1"})
    add("a model trained with conv2 frozen, now to train with nothing frozen", conv2_frozen_and_trained,
        lambda convs: set())  # fmt: skip
    add("a model frozen as a whole (model.trainable = False)", frozen_as_a_whole, lambda convs: {"head"})
    return found


def _check_train_frozen(fn, seed=None):
    rng = np.random.default_rng(seed)
    for label, model, frozen, x, y in _scenarios(rng):
        before = {w.path: np.array(w.numpy()) for w in model.weights}
        try:
            got = fn(model, set(frozen), x, y)
        except NotImplementedError:
            raise NotSolved from None
        except Exception as exc:
            return f"it raised {type(exc).__name__}: {str(exc).strip()[:200]} ({label})"
        moved = {w.path: float(np.max(np.abs(w.numpy() - before[w.path]))) for w in model.weights}
        where = f"({label}, frozen = {sorted(frozen)})"
        for layer in model.layers:
            if not layer.weights:
                continue
            changes = [moved[w.path] for w in layer.weights]
            if layer.name in frozen and any(changes):
                return f"{layer.name} is in frozen, yet its weights moved during the call {where}"
            if layer.name not in frozen and not all(changes):
                return f"{layer.name} is not in frozen, yet it did not learn during the call {where}"
        if not isinstance(got, dict):
            return f"it should return a dict {{variable path: largest absolute change}}, got a {type(got).__name__}"
        if set(got) != set(moved):
            missing = sorted(set(moved) - set(got))
            return (f"the dict should have one entry per variable of model.weights, keyed by w.path; "
                    f"{'missing ' + missing[0] if missing else 'it has keys that are not variable paths'} {where}")
        wrong = [p for p in moved if not np.isclose(float(got[p]), moved[p], rtol=1e-5, atol=1e-7)]
        if wrong:
            return (f"the change returned for {wrong[0]} ({float(got[wrong[0]]):.3g}) is not how much it moved "
                    f"during the call {where}")
    return None


EXERCISES = {
    "07.count_layer": Exercise(
        title="one layer: its parameters and its output shape",
        reference=_count_layer,
        cases=_count_layer_cases,
        compare=_compare_layer,
        hint="a layer's parameter count depends only on the last axis of what comes in (the channels, or the vector's "
        "length), and its output shape is what the next layer sees; pooling and Flatten have no parameters, they only "
        "change the shape",
        recipe="branch on spec[0]: for 'conv' count one weight per (window cell, input channel, filter) plus one bias "
        "per filter, with c_in = shape[-1], keep height and width ('same') and make the depth the number of filters; "
        "for 'dense' count one weight per (input, unit) plus one bias per unit, with n_in = shape[-1]; for 'pool' "
        "divide height and width by p, rounding down, and keep the depth; for 'flatten' multiply the three sizes; "
        "return (count, output shape as a tuple)",
    ),
    "07.train_frozen": Exercise(
        title="freeze the named layers, then train and see what moved",
        reference=_train_frozen,
        cases=lambda rng: [],
        extra=[_check_train_frozen],
        hint="the model may arrive in any state: frozen as a whole, with other layers frozen earlier, or compiled and "
        "trained already; think about which flags must be set for every layer, not only for the frozen ones, and "
        "when Keras reads those flags to build its training step",
        recipe="make the model itself trainable; set every layer's trainable flag from whether its name is in frozen; "
        "compile after the flags are set (SGD with learning rate 0.1, loss 'mse'); copy every variable's value "
        "(np.array(w.numpy())) keyed by w.path; fit one epoch with the whole of x as one batch; return, for every "
        "variable of model.weights, the largest absolute difference between its new and its copied value",
    ),
}
