"""Exercises with self-checks: the student writes the code that carries the lesson, a check says whether
it is right without showing the answer.

In a notebook:

    def pad_zeros(x, p):
        ### BEGIN SOLUTION
        framed = np.zeros((x.shape[0] + 2 * p, x.shape[1] + 2 * p), dtype=x.dtype)
        framed[p : p + x.shape[0], p : p + x.shape[1]] = x
        return framed
        ### END SOLUTION

    check.exercise("05.pad", pad_zeros)                  # prints "correct", or what is wrong and a hint
    pad = check.use("05.pad", pad_zeros)                 # later cells: the student's function if it is
                                                          # right, else the reference (and says so)

Each exercise (one module per notebook, `nn_topic.py`, holding `EXERCISES`) has a reference
implementation, a function that draws fresh test cases, a comparison and a hint. Nothing here prints
the reference code; the solutions that students see are the marked ones in the instructor edition.
The student edition replaces every `### BEGIN SOLUTION` ... `### END SOLUTION` block with a stub that
raises NotImplementedError (nbgrader's ClearSolutions), so `exercise` prints "not solved yet" and
`use` falls back to the reference.

Grading with nbgrader: the cell that calls `exercise` is also the exercise's autograder cell (locked, with
points). When nbgrader runs the notebook (autograde or validate: it sets NBGRADER_EXECUTION), `exercise`
raises AssertionError with the same message and hint instead of printing, so a wrong or unsolved answer
scores 0 and `nbgrader validate` shows why. Below it, between `### BEGIN HIDDEN TESTS` and `### END HIDDEN
TESTS` (removed from the student's copy, put back by autograde), `hidden_test` compares the student's
function with a reference written in that block, not in this package, on cases drawn at grading time, and
gives 0 to a function that calls the package's own reference.

Hints come in two tiers: `hint` says what to think about and is shown from the start; `recipe` says how
to go about it and is shown only after a wrong attempt. Neither gives the answer.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Exercise:
    """One exercise: `cases(rng)` yields (args, kwargs) or (args, kwargs, label) tuples, the label naming the
    kind of case ("overlapping windows"); `reference(*args, **kwargs)` is the answer."""

    title: str
    reference: Callable
    cases: Callable[[np.random.Generator], list]
    hint: str  # what to think about: shown from the start, never the answer
    atol: float = 1e-6  # arrays and floats are compared with this absolute tolerance (plus rtol 1e-6)
    compare: Callable | None = None  # (got, expected) -> None if right, else a message; default: _compare
    extra: list[Callable] = field(default_factory=list)  # (student function) -> message or None
    recipe: str = ""  # how to go about it: shown only after a wrong attempt, never the answer


GRADING_ENV = "NBGRADER_EXECUTION"  # set by nbgrader while it autogrades or validates a notebook


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


def _is_scalar(value) -> bool:
    return np.ndim(value) == 0 and not isinstance(value, (str, bytes, type(None)))


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.generic):
        return f"a NumPy {type(value).__name__}"
    if isinstance(value, np.ndarray) or hasattr(value, "shape"):
        if np.ndim(value) == 0:
            return f"a 0-d array ({np.asarray(value).dtype})"
        return f"an array of shape {tuple(np.shape(value))}"
    return f"a {type(value).__name__}"


_FACTORS = {2.0: "twice", 0.5: "half", 4.0: "four times", 0.25: "a quarter of"}


def _relation(got: np.ndarray, expected: np.ndarray, atol: float) -> str | None:
    """A recognizable mistake relating a wrong result to the right one: a flipped sign, a constant factor,
    rows and columns swapped. None when no such relation holds."""
    close = lambda a, b: np.allclose(a, b, rtol=1e-6, atol=atol)  # noqa: E731
    if not np.allclose(expected, 0, atol=atol) and close(got, -expected):
        return "the sign is flipped: every value has the right size but the opposite sign"
    big = np.abs(expected) > max(atol * 10, 1e-12)
    if big.any():
        ratio = float(np.median(got[big] / expected[big]))
        for factor, words in _FACTORS.items():
            if abs(ratio - factor) < 1e-6 * factor and close(got, factor * expected):
                return f"every value is {words} the right one: a constant factor of {factor:g} is off"
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and close(got, expected.T):
        return "rows and columns are swapped: the result is the transpose of the right one"
    return None


def _compare(got, expected, atol: float) -> str | None:
    """None when `got` matches `expected`; otherwise what differs, without printing the expected values,
    naming the likely mistake where it can be recognized."""
    if got is None and expected is not None:
        return "it returned None: did you forget `return`?"
    if isinstance(expected, tuple) and not hasattr(expected, "shape"):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"it should return {len(expected)} values, got {_describe(got)}"
        for k, (g, e) in enumerate(zip(got, expected)):
            if (problem := _compare(g, e, atol)) is not None:
                return f"value {k + 1} of {len(expected)}: {problem}"
        return None
    if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        if isinstance(got, bool):
            return f"it should return a whole number (an int), got the bool {got}"
        if isinstance(got, (int, np.integer)):
            return None if int(got) == int(expected) else f"got {int(got)}, which is not the right count"
        if _is_scalar(got):
            try:
                value = float(got)
            except (TypeError, ValueError):
                return f"it should return an int, got {_describe(got)}"
            if value == int(expected):
                return f"the number is right but it is {_describe(got)}; return a Python int: wrap it in int(...)"
            return f"got {value:g} ({_describe(got)}), which is not the right count; the answer is a whole number"
        return f"it should return one whole number (an int), got {_describe(got)}"
    expected_array = np.asarray(expected, dtype=float)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"it should return {_describe(expected) if expected_array.ndim else 'a number'}, got {_describe(got)}"
    if expected_array.ndim == 0:  # a single number: no shapes to speak of
        if got_array.ndim != 0:
            return f"it should return a single number, got {_describe(got)}"
        if np.allclose(got_array, expected_array, rtol=1e-6, atol=atol):
            return None
        if not np.isfinite(got_array):
            return f"got {float(got_array)}, which is not a finite number"
        return _relation(got_array, expected_array, atol) or f"got {float(got_array):.6g}, which is not right"
    if got_array.shape != expected_array.shape:
        if got_array.shape == expected_array.T.shape and expected_array.ndim == 2:
            swapped = np.allclose(got_array, expected_array.T, rtol=1e-6, atol=atol)
            return (f"the result has shape {got_array.shape}, expected {expected_array.shape}: rows and columns are "
                    f"swapped{' (the values are right, transposed)' if swapped else ''}")  # fmt: skip
        return f"the result has shape {got_array.shape}, expected {expected_array.shape}"
    if not np.allclose(got_array, expected_array, rtol=1e-6, atol=atol):
        if not np.all(np.isfinite(got_array)):
            return "the shape is right, but the result holds nan or inf values"
        relation = _relation(got_array, expected_array, atol)
        if relation is not None:
            return relation
        wrong = ~np.isclose(got_array, expected_array, rtol=1e-6, atol=atol)
        worst = float(np.max(np.abs(got_array - expected_array)))
        return (f"the shape is right but {int(wrong.sum())} of {wrong.size} values are wrong "
                f"(largest difference {worst:.3g})")  # fmt: skip
    return None


def _argument(a) -> str:
    if hasattr(a, "shape"):
        return _describe(a)
    if isinstance(a, (list, tuple)) and any(hasattr(v, "shape") for v in a):
        return f"a {type(a).__name__} of {len(a)} arrays"
    text = repr(a)
    return text if len(text) <= 40 else text[:37] + "..."


def _cases(exercise: Exercise, rng: np.random.Generator) -> list[tuple]:
    """The cases as (args, kwargs, label); a case without a label is named by its arguments."""
    cases = []
    for case in exercise.cases(rng):
        args, kwargs = case[0], case[1]
        label = case[2] if len(case) > 2 else ""
        cases.append((args, kwargs, label))
    return cases


def _copies(args) -> list:
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def _one_case(exercise: Exercise, fn: Callable, reference: Callable, args, kwargs) -> str | None:
    """None if `fn` agrees with `reference` on this case, else what is wrong (NotSolved propagates)."""
    expected = reference(*_copies(args), **kwargs)
    try:
        got = fn(*_copies(args), **kwargs)
    except NotImplementedError:
        raise NotSolved from None
    except Exception as exc:  # the student's code failed: say how, in one line
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return f"it raised {type(exc).__name__}: {first}"
    compare = exercise.compare or (lambda g, e: _compare(g, e, exercise.atol))
    return compare(got, expected)


def _run(exercise: Exercise, fn: Callable, seed: int, reference: Callable | None = None) -> str | None:
    """None if `fn` passes every case, else how many it passed and the first problem (NotSolved propagates)."""
    rng = np.random.default_rng(seed)
    cases = _cases(exercise, rng)
    failures = []
    for args, kwargs, label in cases:
        problem = _one_case(exercise, fn, reference or exercise.reference, args, kwargs)
        if problem is not None:
            failures.append((problem, label or "arguments " + ", ".join(_argument(a) for a in args)))
    if failures:
        problem, where = failures[0]
        if len(cases) == 1 or len(failures) == len(cases):
            return f"{problem} ({where})"
        return f"passed {len(cases) - len(failures)} of {len(cases)} cases; fails on {where}: {problem}"
    for extra in exercise.extra:
        if (problem := extra(fn)) is not None:
            return problem
    return None


def result(exercise_id: str, fn: Callable, seed: int = 0) -> str:
    """'correct', 'not solved yet', or what is wrong: the check without printing."""
    exercise = get(exercise_id)
    if not callable(fn):
        return f"expected a function, got {_describe(fn)}"
    try:
        problem = _run(exercise, fn, seed)
    except NotSolved:
        return "not solved yet"
    return "correct" if problem is None else problem


def passed(exercise_id: str, fn: Callable) -> bool:
    """Whether `fn` passes its check (for code that needs the outcome; `exercise` only prints)."""
    return result(exercise_id, fn) == "correct"


def grading() -> bool:
    """True while nbgrader autogrades or validates the notebook."""
    return bool(os.environ.get(GRADING_ENV))


def feedback(exercise_id: str, outcome: str) -> list[str]:
    """The lines `exercise` prints for an outcome of `result`."""
    exercise = get(exercise_id)
    head = f"[{exercise_id}] {exercise.title}"
    if outcome == "correct":
        return [f"{head}: correct"]
    if outcome == "not solved yet":
        return [f"{head}: not solved yet. Replace the `raise NotImplementedError` line with your code.",
                f"  hint: {exercise.hint}"]  # fmt: skip
    lines = [f"{head}: not right yet: {outcome}", f"  hint: {exercise.hint}"]
    if exercise.recipe:
        lines.append(f"  how to go about it: {exercise.recipe}")
    return lines


def _wrapped(lines: list[str], width: int = 64) -> str:
    """The lines of a message wrapped short: `nbgrader validate` cuts every line of an error at 86 characters,
    the exception's name included."""
    import textwrap

    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ") for line in lines)


