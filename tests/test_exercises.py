"""Exercises: each check passes on the notebook's marked solution, says "not solved yet" for the student's
stub, and catches the typical mistakes; the student edition holds no solution and still runs."""

import re

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf

from course_utils import exercises
from course_utils.publish import nbtools
from course_utils.publish.render import discover

NOTEBOOKS = discover()
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _max_pool_backward_assigning(x, grad_out, f, s):
    # 06 mistake: `=` instead of `+=`: a pixel that wins two overlapping windows keeps only the last gradient
    grad = np.zeros(x.shape)
    for i, j in np.ndindex(grad_out.shape):
        window = x[s * i : s * i + f, s * j : s * j + f]
        r, c = np.unravel_index(np.argmax(window), window.shape)
        grad[s * i + r, s * j + c] = grad_out[i, j]
    return grad


def _pool_backward_spread(x, grad_out, f, s):
    # 06 mistake: the gradient shared over the whole window (average pooling's backward pass), not routed to the max
    grad = np.zeros(x.shape)
    for i, j in np.ndindex(grad_out.shape):
        grad[s * i : s * i + f, s * j : s * j + f] += grad_out[i, j] / f**2
    return grad


def _count_layer_except(shape, spec, kind, wrong):
    # 07 mistakes: right for every layer but those of `kind`, where `wrong` answers
    return wrong(shape, spec) if spec[0] == kind else exercises.get("07.count_layer").reference(shape, spec)


def _one_sided_difference(f, theta, eps):
    # 00 mistake: (f(theta + eps e_i) - f(theta)) / eps
    steps = eps * np.eye(theta.size)
    return np.array([(f(theta + step) - f(theta)) / eps for step in steps])


def _centered_difference_moving_theta(f, theta, eps):
    # 00 mistake: nudges theta in place and never puts it back, so the later entries are taken at another point
    g = np.zeros_like(theta)
    for i in range(theta.size):
        theta[i] += eps
        plus = f(theta)
        theta[i] -= 2 * eps
        g[i] = (plus - f(theta)) / (2 * eps)
    return g


def _receptive_field_jump_first(layers):
    # 12 mistake: multiplies the spacing by the stride before widening the window with it
    side, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        side += (kernel - 1) * jump
    return side


