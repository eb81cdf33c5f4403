"""Grading with real nbgrader: a round on notebooks 05 and 06 scores what the students wrote.

nbgrader's own generate_assignment, autograde and validate run in a temporary course folder; scores are read
from its gradebook. `make grade-check` plays the same round on every notebook.
"""

import nbformat
import pytest

from course_utils import exercises
from course_utils.publish import grading, nbtools
from course_utils.publish.render import discover

LIGHT = [p for p in discover() if p.name[:2] in ("05", "06")]

WRONG = {  # a typical mistake in every exercise of 05 and 06, as a student would type it
    "05.conv_same": (  # the stride-1 rule at every stride: (f - 1) // 2 zeros before, f // 2 after
        "f = k.shape[0]\n"
        "padded = np.pad(x, ((f - 1) // 2, f // 2))\n"
        "out = np.zeros((-(-x.shape[0] // s), -(-x.shape[1] // s)))\n"
        "for i in range(out.shape[0]):\n"
        "    for j in range(out.shape[1]):\n"
        "        out[i, j] = np.sum(padded[s * i : s * i + f, s * j : s * j + f] * k)\n"
        "return out"
    ),
    "05.pad": "framed = np.zeros((x.shape[0] + p, x.shape[1] + p))\nframed[p:, p:] = x\nreturn framed",
    "06.pool": (
        "out = np.zeros(((x.shape[0] - f) // s + 1, (x.shape[1] - f) // s + 1))\n"
        "for i in range(out.shape[0]):\n"
        "    for j in range(out.shape[1]):\n"
        "        out[i, j] = np.max(x[s * i : s * i + f, s * j : s * j + f])\n"
        "return out"
    ),
    "06.max_pool_backward": (
        "grad = np.zeros(x.shape)\n"
        "for i, j in np.ndindex(grad_out.shape):\n"
        "    window = x[s * i : s * i + f, s * j : s * j + f]\n"
        "    r, c = np.unravel_index(np.argmax(window), window.shape)\n"
        "    grad[s * i + r, s * j + c] = grad_out[i, j]\n"
        "return grad"
    ),
    "06.shift_changes": (  # images[:, :, :-d]: for d = 0 the slice is empty, so "no shift" gives a blank image
        "base = maps(images)\n"
        "changes = np.zeros((len(shifts), len(base), len(images)))\n"
        "for row, d in enumerate(shifts):\n"
        "    moved = np.zeros_like(images)\n"
        "    moved[:, :, d:] = images[:, :, :-d]\n"
        "    for col, (a, b) in enumerate(zip(base, maps(moved))):\n"
        "        a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)\n"
        "        changes[row, col] = np.linalg.norm(b - a, axis=1) / np.linalg.norm(a, axis=1)\n"
        "return changes"
    ),
}


def test_every_exercise_has_a_locked_autograder_cell_with_points_and_hidden_tests():
    for path in discover():
        nb = nbformat.read(path, as_version=4)
        cells = grading.exercise_cells(nb)
        assert cells, path.name
        for index, exercise_id, _ in cells:
            meta = nb.cells[index].metadata["nbgrader"]
            solution = nb.cells[index - 1].metadata["nbgrader"]
            assert meta["grade"] and meta["locked"] and meta["points"] > 0 and meta["schema_version"] == 3
            assert meta["grade_id"] == f"{solution['grade_id']}-test", exercise_id
            assert grading.BEGIN_HIDDEN in nb.cells[index].source and "check.hidden_test(" in nb.cells[index].source
        assert nbtools.is_clean(nb), f"{path.name}: run `make strip` (hidden tests out of step with the solutions)"


def test_the_student_edition_is_nbgraders_release():
    editions = nbtools.student_editions(LIGHT)
    for path in LIGHT:
        text = "\n".join(c.source for c in editions[path.name].cells)
        assert "raise NotImplementedError()" in text and "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        locked = [c for c in editions[path.name].cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert locked and all(c.metadata["nbgrader"].get("checksum") for c in locked)


@pytest.fixture(scope="module")
def round_05_06(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    return grading.course_round(LIGHT, root, wrong=WRONG), root


def test_an_nbgrader_round_scores_solutions_full_and_wrong_untouched_or_borrowed_answers_zero(round_05_06, capsys):
    problems, root = round_05_06
    assert problems == []
    scores = {student: grading.scores(root, student) for student in ("solved", "untouched", "wrong", "reference")}
    assert scores["solved"]["total"] == scores["solved"]["max"] == 10.0  # 05: 2 exercises, 06: 3; 2 points each
    assert scores["untouched"]["total"] == scores["wrong"]["total"] == 0.0
    assert scores["reference"]["total"] == 6.0  # the first exercise of each notebook borrowed the reference


def test_validate_fails_a_wrong_notebook_and_says_why(round_05_06, tmp_path):
    _, root = round_05_06
    path = next(p for p in LIGHT if p.name.startswith("05"))
    released = nbformat.read(root / "release" / grading.ASSIGNMENT / path.name, as_version=4)
    source = nbformat.read(path, as_version=4)
    wrong = grading.answered(released, source, {"05.conv_same": WRONG["05.conv_same"]})
    nbformat.write(wrong, tmp_path / path.name)
    ok, printed = grading.validate(tmp_path / path.name)
    assert not ok, printed
    assert "[05.conv_same] Keras' padding='same', even kernels and strides" in printed and "hint:" in printed
    hint = exercises.get("05.conv_same").hint.split()
    assert " ".join(hint[-3:]) in " ".join(printed.split()), "validate cut the hint short: wrap it shorter"