def exercise(exercise_id: str, fn: Callable, seed: int = 0) -> None:
    """Check the student's function on fresh inputs; print one line (and hints when it is not right).

    Under nbgrader (autograde, validate) it raises AssertionError with the same lines instead, so the
    exercise's test cell scores 0 and says why.
    """
    __tracebackhide__ = True  # IPython shows the student's cell, not this function, under the message
    outcome = result(exercise_id, fn, seed)
    lines = feedback(exercise_id, outcome)
    if outcome != "correct" and grading():
        raise AssertionError(_wrapped(lines))
    print("\n".join(lines))


def use(exercise_id: str, fn: Callable) -> Callable:
    """The student's function if it passes its check, else the reference, saying so in one line.

    Later cells call this, so a student who skipped or has not finished an exercise still sees the
    rest of the lesson.
    """
    if callable(fn) and result(exercise_id, fn) == "correct":
        return fn
    print(f"[{exercise_id}] not solved (or not right) yet: the cells below use the course's reference instead")
    return get(exercise_id).reference


class _ReferenceUsed(BaseException):  # not an Exception: neither the student's code nor _one_case catches it
    pass


def _guarded(fn: Callable, forbidden) -> Callable:
    """`fn`, raising _ReferenceUsed after a call in which the course's own reference (code object
    `forbidden`) ran, directly or through any wrapper."""

    def call(*args, **kwargs):
        used = []

        def profile(frame, event, arg):
            if event == "call" and frame.f_code is forbidden:
                used.append(True)

        previous = sys.getprofile()
        sys.setprofile(profile)
        try:
            value = fn(*args, **kwargs)
        finally:
            sys.setprofile(previous)
        if used:
            raise _ReferenceUsed
        return value

    return call


