"""Exercises of notebook 10 (batch normalization)."""

import numpy as np

from . import Exercise

EPSILON = 1e-3  # Keras' default epsilon, the size of the 'epsilon added' mistake


def _bn_layers(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def _recalibrate(model, x, batch_size):
    """The course's answer, computed on a copy of the model (the model passed in is left as it is): each BN
    layer in turn, its input's per-feature mean and biased variance over all of x (fed in batches, inference
    mode), written into the layer before the next layer's input is measured. Returns [(mean, variance), ...]."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    stats = []
    for bn in _bn_layers(copy):
        feeder = keras.Model(copy.inputs[0], bn.input)
        h = np.concatenate([np.asarray(feeder(x[i:i + batch_size])) for i in range(0, len(x), batch_size)])
        h = h.astype("float64").reshape(-1, h.shape[-1])
        stats.append((h.mean(axis=0), h.var(axis=0)))
        bn.moving_mean.assign(stats[-1][0])
        bn.moving_variance.assign(stats[-1][1])
    return stats


def _compare(got, expected):
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return (f"expected a list of {len(expected)} (mean, variance) pairs, one per BN layer, got "
                f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""))
    for k, (pair, (mean, var)) in enumerate(zip(got, expected)):
        where = f"BN layer {k + 1} of {len(expected)}"
        try:
            m, v = (np.asarray(a, dtype="float64").ravel() for a in pair)
        except (TypeError, ValueError):
            return f"{where}: expected a (mean, variance) pair of arrays, got {type(pair).__name__}"
        if m.shape != mean.shape or v.shape != var.shape:
            return (f"{where}: expected a mean and a variance of shape {mean.shape} (one per feature, the last "
                    f"axis), got shapes {m.shape} and {v.shape}")
        mean_ok = np.allclose(m, mean, rtol=1e-4, atol=1e-5)
        if mean_ok and np.allclose(v, var, rtol=1e-4, atol=1e-6):
            continue
        ratio = v / var
        if mean_ok and np.allclose(v - var, EPSILON, rtol=0, atol=1e-5):
            return (f"{where}: every variance is epsilon (0.001) too large: epsilon belongs in the normalization, "
                    "sqrt(variance + epsilon), which the layer does itself; store the variance alone")
        if mean_ok and np.all(ratio > 1) and np.allclose(ratio, ratio.mean(), rtol=1e-3) and ratio.mean() < 1.2:
            return (f"{where}: every variance is {ratio.mean():.4f} times too large, as n / (n - 1): the unbiased "
                    "variance (ddof=1); BN uses the biased one, dividing by n")
        if k > 0:
            return (f"{where} is wrong although the layers before it are right: in inference mode its input depends "
                    "on the moving statistics of the BN layers before it, so write each layer's new statistics "
                    "into it before you measure the next layer's input")
        if mean_ok and np.all(ratio <= 1 + 1e-4):
            return (f"{where}: the means are right but the variances are too small: an average of per-batch "
                    "variances misses the spread between the batch means; take the variance of all the values")
        return f"{where}: the mean or variance differs from the statistics of the layer's input over all of x"
    return None


def _model(rng, kind):
    import keras
    from keras import layers

    init = lambda: keras.initializers.GlorotUniform(seed=int(rng.integers(2**31)))  # noqa: E731
    if kind == "dense":
        model = keras.Sequential([
            keras.Input(shape=(6,)),
            layers.Dense(5, kernel_initializer=init()), layers.BatchNormalization(), layers.Activation("relu"),
            layers.Dense(4, kernel_initializer=init()), layers.BatchNormalization(),
        ])
    else:
        model = keras.Sequential([
            keras.Input(shape=(5, 5, 2)),
            layers.Conv2D(3, 3, padding="same", kernel_initializer=init()), layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Conv2D(4, 3, padding="same", kernel_initializer=init()), layers.BatchNormalization(),
        ])
    for bn in _bn_layers(model):  # moving statistics far from the truth, as after a short training run
        c = bn.moving_mean.shape[0]
        bn.moving_mean.assign(rng.normal(0, 2, size=c).astype("float32"))
        bn.moving_variance.assign(rng.uniform(0.05, 4.0, size=c).astype("float32"))
        bn.gamma.assign(rng.uniform(0.5, 2.0, size=c).astype("float32"))
        bn.beta.assign(rng.normal(size=c).astype("float32"))
    return model


class _FreshModels(tuple):
    """A case's arguments (model, x, batch_size) that hand out a fresh copy of the model each time they are
    unpacked: the reference and the student's function each get the model as the case built it, so that a
    function that writes into the model cannot make the next one look right."""

    def __iter__(self):
        import keras

        model, *rest = tuple.__iter__(self)
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        return iter((copy, *rest))


def _cases(rng):
    cases = []
    for kind, n, batch_size, label in (("dense", 40, 8, "Dense stack, batches of 8"),
                                       ("dense", 23, 10, "Dense stack, a last batch of 3"),
                                       ("conv", 12, 4, "Conv2D stack, (N, H, W, C) maps"),
                                       ("conv", 9, 16, "Conv2D stack, one batch")):
        shape = (n, 6) if kind == "dense" else (n, 5, 5, 2)
        x = rng.normal(rng.uniform(-2, 2), rng.uniform(0.5, 3), size=shape).astype("float32")
        cases.append((_FreshModels((_model(rng, kind), x, batch_size)), {}, label))
    return cases


EXERCISES = {
    "10.recalibrate": Exercise(
        title="recalibrate the moving statistics",
        reference=_recalibrate,
        cases=_cases,
        compare=_compare,
        hint="inference mode normalizes with the moving statistics, so they should be the mean and (biased) variance "
        "of each BN layer's input over the training data; a layer's input is computed in inference mode and so "
        "depends on the moving statistics of the BN layers before it",
        recipe="for each BatchNormalization layer of model.layers, in order: build keras.Model(model.inputs[0], "
        "layer.input), feed it x in slices of batch_size, collect the outputs and reshape them to (values, features) "
        "with the features on the last axis; take the mean and the variance over axis 0 (dividing by n, no "
        "epsilon), assign them to layer.moving_mean and layer.moving_variance, and only then go to the next layer; "
        "return the list of (mean, variance) pairs",
    ),
}
