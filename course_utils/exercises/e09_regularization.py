"""Exercises of notebook 09 (regularization)."""

import numpy as np

from . import Exercise, NotSolved

_ORDER = ["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense", "Dropout", "Dense"]


def _regularized_cnn(filters, dense_units, l2=0.0, dropout=0.0):
    import keras
    from keras import layers

    penalty = keras.regularizers.L2(l2)  # on the kernels only; L2(0) adds nothing
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_regularizer=penalty)(inputs)
    x = layers.Conv2D(2 * filters, 3, padding="same", activation="relu", kernel_regularizer=penalty)(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense_units, activation="relu", kernel_regularizer=penalty)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(10, activation="softmax", kernel_regularizer=penalty)(x)
    return keras.Model(inputs, outputs)


def _expected_params(filters, dense_units):
    return ((9 * filters + filters) + (9 * filters * 2 * filters + 2 * filters)
            + (16 * 2 * filters * dense_units + dense_units) + (dense_units * 10 + 10))


def _cnn_cases(rng):
    """(label, filters, dense_units, l2, dropout): fresh sizes, each regularizer alone, both and neither."""
    f, units = int(rng.integers(2, 7)), int(rng.integers(5, 24))
    l2 = float(np.round(rng.uniform(0.002, 0.08), 4))
    rate = float(rng.choice([0.2, 0.3, 0.6, 0.7]))
    return [
        ("L2 and dropout", f, units, l2, rate),
        ("no regularization (l2 = 0, dropout = 0)", f + 1, units + 3, 0.0, 0.0),
        ("L2 only", f + 2, units, round(l2 / 3, 5), 0.0),
        ("dropout only", f, units + 1, 0.0, 0.5),
    ]


def _factor(regularizer, kind):
    """The l1 or l2 factor of a Keras regularizer (0 for None or a regularizer without it)."""
    if regularizer is None:
        return 0.0
    try:
        return float(regularizer.get_config().get(kind, 0.0))
    except Exception:
        return float("nan")


