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


EXERCISES = {
    "03.ewa": Exercise(
        title="exponentially weighted average",
        reference=_ewa,
        cases=_ewa_cases,
        hint="start from v = 0 and, for t = 1, 2, ..., mix in each value with weight 1 - beta; with "
        "bias_correction=True divide each v_t by 1 - beta**t (t counts from 1) but keep the running v "
        "uncorrected; return all the averages, one per value",
        atol=1e-9,
    ),
    "03.adam_step": Exercise(
        title="one Adam step, Keras' form",
        reference=_adam_step,
        cases=_adam_cases,
        hint="update m (with g) and v (with g squared) first, then step with the new m and v; both bias "
        "corrections go into the step size alpha_t, not into m and v; Keras adds epsilon after taking the root "
        "of the uncorrected v; return (new w, new m, new v)",
        atol=1e-9,
    ),
}
