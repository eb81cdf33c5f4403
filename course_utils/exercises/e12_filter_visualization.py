"""Exercises of notebook 12 (visualizing filters by gradient ascent)."""

from . import Exercise


def _ascent_step(loss_fn, image, step_size):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = loss_fn(image)
    grads = tape.gradient(loss, image)
    grads = grads / (tf.sqrt(tf.reduce_mean(tf.square(grads))) + 1e-8)
    return image + step_size * grads, loss


class _Loss:
    """A stand-in for a filter's mean activation: a differentiable TensorFlow function of an (h, w, 3) image."""

    def __init__(self, kind, rng):
        import tensorflow as tf

        self.kind = kind
        self.weights = tf.constant(rng.normal(size=(3, 3, 3, 1)), tf.float32)
        self.target = tf.constant(rng.normal(0, 10, size=(3,)), tf.float32)
        self.tf = tf

    def __call__(self, x):
        tf = self.tf
        if self.kind == "filter":  # a 3 x 3 filter with a ReLU, averaged over its map
            return tf.reduce_mean(tf.nn.relu(tf.nn.conv2d(x[None], self.weights, 1, "VALID")))
        if self.kind == "colour":  # prefers one colour: minus the squared distance to it
            return -tf.reduce_mean(tf.square(x - self.target)) / 100.0
        if self.kind == "contrast":  # red minus green, through a ReLU
            return tf.reduce_mean(tf.nn.relu(x[..., 0] - x[..., 1]))
        return tf.reduce_mean(tf.nn.relu(-tf.abs(x) - 1.0))  # "dead": zero everywhere, and so is its gradient

    def __repr__(self):
        return "a dead loss function (zero gradient)" if self.kind == "dead" else "a loss function"


def _ascent_cases(rng):
    import tensorflow as tf

    cases = []
    for kind, shape in [("filter", (8, 8, 3)), ("colour", (5, 7, 3)), ("contrast", (6, 6, 3)), ("filter", (12, 9, 3)),
                        ("dead", (4, 4, 3))]:  # fmt: skip
        image = tf.constant(rng.normal(0, 10, size=shape), tf.float32)
        cases.append(((_Loss(kind, rng), image, float(rng.uniform(0.5, 5.0))), {}))
    return cases


def _receptive_field(layers):
    side, jump = 1, 1
    for kernel, stride in layers:
        side += (kernel - 1) * jump
        jump *= stride
    return side


def _receptive_field_cases(rng):
    vgg_block4 = [(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 3 + [(2, 2)] + [(3, 1)] * 3
    cases = [(([],), {}), (([(3, 1)],), {}), (([(3, 1), (3, 1)],), {}), (([(2, 2), (3, 1)],), {}),
             (([(3, 1), (2, 2)],), {}), (([(7, 2), (3, 2), (3, 1)],), {}), ((vgg_block4,), {})]  # fmt: skip
    for _ in range(8):
        n = int(rng.integers(1, 9))
        layers = [(int(rng.choice([1, 2, 3, 5, 7])), int(rng.choice([1, 1, 2, 3]))) for _ in range(n)]
        cases.append(((layers,), {}))
    return cases


EXERCISES = {
    "12.ascent_step": Exercise(
        title="one gradient-ascent step on the image",
        reference=_ascent_step,
        cases=_ascent_cases,
        hint="the ascent changes the image, not the weights, so the gradient is taken with respect to the image, a "
        "plain tensor that the tape does not watch by itself; normalizing the gradient makes every step the same "
        "size, and ascent means moving along the gradient, not against it",
        recipe="open a tf.GradientTape, tell it to watch the image, and compute the loss inside the with block; "
        "outside it, take tape.gradient of the loss with respect to the image; compute the gradient's "
        "root-mean-square (tf.square, tf.reduce_mean, tf.sqrt) and divide the gradient by it plus 1e-8; add step_size "
        "times the normalized gradient to the image and return (new image, loss)",
        atol=1e-3,
    ),
    "12.receptive_field": Exercise(
        title="the receptive field of a stack of layers",
        reference=_receptive_field,
        cases=_receptive_field_cases,
        hint="two things change as you go up the stack: how wide the window seen by one unit is, and how far apart, "
        "in input pixels, neighbouring units are; a kernel widens the window in steps of that spacing, and a stride "
        "stretches the spacing for every layer above it",
        recipe="start with a window of side 1 and a spacing of 1 (one pixel); for each (kernel, stride) pair in "
        "order, first widen the window by kernel - 1 steps of the current spacing, then update the spacing with the "
        "stride (the order matters); return the window's side as an int",
    ),
}
