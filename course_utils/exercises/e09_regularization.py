"""Exercises of notebook 09 (regularization)."""

import numpy as np

from . import Exercise


def _l2_penalty(weights, lam):
    return lam * sum(float(np.sum(np.square(w))) for w in weights if np.ndim(w) > 1)


def _l2_cases(rng):
    def model_weights(shapes):
        # kernels (2-D or 4-D) each followed by its bias (1-D), as in model.get_weights(); biases not zero
        weights = []
        for shape in shapes:
            weights += [rng.normal(0, 0.3, size=shape), rng.normal(0, 0.5, size=shape[-1])]
        return weights

    cases = [((model_weights([(3, 3, 1, 16), (3, 3, 16, 32), (512, 128), (128, 10)]), 0.01), {}),
             ((model_weights([(4, 3)]), 1.0), {}), ((model_weights([(5, 5, 3, 8), (200, 10)]), 0.5), {}),
             (([rng.normal(size=(6, 4))], 0.1), {}), ((model_weights([(10, 10)]), 0.0), {})]
    for _ in range(3):
        n = int(rng.integers(2, 60))
        cases.append(((model_weights([(n, int(rng.integers(1, 30)))]), float(rng.uniform(1e-4, 1))), {}))
    return cases


def _dropout(h, rate, rng, training=True):
    if not training:
        return h
    keep = rng.random(h.shape) >= rate  # True with probability 1 - rate
    return np.where(keep, h / (1 - rate), 0.0)


def _dropout_cases(rng):
    return [((rng.normal(size=shape), rate, np.random.default_rng(k)), {"training": training})
            for k, (shape, rate, training) in enumerate([((4, 10), 0.5, True), ((3, 5, 6), 0.2, True),
                                                         ((2, 8), 0.5, False), ((1, 1), 0.0, True)])]


def _same_shape(got, expected):
    if np.shape(got) != np.shape(expected):
        return f"the result has shape {np.shape(got)}, expected {np.shape(expected)}"
    return None  # the random mask differs from the reference's: the statistics are checked in _dropout_statistics


def _dropout_statistics(fn):
    """None if fn behaves as inverted dropout on a large input, else what is wrong (never the reference)."""
    h = np.random.default_rng(2024).normal(1.0, 1.0, size=(200, 500))  # 100,000 values with mean about 1
    try:
        for rate in (0.0, 0.2, 0.5, 0.9):
            out = np.asarray(fn(h.copy(), rate, np.random.default_rng(7), training=True), dtype=float)
            if out.shape != h.shape:
                return f"training mode, rate {rate}: the result has shape {out.shape}, expected {h.shape}"
            kept = out != 0
            if not np.allclose(out[kept], h[kept] / (1 - rate), rtol=1e-6, atol=1e-9):
                scale = np.median(out[kept] / h[kept])
                return (f"training mode, rate {rate}: the values kept are multiplied by {scale:.4g}, "
                        f"not by 1 / (1 - rate) = {1 / (1 - rate):.4g}")
            dropped = 1 - kept.mean()
            if abs(dropped - rate) > 0.01:
                return f"training mode, rate {rate}: {dropped:.1%} of the values are zero, expected about {rate:.0%}"
            per_row, per_column = 1 - kept.mean(axis=1), 1 - kept.mean(axis=0)
            if max(np.abs(per_row - rate).mean(), np.abs(per_column - rate).mean()) > 0.06:
                return (f"training mode, rate {rate}: the zeros come in whole rows or columns; each value needs its "
                        "own draw")
            if abs(out.mean() - h.mean()) > 0.1:
                return f"training mode, rate {rate}: the mean moved from {h.mean():.3f} to {out.mean():.3f}"
            again = np.asarray(fn(h.copy(), rate, np.random.default_rng(7), training=True), dtype=float)
            if not np.array_equal(again, out):
                return "two calls with generators of the same seed gave different masks: draw with `rng`, not np.random"
            inference = np.asarray(fn(h.copy(), rate, np.random.default_rng(7), training=False), dtype=float)
            if not np.array_equal(inference, h):
                return f"inference mode (training=False), rate {rate}: the output should be the input, unchanged"
    except Exception as exc:  # the student's code failed on the large input
        return f"it raised {type(exc).__name__}: {exc} (arguments: an array of shape {h.shape}, a rate, a generator)"
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
    "09.l2_penalty": Exercise(
        title="the L2 penalty of a model",
        reference=_l2_penalty,
        cases=_l2_cases,
        hint="the penalty covers the kernels only: in the list that get_weights returns, the biases are the 1-D "
        "arrays and are left out; Keras writes it without the textbook's 1/2 and 1/m (section 6, two ways of writing "
        "the same penalty)",
        recipe="keep the arrays with more than one dimension (their ndim), add up the squares of all their entries "
        "(np.sum for each array, then the sum over the list), and scale the total by lam; return a float",
    ),
    "09.dropout": Exercise(
        title="inverted dropout",
        reference=_dropout,
        cases=_dropout_cases,
        compare=_same_shape,
        extra=[_dropout_statistics],
        hint="every entry is dropped on its own with probability rate, and the kept ones are scaled up so that the "
        "expected output equals the input (inverted dropout); the mask must come from the generator rng, and "
        "inference mode changes nothing",
        recipe="if training is False return h as it is; otherwise draw one uniform number per entry with "
        "rng.random(h.shape), keep the entries whose number is at least rate (that happens with probability 1 - "
        "rate), set the others to 0 (np.where), and divide the kept ones by the probability of being kept",
    ),
}