# Typical mistakes, at least one per exercise: the check must not call them correct.
MISTAKES = {
    "05.pad": [
        lambda x, p: np.pad(x, p + 1),  # one ring too many
        lambda x, p: np.pad(x, ((p, p), (0, 0))),  # rows only
    ],
    "04.slide": [
        lambda x, k: exercises.get("04.slide").reference(x, k[::-1, ::-1]),  # flipped kernel: true convolution
        lambda x, k: exercises.get("04.slide").reference(x, k)[:-1, :-1],  # range(n - f): misses the last position
    ],
    "04.conv_channels": [
        lambda x, w, b: exercises.get("04.conv_channels").reference(x, w, 0 * b),  # forgets the bias
        lambda x, w, b: exercises.get("04.conv_channels").reference(x[:, :, :1], w[:, :, :1], b),  # channel 0 only
        lambda x, w, b: exercises.get("04.conv_channels").reference(x, w[::-1, ::-1], b),  # flipped kernels
    ],
    "06.pool": [
        lambda x, f, s, mode: exercises.get("06.pool").reference(x, f, s, "avg"),  # average instead of max
        lambda x, f, s, mode: exercises.get("06.pool").reference(x, f, s, "max"),  # max for both modes
        lambda x, f, s, mode: exercises.get("06.pool").reference(x, f, f, mode),  # stride = window size always
        # windows at (i, j) instead of (s i, s j): the first values of the stride-1 pooling
        lambda x, f, s, mode: exercises.get("06.pool").reference(x, f, 1, mode)[: (x.shape[0] - f) // s + 1,
                                                                                : (x.shape[1] - f) // s + 1],
    ],
    "06.max_pool_backward": [
        _pool_backward_spread,  # gradient spread over the window instead of routed to the max
        _max_pool_backward_assigning,  # = instead of +=
        lambda x, g, f, s: exercises.get("06.max_pool_backward").reference(x, np.ones_like(g), f, s),  # 1, not g
    ],
    "03.ewa": [
        # forgets the bias correction
        lambda values, beta, bias_correction=False: exercises.get("03.ewa").reference(values, beta),
        # v = (1 - beta) v + beta theta: the two weights swapped
        lambda values, beta, bias_correction=False: exercises.get("03.ewa").reference(
            values, 1 - beta, bias_correction),
        # starts from v_0 = theta_1 instead of 0 (no correction)
        lambda values, beta, bias_correction=False: (
            exercises.get("03.ewa").reference(values, beta) + beta ** np.arange(1, len(values) + 1) * values[0]),
        # divides by 1 - beta**(t + 1): the step counted one too far
        lambda values, beta, bias_correction=False: exercises.get("03.ewa").reference(values, beta)
        / (1 - beta ** np.arange(2, len(values) + 2) if bias_correction else 1),
        # returns the last average only
        lambda values, beta, bias_correction=False: exercises.get("03.ewa").reference(
            values, beta, bias_correction)[-1],
    ],
    "03.adam_step": [
        # forgets the bias correction: steps with learning_rate * m / (sqrt(v) + epsilon)
        lambda w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7: (lambda m, v: (
            w - learning_rate * m / (np.sqrt(v) + epsilon), m, v))(beta_1 * m + (1 - beta_1) * g,
                                                                    beta_2 * v + (1 - beta_2) * g**2),
        # the square root of v is missing
        lambda w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7: (lambda m, v: (
            w - learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (v + epsilon), m, v))(
            beta_1 * m + (1 - beta_1) * g, beta_2 * v + (1 - beta_2) * g**2),
        # the paper's epsilon, added to sqrt(v_hat): differs from Keras for tiny gradients
        lambda w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7: (lambda m, v: (
            w - learning_rate * m / (1 - beta_1**t) / (np.sqrt(v / (1 - beta_2**t)) + epsilon), m, v))(
            beta_1 * m + (1 - beta_1) * g, beta_2 * v + (1 - beta_2) * g**2),
        # steps with the old m and v, updated only afterwards
        lambda w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7: (
            w - learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon),
            beta_1 * m + (1 - beta_1) * g, beta_2 * v + (1 - beta_2) * g**2),
    ],
    "08.variance_of_sum": [
        lambda x, var_w: var_w * np.sum(x),  # the inputs are not squared
        lambda x, var_w: np.sqrt(var_w) * np.sum(x**2),  # the standard deviation of w instead of its variance
        lambda x, var_w: var_w * len(x),  # as if every input were 1
    ],
    "07.count_layer": [
        # the convolution's output keeps the input's depth instead of taking the number of filters
        lambda shape, spec: _count_layer_except(shape, spec, "conv", lambda sh, sp: ((sp[2] ** 2 * sh[-1] + 1) * sp[1],
                                                                                     sh)),
        lambda shape, spec: _count_layer_except(shape, spec, "flatten", lambda sh, sp: (0, sh[-1:])),  # depth only
        # pooling rounds up instead of down
        lambda shape, spec: _count_layer_except(shape, spec, "pool", lambda sh, sp: (0, (-(-sh[0] // sp[1]),
                                                                                        -(-sh[1] // sp[1]), sh[2]))),
        # forgets the biases of the convolutions
        lambda shape, spec: _count_layer_except(shape, spec, "conv", lambda sh, sp: (sp[2] ** 2 * sh[-1] * sp[1],
                                                                                     (*sh[:-1], sp[1]))),
        # forgets the biases of the dense layers
        lambda shape, spec: _count_layer_except(shape, spec, "dense", lambda sh, sp: (sh[-1] * sp[1], (sp[1],))),
    ],
    "00.centered_difference": [
        _one_sided_difference,  # one-sided: error of order eps, not eps**2
        lambda f, theta, eps: 2 * exercises.get("00.centered_difference").reference(f, theta, eps),  # / eps, not 2 eps
        _centered_difference_moving_theta,  # theta changed in place and not restored
        lambda f, theta, eps: np.full_like(theta, (f(theta + eps) - f(theta - eps)) / (2 * eps)),  # all entries at once
    ],
    "01.logistic_gradient": [
        lambda X, y, theta: X.T @ (1 / (1 + np.exp(-(X @ theta))) - y),  # a sum, not the mean
        lambda X, y, theta: X.T @ (X @ theta - y) / len(y),  # forgets the sigmoid
        lambda X, y, theta: X.T @ (y - 1 / (1 + np.exp(-(X @ theta)))) / len(y),  # the sign flipped
        # the squared error's gradient: an extra factor y_hat (1 - y_hat)
        lambda X, y, theta: X.T @ ((p := 1 / (1 + np.exp(-(X @ theta)))) - y) * p * (1 - p) / len(y),
    ],
    "01.logits_gradient": [
        lambda s, y: (np.exp(s) / np.exp(s).sum(axis=1, keepdims=True) - np.eye(s.shape[1])[y]) / len(y),  # unstable
        lambda s, y: (exercises.get("01.softmax").reference(s.T).T - np.eye(s.shape[1])[y]) / len(y),  # wrong axis
        lambda s, y: exercises.get("01.logits_gradient").reference(s, y) * len(y),  # a sum, not the mean
        lambda s, y: -exercises.get("01.logits_gradient").reference(s, y),  # onehot - softmax
    ],
    "12.receptive_field": [
        lambda layers: 1 + sum(k - 1 for k, s in layers),  # forgets that strides spread the units apart
        _receptive_field_jump_first,
        lambda layers: sum(k for k, s in layers),  # adds the kernels
    ],
    "13.mbconv_params": [
        lambda ci, co, k, expand=6: (ci * expand * ci + k * k * expand * ci + expand * ci * co, 0),  # no BN at all
        # BatchNormalization's moving statistics counted as trainable
        lambda ci, co, k, expand=6: (sum(exercises.get("13.mbconv_params").reference(ci, co, k, expand)), 0),
        # a full k x k convolution instead of a depthwise one
        lambda ci, co, k, expand=6: (exercises.get("13.mbconv_params").reference(ci, co, k, expand)[0]
                                     + k * k * expand * ci * (expand * ci - 1),
                                     exercises.get("13.mbconv_params").reference(ci, co, k, expand)[1]),
    ],
}


def _more_mistakes() -> None:
    """Typical mistakes may also live beside this file in mistakes_NN.py (one per notebook), each with a dict
    MISTAKES of its own: they join the one above. A module may also say, in a dict NAMED, what the message must
    say about each of its mistakes (test_typical_mistakes_are_named)."""
    import importlib.util
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("mistakes_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        MISTAKES.update(module.MISTAKES)
        NAMED.update(getattr(module, "NAMED", {}))


NAMED = {}  # exercise id -> a phrase per mistake that its message must contain


_more_mistakes()


def _stub(*args, **kwargs):
    raise NotImplementedError("your code here")


def _exercise_cells():
    """(notebook, exercise id, solution cell, the code cell that checks it) for every exercise in the course."""
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            for exercise_id in re.findall(r'check\.exercise\("([^"]+)"', cell.source):
                solution = next(c for c in reversed(nb.cells[:i]) if "### BEGIN SOLUTION" in c.source)
                found.append((path.name, exercise_id, solution, cell))
    return found


EXERCISE_CELLS = _exercise_cells()


def test_every_registered_exercise_is_in_a_notebook_and_has_typical_mistakes():
    registered = set(exercises._registry())
    in_notebooks = {exercise_id for _, exercise_id, _, _ in EXERCISE_CELLS}
    assert registered == in_notebooks
    assert registered <= set(MISTAKES), f"add typical mistakes for {sorted(registered - set(MISTAKES))}"


@pytest.mark.parametrize(("name", "exercise_id", "solution", "check_cell"), EXERCISE_CELLS, ids=lambda v: str(v)[:30])
def test_the_notebooks_solution_passes_and_the_stub_is_not_solved(name, exercise_id, solution, check_cell):
    assert exercise_id.startswith(name[:2] + "."), "exercise ids start with the notebook's number"
    assert solution.metadata.get("nbgrader", {}).get("solution") is True, "nbgrader metadata on the solution cell"
    namespace = {"np": np, "tf": tf, "keras": keras}
    exec(solution.source, namespace)  # the instructor's solution, as marked in the notebook
    function = re.search(r'check\.exercise\("[^"]+", (\w+)\)', check_cell.source).group(1)
    assert exercises.result(exercise_id, namespace[function]) == "correct"
    assert exercises.result(exercise_id, _stub) == "not solved yet"
    hidden = check_cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    exec(hidden, {**namespace, "check": exercises, function: namespace[function]})  # the autograder's test passes


@pytest.mark.parametrize("exercise_id", sorted(MISTAKES))
def test_typical_mistakes_are_caught_with_a_message_and_a_hint(exercise_id, capsys):
    for mistake in MISTAKES[exercise_id]:
        outcome = exercises.result(exercise_id, mistake)
        assert outcome not in ("correct", "not solved yet"), outcome
        assert exercises.exercise(exercise_id, mistake) is None  # prints only: no Out: under the cell
        printed = capsys.readouterr().out
        assert "not right yet" in printed and "hint:" in printed and "how to go about it:" in printed


@pytest.mark.parametrize("exercise_id", sorted(NAMED))
def test_typical_mistakes_are_named(exercise_id):
    for mistake, phrase in zip(MISTAKES[exercise_id], NAMED[exercise_id], strict=True):
        outcome = exercises.result(exercise_id, mistake)
        assert phrase in outcome, outcome


def _size(n, f, p, s):
    return (n + 2 * p - f) // s + 1


def _size_forgets_first(n, f, p, s):
    return (n + 2 * p - f) // s


def _size_cases(rng):
    cases = [((7, 3, 0, 2), {}, "stride 2")]
    for _ in range(10):
        f = int(rng.integers(1, 6))
        cases.append(((int(rng.integers(f, 40)), f, int(rng.integers(0, 3)), int(rng.integers(1, 4))), {}))
    return cases


# An exercise of the tests' own (a count, made here), so that these tests do not depend on the notebooks' exercises.
SIZE = exercises.Exercise(
    title="output size of a convolution",
    reference=_size,
    cases=_size_cases,
    hint="count the positions of the window",
    recipe="pad, then count the steps of s that fit, and the first position",
)


@pytest.fixture
def size(monkeypatch):
    registry = exercises._registry()
    monkeypatch.setattr(exercises, "_registry", lambda: {**registry, "99.size": SIZE})
    return "99.size"


def test_use_falls_back_to_the_reference_and_says_so(capsys, size):
    fallback = exercises.use(size, _stub)
    assert fallback(224, 7, 3, 2) == 112
    assert "use the course's reference" in capsys.readouterr().out
    assert exercises.use(size, _size) is _size


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if any(p.name == n for n, *_ in EXERCISE_CELLS)], ids=str)
def test_student_edition_holds_no_solution_and_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [line.strip() for c in nb.cells for block in SOLUTION.findall(c.source) for line in block.splitlines()]
    student = nbtools.student_edition(nb)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text and "HIDDEN TESTS" not in text
    leaked = [line for line in solutions if line and line in {s.strip() for s in text.splitlines()}]
    assert leaked == [], f"solution lines in the student edition: {leaked}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_render_student_edition_runs_to_the_end_and_offers_the_download(tmp_path):
    from course_utils.__main__ import main

    path = next(p for p in NOTEBOOKS if p.name.startswith("05_"))
    out = tmp_path / "student"
    assert main(["render", str(path), "--edition", "student", "--out", str(out)]) == 0
    executed = nbformat.read(out / path.name, as_version=4)
    printed = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "not solved yet" in printed and "use the course's reference instead" in printed
    assert "Traceback" not in printed
    download = nbformat.read(out / "student" / path.name, as_version=4)
    assert "BEGIN SOLUTION" not in "\n".join(c.source for c in download.cells)
    assert f'href="student/{path.name}" download' in (out / "status.html").read_text()


def test_the_check_prints_nothing_but_raises_under_nbgrader_with_the_message_and_hint(monkeypatch, capsys, size):
    wrong = _size_forgets_first
    assert exercises.exercise(size, _size) is None
    assert "correct" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    exercises.exercise(size, lambda n, f, p, s: (n - f + 2 * p) // s + 1)  # right: no exception
    for fn, says in ((wrong, "not right yet"), (_stub, "not solved yet")):
        with pytest.raises(AssertionError, match=says) as raised:
            exercises.exercise(size, fn)
        assert "hint:" in str(raised.value)


@pytest.mark.parametrize(
    ("exercise_id", "fn", "says"),
    [
        ("99.size", lambda n, f, p, s: None, "it returned None: did you forget `return`?"),
        ("99.size", lambda n, f, p, s: np.floor((n + 2 * p - f) / s) + 1, "wrap it in int(...)"),
        ("99.size", lambda n, f, p, s: np.int64((n + 2 * p - f) // s + 1) * 1.0, "wrap it in int(...)"),
        ("99.size", lambda n, f, p, s: True, "got the bool True"),
        ("00.backprop", MISTAKES["00.backprop"][0], "the sign is flipped"),
        ("00.backprop", MISTAKES["00.backprop"][4], "fails on a batch of m = 2"),
        ("00.backprop", MISTAKES["00.backprop"][5], "one row per example"),
        ("00.backprop", MISTAKES["00.backprop"][7], "rows and columns are swapped"),
        ("08.variance_of_sum", lambda x, var_w: -exercises.get("08.variance_of_sum").reference(x, var_w), "sign"),
        ("08.variance_of_sum", lambda x, var_w: 2 * exercises.get("08.variance_of_sum").reference(x, var_w), "twice"),
        ("01.logistic_gradient", lambda X, y, th: (1 / (1 + np.exp(-(X @ th))) - y) @ X / len(y) * 0.5, "half"),
        ("06.max_pool_backward", MISTAKES["06.max_pool_backward"][1], "fails on overlapping windows"),
    ],
)
def test_messages_name_the_likely_mistake(exercise_id, fn, says, size):
    outcome = exercises.result(exercise_id, fn)
    assert says in outcome, outcome
    if exercise_id == "99.size":  # a count: no shapes to speak of
        assert "shape" not in outcome, outcome


def test_a_wrong_scalar_answer_gets_no_shape_wording():
    outcome = exercises.result("08.variance_of_sum", lambda *args: 123.0)
    assert outcome.startswith("got 123, which is not right (arguments"), outcome


def test_passed_k_of_n_names_the_kind_of_case():
    assign = MISTAKES["06.max_pool_backward"][1]
    outcome = exercises.result("06.max_pool_backward", assign)
    assert outcome.startswith("passed ") and " of 13 cases; fails on overlapping windows" in outcome, outcome


def test_the_recipe_is_shown_only_after_a_wrong_attempt(capsys):
    exercises.exercise("06.max_pool_backward", _stub)
    before = capsys.readouterr().out
    exercises.exercise("06.max_pool_backward", MISTAKES["06.max_pool_backward"][1])
    after = capsys.readouterr().out
    assert "hint:" in before and "how to go about it" not in before
    assert "how to go about it" in after


def test_the_hidden_test_passes_a_students_own_code_and_fails_the_courses_reference(size):
    from course_utils import check

    reference = SIZE.reference

    def students_own(n, f, p, s):
        return (n - f + 2 * p) // s + 1

    check.hidden_test(size, students_own, _size)

    def wrapper(*args):
        return reference(*args)

    for fn in (reference, wrapper, check.use(size, None), lambda *a: wrapper(*a)):
        with pytest.raises(AssertionError, match="course's self-check reference"):
            check.hidden_test(size, fn, _size)
    with pytest.raises(AssertionError, match="not solved yet"):
        check.hidden_test(size, _stub, _size)
    with pytest.raises(AssertionError, match="hidden test"):
        check.hidden_test(size, _size_forgets_first, _size)


def test_the_hidden_test_compares_with_its_own_reference_not_the_packages(monkeypatch, size):
    from course_utils import check

    wrong = _size_forgets_first
    monkeypatch.setattr(SIZE, "reference", wrong)  # a student patches the package
    assert exercises.result(size, wrong) == "correct"  # the self-check is fooled ...
    with pytest.raises(AssertionError, match="hidden test"):
        check.hidden_test(size, wrong, _size)  # ... the hidden test is not
