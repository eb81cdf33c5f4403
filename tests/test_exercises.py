"""Exercises: each check passes on the notebook's marked solution, says "not solved yet" for the student's
stub, and catches the typical mistakes; the student edition holds no solution and still runs."""

import re

import nbformat
import numpy as np
import pytest

from course_utils import exercises, nbtools
from course_utils.render import discover

NOTEBOOKS = discover()
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)

# Typical mistakes, at least one per exercise: the check must not call them correct.
MISTAKES = {
    "05.output_size": [
        lambda n, f, p, s: (n + 2 * p - f) // s,  # forgets the first position
        lambda n, f, p, s: (n + p - f) // s + 1,  # padding on one side only
        lambda n, f, p, s: (n + 2 * p - f) / s + 1,  # true division: a float
    ],
    "05.pad": [
        lambda x, p: np.pad(x, p + 1),  # one ring too many
        lambda x, p: np.pad(x, ((p, p), (0, 0))),  # rows only
    ],
}


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
    namespace = {"np": np}
    exec(solution.source, namespace)  # the instructor's solution, as marked in the notebook
    function = re.search(r'check\.exercise\("[^"]+", (\w+)\)', check_cell.source).group(1)
    assert exercises.result(exercise_id, namespace[function]) == "correct"
    assert exercises.result(exercise_id, _stub) == "not solved yet"


@pytest.mark.parametrize("exercise_id", sorted(MISTAKES))
def test_typical_mistakes_are_caught_with_a_message_and_a_hint(exercise_id, capsys):
    for mistake in MISTAKES[exercise_id]:
        outcome = exercises.result(exercise_id, mistake)
        assert outcome not in ("correct", "not solved yet"), outcome
        assert exercises.exercise(exercise_id, mistake) is False
        printed = capsys.readouterr().out
        assert "not right yet" in printed and "hint:" in printed


def test_use_falls_back_to_the_reference_and_says_so(capsys):
    size = exercises.use("05.output_size", _stub)
    assert size(224, 7, 3, 2) == 112
    assert "use the course's reference" in capsys.readouterr().out
    mine = exercises.get("05.output_size").reference
    assert exercises.use("05.output_size", mine) is mine


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if any(p.name == n for n, *_ in EXERCISE_CELLS)], ids=str)
def test_student_edition_holds_no_solution_and_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [line.strip() for c in nb.cells for block in SOLUTION.findall(c.source) for line in block.splitlines()]
    student = nbtools.student_edition(nb)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and nbtools.STUDENT_STUB in text
    leaked = [line for line in solutions if line and line in {s.strip() for s in text.splitlines()}]
    assert leaked == [], f"solution lines in the student edition: {leaked}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert not any(nbtools.is_check_cell(c) for c in student.cells)


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
    assert f'href="student/{path.name}" download' in (out / "index.html").read_text()
