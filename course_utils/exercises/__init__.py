"""Exercises with self-checks: the student writes the code that carries the lesson, a check says whether
it is right without showing the answer.

In a notebook:

    def output_size(n, f, p, s):
        ### BEGIN SOLUTION
        return (n + 2 * p - f) // s + 1
        ### END SOLUTION

    check.exercise("05.output_size", output_size)       # prints "correct", or what is wrong and a hint
    size = check.use("05.output_size", output_size)      # later cells: the student's function if it is
                                                          # right, else the reference (and says so)

Each exercise (one module per notebook, `nn_topic.py`, holding `EXERCISES`) has a reference
implementation, a function that draws fresh test cases, a comparison and a hint. Nothing here prints
the reference code; the solutions that students see are the marked ones in the instructor edition.
The student edition replaces every `### BEGIN SOLUTION` ... `### END SOLUTION` block with a stub that
raises NotImplementedError (nbgrader's ClearSolutions), so `exercise` prints "not solved yet" and
`use` falls back to the reference.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Exercise:
    """One exercise: `cases(rng)` yields (args, kwargs) tuples; `reference(*args, **kwargs)` is the answer."""

    title: str
    reference: Callable
    cases: Callable[[np.random.Generator], list]
    hint: str
    atol: float = 1e-6  # arrays and floats are compared with this absolute tolerance (plus rtol 1e-6)
    compare: Callable | None = None  # (got, expected) -> None if right, else a message; default: _compare
    extra: list[Callable] = field(default_factory=list)  # (student function) -> message or None


class NotSolved(Exception):
    """Raised by `require` when an exercise is not solved yet."""


def _registry() -> dict[str, Exercise]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.update(getattr(module, "EXERCISES", {}))
    return found


def get(exercise_id: str) -> Exercise:
    registry = _registry()
    if exercise_id not in registry:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(sorted(registry))}")
    return registry[exercise_id]


def _describe(value) -> str:
    if isinstance(value, np.ndarray) or hasattr(value, "shape"):
        return f"an array of shape {tuple(np.shape(value))}"
    return f"a {type(value).__name__}"


def _compare(got, expected, atol: float) -> str | None:
    """None when `got` matches `expected`; otherwise what differs, without printing the expected values."""
    if isinstance(expected, tuple) and not hasattr(expected, "shape"):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"it should return {len(expected)} values, got {_describe(got)}"
        for k, (g, e) in enumerate(zip(got, expected)):
            if (problem := _compare(g, e, atol)) is not None:
                return f"value {k + 1} of {len(expected)}: {problem}"
        return None
    if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
            return f"it should return an int, got {_describe(got)}"
        return None if int(got) == int(expected) else f"got {int(got)}, which is not the right count"
    expected_array = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"it should return {_describe(expected)}, got {_describe(got)}"
    if got_array.shape != expected_array.shape:
        return f"the result has shape {got_array.shape}, expected {expected_array.shape}"
    if not np.allclose(got_array, expected_array, rtol=1e-6, atol=atol):
        worst = float(np.max(np.abs(got_array - expected_array)))
        return f"the shape is right but the values are not (largest difference {worst:.3g})"
    return None


def _argument(a) -> str:
    if hasattr(a, "shape"):
        return _describe(a)
    if isinstance(a, (list, tuple)) and any(hasattr(v, "shape") for v in a):
        return f"a {type(a).__name__} of {len(a)} arrays"
    text = repr(a)
    return text if len(text) <= 40 else text[:37] + "..."


def _run(exercise: Exercise, fn: Callable, seed: int) -> str | None:
    """None if `fn` passes every case, else the first problem (NotSolved propagates)."""
    rng = np.random.default_rng(seed)
    for args, kwargs in exercise.cases(rng):
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        expected = exercise.reference(*copies, **kwargs)
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        try:
            got = fn(*copies, **kwargs)
        except NotImplementedError:
            raise NotSolved from None
        except Exception as exc:  # the student's code failed: say how, on which input
            shapes = ", ".join(_argument(a) for a in args)
            return f"it raised {type(exc).__name__}: {exc} (arguments: {shapes})"
        compare = exercise.compare or (lambda g, e: _compare(g, e, exercise.atol))
        if (problem := compare(got, expected)) is not None:
            shapes = ", ".join(_argument(a) for a in args)
            return f"{problem} (arguments: {shapes})"
    for extra in exercise.extra:
        if (problem := extra(fn)) is not None:
            return problem
    return None


def result(exercise_id: str, fn: Callable, seed: int = 0) -> str:
    """'correct', 'not solved yet', or what is wrong: the check without printing."""
    exercise = get(exercise_id)
    try:
        problem = _run(exercise, fn, seed)
    except NotSolved:
        return "not solved yet"
    return "correct" if problem is None else problem


def exercise(exercise_id: str, fn: Callable, seed: int = 0) -> bool:
    """Check the student's function on fresh inputs; print one line (and a hint when it is wrong)."""
    title = get(exercise_id).title
    outcome = result(exercise_id, fn, seed)
    if outcome == "correct":
        print(f"[{exercise_id}] {title}: correct")
        return True
    if outcome == "not solved yet":
        print(f"[{exercise_id}] {title}: not solved yet. Replace the `raise NotImplementedError` line with your code.")
        print(f"  hint: {get(exercise_id).hint}")
        return False
    print(f"[{exercise_id}] {title}: not right yet: {outcome}")
    print(f"  hint: {get(exercise_id).hint}")
    return False


def use(exercise_id: str, fn: Callable) -> Callable:
    """The student's function if it passes its check, else the reference, saying so in one line.

    Later cells call this, so a student who skipped or has not finished an exercise still sees the
    rest of the lesson.
    """
    if result(exercise_id, fn) == "correct":
        return fn
    print(f"[{exercise_id}] not solved (or not right) yet: the cells below use the course's reference instead")
    return get(exercise_id).reference


__all__ = ["Exercise", "exercise", "use", "result", "get"]