def _types(model):
    return [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _order_problem(got):
    if got == _ORDER:
        return None
    if got.count("Dropout") != 2:
        return f"the model has {got.count('Dropout')} Dropout layers, the exercise asks for two"
    for before, after in zip(got, got[1:]):
        if after == "Dropout" and before in ("Conv2D", "MaxPooling2D"):
            return "a Dropout follows a convolution block: here dropout goes only in front of the two Dense layers"
    if got[-1] == "Dropout":
        return "the last layer is a Dropout: it would zero and rescale the output probabilities in training"
    return f"the layers are, in order, {', '.join(got)}: compare them with the order the exercise gives"


def _check_regularized_cnn(fn, seed=None):
    import keras

    rng = np.random.default_rng(seed)
    for label, filters, units, l2, rate in _cnn_cases(rng):
        where = f"({label}: filters={filters}, dense_units={units}, l2={l2:g}, dropout={rate:g})"
        try:
            model = fn(filters, units, l2=l2, dropout=rate)
        except NotImplementedError:
            raise NotSolved from None
        except Exception as exc:
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            return f"it raised {type(exc).__name__}: {text} {where}"
        if not isinstance(model, keras.Model):
            return f"it returned a {type(model).__name__}, expected a keras.Model {where}"
        shapes = tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape[1:])
        if shapes != ((8, 8, 1), (10,)):
            return (f"the model maps {shapes[0]} to {shapes[1]}; "
                    f"it should map an 8 x 8 x 1 image to 10 class probabilities {where}")
        if (problem := _order_problem(_types(model))) is not None:
            return f"{problem} {where}"
        expected = _expected_params(filters, units)
        if model.count_params() != expected:
            return (f"the model has {model.count_params():,} parameters, not {expected:,}: check the filters of each "
                    f"convolution and the units of each Dense layer {where}")
        for layer in model.layers:
            if not layer.weights:
                continue
            name = f"{layer.name} ({type(layer).__name__})"
            if _factor(layer.bias_regularizer, "l2") or _factor(layer.bias_regularizer, "l1"):
                return f"the bias of {name} is penalized too: L2 covers the kernels only {where}"
            if layer.activity_regularizer is not None:
                return f"{name} has an activity_regularizer: the penalty is on the kernel weights {where}"
            if _factor(layer.kernel_regularizer, "l1"):
                return f"the kernel_regularizer of {name} has an L1 part: the exercise asks for L2 only {where}"
            factor = _factor(layer.kernel_regularizer, "l2")
            if l2 > 0 and layer.kernel_regularizer is None:
                return f"{name} has no kernel_regularizer: every kernel, conv and dense, gets the L2 penalty {where}"
            if not np.isclose(factor, l2, rtol=1e-6, atol=1e-12):
                return (f"the L2 factor of {name} is {factor:g}, but the l2 argument was {l2:g}: use the argument, "
                        f"not a number written into the code {where}")
        rates = [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"]
        if not np.allclose(rates, rate):
            return f"the Dropout rates are {rates}, but the dropout argument was {rate:g} {where}"
        reference = _regularized_cnn(filters, units, l2=l2, dropout=rate)
        reference.set_weights([rng.normal(0, 0.3, size=w.shape).astype("float32") for w in reference.weights])
        try:
            model.set_weights(reference.get_weights())
        except ValueError as exc:
            return f"the weights do not fit a network of this shape ({str(exc).splitlines()[0][:80]}) {where}"
        kernels = sum(float(np.sum(np.square(w))) for w in reference.get_weights() if w.ndim > 1)
        penalty = float(sum(float(v) for v in model.losses))
        if not np.isclose(penalty, l2 * kernels, rtol=1e-4, atol=1e-7):
            return (f"sum(model.losses) is {penalty:.5g}, but l2 times the sum of the squared kernel weights is "
                    f"{l2 * kernels:.5g} {where}")
        x = rng.uniform(0, 1, size=(6, 8, 8, 1)).astype("float32")
        got = np.asarray(model(x, training=False))
        if not np.allclose(got.sum(axis=1), 1, atol=1e-4):
            return f"in inference mode the outputs do not sum to 1: the last layer gives class probabilities {where}"
        if not np.allclose(got, np.asarray(reference(x, training=False)), atol=1e-5, rtol=1e-4):
            return f"with the same weights the output differs: check each layer's activation {where}"
        trained = np.asarray(model(x, training=True))
        if not np.allclose(trained.sum(axis=1), 1, atol=1e-4):
            return f"in training mode the outputs do not sum to 1 {where}"
        if rate > 0 and np.allclose(trained, got, atol=1e-6):
            return f"in training mode the output equals the inference output: dropout is not active {where}"
        if rate == 0 and not np.allclose(trained, got, atol=1e-5):
            return f"with dropout = 0 the training-mode output should equal the inference output {where}"
    return None


def _early_stopping(val_losses, patience):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def _early_stopping_cases(rng):
    cases = [(([0.9, 0.7, 0.8, 0.75], 3), {}), (([0.9, 0.7, 0.8, 0.75], 2), {}), (([1.0, 0.9, 0.8], 1), {}),
             (([0.5, 0.5, 0.5, 0.5], 2), {}), (([0.5, 0.6, 0.4, 0.45, 0.44, 0.43, 0.42], 3), {}),
             (([0.3], 5), {}), (([0.8, 0.8, 0.7, 0.9, 0.9, 0.9], 3), {}),
             (([0.5, 0.6, 0.7, 0.4, 0.3], 2), {})]  # fmt: skip  (the last: a lower loss after the stop)
    for _ in range(8):
        n = int(rng.integers(5, 60))
        curve = 1.0 / (1 + np.arange(n)) + 0.02 * np.arange(n) + rng.normal(0, 0.03, n)  # falls, then rises
        cases.append(((np.round(curve, 3).tolist(), int(rng.integers(1, 12))), {}))
    return cases


EXERCISES = {
    "09.regularized_cnn": Exercise(
        title="the regularized CNN in Keras",
        reference=_regularized_cnn,
        cases=lambda rng: [],
        extra=[_check_regularized_cnn],
        hint="the penalty belongs to the weights that multiply the inputs (the kernels), in every layer that has "
        "them, and never to the biases; dropout thins the features that the Dense layers read, so think about which "
        "layers read features and which one produces the answer; the rates and the factor come from the arguments",
        recipe="make one keras.regularizers.L2(l2) and pass it as kernel_regularizer to both Conv2D and both Dense "
        "layers; call each layer on the previous output, starting from keras.Input(shape=(8, 8, 1)); the second "
        "convolution has 2 * filters filters, both use padding='same' and ReLU; put a Dropout(dropout) after Flatten "
        "and another after the hidden Dense layer, none after the convolutions or the softmax output; return "
        "keras.Model(inputs, outputs) without compiling it",
    ),
    "09.early_stopping": Exercise(
        title="when early stopping stops, and which epoch it restores",
        reference=_early_stopping,
        cases=_early_stopping_cases,
        hint="EarlyStopping waits patience epochs for an improvement, and only a val_loss strictly lower than every "
        "earlier one counts as one; the answer is two epoch numbers counted from 1: the epoch whose weights are "
        "restored and the last epoch that ran",
        recipe="walk through the losses with enumerate(val_losses, start=1), keeping the best loss so far (start at "
        "infinity), its epoch, and a counter of epochs since the last improvement; on a strictly lower loss update "
        "the best and its epoch and reset the counter, otherwise increase it and stop as soon as it reaches patience, "
        "returning the best epoch and the current one; if the loop ends without stopping, every epoch ran",
    ),
}
