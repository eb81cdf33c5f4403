"""Exercises of notebook 03 (optimizers)."""

import numpy as np

from . import Exercise


def _ewa(values, beta, bias_correction=False):
    v, out = 0.0, []
    for t, theta in enumerate(values, start=1):
        v = beta * v + (1 - beta) * theta
        out.append(v / (1 - beta**t) if bias_correction else v)
    return np.array(out)


def _ewa_cases(rng):
    theta = np.array([40.0, 49.0, 45.0, 44.0, 47.0])  # the notebook's five temperatures
    cases = [((theta, 0.9), {}), ((theta, 0.9), {"bias_correction": True}), ((np.array([7.0]), 0.5), {})]
    for beta in (0.5, 0.9, 0.98):
        values = rng.normal(10, 3, size=int(rng.integers(3, 40)))
        cases += [((values, beta), {}), ((values, beta), {"bias_correction": True})]
    cases.append(((np.array([2.0, -1.0, 0.5]), 0.0), {"bias_correction": True}))  # beta = 0: no memory at all
    return cases


def _adam_step(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha_t * m / (np.sqrt(v) + epsilon), m, v


def _adam_cases(rng):
    cases = [((0.0, 5.0, 0.0, 0.0, 1), {}),  # the first step: w moves by the learning rate
             ((0.0, 1e-6, 0.0, 0.0, 1), {"learning_rate": 1.0}),  # tiny gradient: epsilon's place matters
             ((np.zeros(3), np.array([1e-5, -1e-6, 1.0]), np.zeros(3), np.zeros(3), 1), {"learning_rate": 1.0})]
    for shape, t in [((3,), 1), ((3,), 2), ((2, 2), 5), ((4,), 30), ((2, 3), 1000)]:
        g = rng.normal(size=shape)
        m = rng.normal(0, 0.3, size=shape) * (t > 1)  # moments of earlier steps (zero before the first)
        v = rng.uniform(0.0, 0.5, size=shape) * (t > 1)
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        cases.append(((rng.normal(size=shape), g, m, v, t), {"learning_rate": lr}))
    g = rng.normal(size=3)
    cases.append(((np.ones(3), g, 0.1 * g, 0.5 * g**2, 3), {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.99}))
    return cases


def _momentum_path(grad_fn, w0, learning_rate, beta, steps):
    w = np.array(w0, dtype=float)
    m = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(steps):
        m = beta * m - learning_rate * grad_fn(w)
        w = w + m
        path.append(w.copy())
    return np.array(path)


class _Quadratic:
    """The gradient of sum(c_i w_i^2) / 2: a valley with curvature c_i along axis i."""

    def __init__(self, curvatures):
        self.curvatures = np.asarray(curvatures, dtype=float)

    def __call__(self, w):
        return self.curvatures * w


def _saddle_grad(w):
    return np.array([2 * w[0], w[1] ** 3 - w[1]])


def _momentum_cases(rng):
    cases = [((_Quadratic([1.0, 25.0]), (-6.0, 1.2), 0.02, 0.9, 50), {}, "the notebook's valley, 50 steps"),
             ((_saddle_grad, (-2.0, 0.01), 0.02, 0.9, 40), {}, "the saddle of section 9, 40 steps"),
             ((_Quadratic([3.0]), (1.0,), 0.1, 0.0, 5), {}, "beta = 0: plain gradient descent"),
             ((_Quadratic([2.0, 0.5]), (1.0, -1.0), 0.1, 0.5, 1), {}, "a single step")]
    for _ in range(4):
        dim = int(rng.integers(1, 5))
        curvatures = rng.uniform(0.1, 10.0, size=dim)
        cases.append(((_Quadratic(curvatures), tuple(rng.normal(0, 3, size=dim)), float(rng.uniform(0.005, 0.05)),
                       float(rng.uniform(0.5, 0.95)), int(rng.integers(2, 40))), {},
                      f"a random {dim}-D valley"))  # fmt: skip
    return cases


EXERCISES = {
    "03.ewa": Exercise(
        title="exponentially weighted average",
        reference=_ewa,
        cases=_ewa_cases,
        hint="the average is a running one: each v_t is computed from the previous average and the new value only "
        "(the recursion of section 1), starting from v_0 = 0; bias correction changes what you return, not the "
        "running average that the next step uses",
        recipe="loop over the values with t counting from 1 (enumerate with start=1); update v by the recursion; "
        "append v, or with bias_correction=True v divided by the sum of its weights (section 1 shows what that sum "
        "is: a power of beta is in it); keep the recursion running on the uncorrected v; return np.array of all the "
        "appended averages",
        atol=1e-9,
    ),
    "03.momentum_path": Exercise(
        title="gradient descent with momentum, Keras' form",
        reference=_momentum_path,
        cases=_momentum_cases,
        hint="the velocity m is a running quantity, like the EWA of exercise 1: it starts at zero, and at every step "
        "it keeps a fraction beta of itself and adds the new gradient step; the weights then move by the whole "
        "velocity, and the path records every point, the start included",
        recipe="start from w = np.array(w0, dtype=float) and m = zeros shaped like w; keep a list holding a copy of "
        "w; repeat `steps` times: evaluate grad_fn at the current w, update m with Keras' rule of the table (the "
        "learning rate goes inside m), move w by m, append a copy of the new w; return np.array of the list "
        "(steps + 1 rows)",
        atol=1e-9,
    ),
    "03.adam_step": Exercise(
        title="one Adam step, Keras' form",
        reference=_adam_step,
        cases=_adam_cases,
        hint="Adam is momentum (an average m of the gradients) plus RMSprop (an average v of their squares), with "
        "bias correction; in Keras' form both corrections go into the step size alpha_t rather than into m and v, "
        "which moves epsilon to a different place than in the paper",
        recipe="update m with g and v with g squared first (each an exponentially weighted average with its own "
        "beta), then compute alpha_t from learning_rate and the two corrections as in the exercise's text (t counts "
        "from 1), then take the step with the new m and v, not the old ones, adding epsilon after the square root of "
        "v; return (new w, new m, new v)",
        atol=1e-9,
    ),
}
