"""Exercises of notebook 02 (activations, the bias, vanishing gradients)."""

import numpy as np

from . import Exercise


def _hidden_layers(model):
    return model.layers[:-1]  # every Dense layer but the output layer


def _kernel_gradient_norms(model, x, y):
    import tensorflow as tf

    kernels = [layer.kernel for layer in _hidden_layers(model)]
    with tf.GradientTape() as tape:
        prediction = model(x)
        loss = tf.reduce_mean((prediction - tf.cast(y, prediction.dtype)) ** 2)
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def _activation_spread(model, x):
    a = x
    spreads = []
    for layer in _hidden_layers(model):
        a = layer(a)
        spreads.append(float(np.mean(np.std(np.asarray(a), axis=0))))
    return np.array(spreads)


def _small_net(rng, activation, depth, width, n_in, scale):
    """A float64 Sequential net of `depth` hidden Dense layers and one linear output unit, with weights drawn from
    rng (kernels with standard deviation scale / sqrt(fan-in), small random biases)."""
    import keras

    layers = [keras.Input((n_in,), dtype="float64")]
    layers += [keras.layers.Dense(width, activation=activation, dtype="float64", name=f"hidden_{i + 1}")
               for i in range(depth)]  # fmt: skip
    layers.append(keras.layers.Dense(1, dtype="float64", name="output"))
    model = keras.Sequential(layers)
    for layer in model.layers:
        fan_in, fan_out = layer.kernel.shape
        layer.set_weights([rng.normal(0, scale / np.sqrt(fan_in), size=(fan_in, fan_out)),
                           rng.normal(0, 0.3, size=fan_out)])  # fmt: skip
    return model


_NETS = [  # (activation, hidden layers, units, inputs, kernel scale)
    ("sigmoid", 4, 6, 3, 1.0),
    ("relu", 3, 5, 4, np.sqrt(2.0)),
    ("tanh", 2, 4, 2, 1.0),
    ("relu", 5, 4, 3, 1.0),
    ("sigmoid", 1, 3, 5, 2.0),
]


def _gradient_cases(rng):
    cases = []
    for activation, depth, width, n_in, scale in _NETS:
        model = _small_net(rng, activation, depth, width, n_in, scale)
        n = int(rng.integers(3, 9))
        x, y = rng.normal(size=(n, n_in)), rng.normal(size=(n, 1))
        cases.append(((model, x, y), {}, f"a fresh {activation} net, {depth} hidden layer(s) of {width} units, "
                                         f"a batch of {n}"))  # fmt: skip
    return cases


def _spread_cases(rng):
    cases = []
    for activation, depth, width, n_in, scale in _NETS:
        model = _small_net(rng, activation, depth, width, n_in, scale)
        n = int(rng.integers(4, 10))
        cases.append(((model, rng.normal(size=(n, n_in))), {}, f"a fresh {activation} net, {depth} hidden layer(s) "
                                                               f"of {width} units, {n} examples"))  # fmt: skip
    return cases


EXERCISES = {
    "02.kernel_gradient_norms": Exercise(
        title="the gradient norm of every hidden kernel",
        reference=_kernel_gradient_norms,
        cases=_gradient_cases,
        hint="the tape must watch the forward pass and the loss computed from it; then ask it for the gradient of "
        "that one loss with respect to the kernels only (not the biases, not the output layer), and measure each "
        "gradient as one long vector",
        recipe="collect layer.kernel for every layer of model.layers except the last; inside `with "
        "tf.GradientTape() as tape:` compute the predictions model(x) and the mean of the squared errors against y; "
        "after the block call tape.gradient(loss, kernels), and for each gradient take the square root of the sum "
        "of its squared entries; return np.array of these numbers, layer 1 first",
        atol=1e-9,
    ),
    "02.activation_spread": Exercise(
        title="how much the hidden activations vary across examples",
        reference=_activation_spread,
        cases=_spread_cases,
        hint="run the input through the hidden layers one at a time, keeping each layer's output; for each unit, "
        "the question is how much its output changes from one example to the next (rows are examples, columns are "
        "units)",
        recipe="start with a = x; for every layer but the last, set a = layer(a), then take np.std over axis 0 "
        "(across the examples: one number per unit) and the mean of those numbers; return np.array of the means, "
        "layer 1 first",
        atol=1e-9,
    ),
}