def hidden_test(exercise_id: str, fn: Callable, reference: Callable, rounds: int = 2) -> None:
    """The autograder's hidden test: AssertionError unless `fn` agrees with `reference` (written in the
    notebook's hidden-test block, not in this package) on `rounds` sets of cases drawn now, from a seed
    nobody chose, and never calls the course's own self-check reference."""
    __tracebackhide__ = True
    exercise = get(exercise_id)
    head = f"[{exercise_id}] {exercise.title}: hidden test"
    own = exercise.reference
    if not callable(fn):
        raise AssertionError(f"{head}: expected a function, got {_describe(fn)}")
    if fn is own or getattr(fn, "__wrapped__", None) is own:
        raise AssertionError(f"{head}: this is the course's self-check reference, not your code (0 points)")
    guarded = _guarded(fn, own.__code__)
    for _ in range(rounds):
        seed = secrets.randbits(32)
        try:
            problem = _run(exercise, guarded, seed, reference=reference)
        except NotSolved:
            raise AssertionError(f"{head}: not solved yet") from None
        except _ReferenceUsed:
            raise AssertionError(f"{head}: your function calls the course's self-check reference (0 points)") from None
        if problem is not None:
            raise AssertionError(_wrapped([f"{head} (seed {seed}): {problem}"]))


__all__ = ["Exercise", "exercise", "use", "result", "passed", "get", "hidden_test", "grading"]
