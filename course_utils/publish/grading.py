"""Grading with nbgrader: the course's notebooks are an nbgrader `source/` assignment as they are.

Each exercise is two cells: the solution cell (nbgrader `solution`, the body between `### BEGIN SOLUTION`
and `### END SOLUTION`) and right after it the check cell, which is also the exercise's autograder test
cell (nbgrader `grade`, `locked`, `points`):

    check.exercise("05.pad", pad_zeros)                  # the student's self-check; raises under nbgrader
    ### BEGIN HIDDEN TESTS
    def _hidden_pad_zeros(x, p):                          # the solution, under another name
        ...
    check.hidden_test("05.pad", pad_zeros, _hidden_pad_zeros)
    ### END HIDDEN TESTS

`sync` writes the hidden block from the solution cell and sets the metadata, so the two never drift apart
(`python -m course_utils strip` runs it; `strip --check` and the tests fail on a notebook out of step).
nbgrader's `generate_assignment` removes the solutions and the hidden block from the student's copy, and
`autograde` puts the hidden block back. `release` runs that same `generate_assignment` in a temporary
course: the student edition that `render` publishes is nbgrader's release, not a parallel copy.

`grading_round` plays a whole round (release, submissions, autograde, scores read from the gradebook) for
the tests and `make grade-check`.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import nbformat

POINTS = 2  # per exercise
ASSIGNMENT = "course"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUDENT_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own default stub
CHECK_CALL = re.compile(r'^check\.exercise\("(?P<id>[^"]+)", (?P<fn>\w+)\)$', re.M)


def exercise_cells(nb) -> list[tuple[int, str, str]]:
    """(index of the check cell, exercise id, function name) for every exercise of a notebook: a solution
    cell followed by a cell that calls check.exercise. ValueError if a solution cell has no such check."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN_SOLUTION not in cell.source:
            continue
        after = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        match = CHECK_CALL.search(after.source) if after is not None and after.cell_type == "code" else None
        if match is None:
            raise ValueError(f"cell {i} holds a solution but the next cell does not call check.exercise(ID, function)")
        found.append((i + 1, match["id"], match["fn"]))
    return found


def hidden_block(solution: str, function: str, exercise_id: str) -> str:
    """The hidden-test block of an exercise: its solution renamed `_hidden_<function>`, and the test."""
    lines = [line for line in solution.splitlines() if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
    code = "\n".join(lines).strip("\n")
    renamed, count = re.subn(rf"^def {function}\(", f"def _hidden_{function}(", code, flags=re.M)
    if count != 1:
        raise ValueError(f"the solution of {exercise_id} does not define {function}() exactly once")
    test = f'check.hidden_test("{exercise_id}", {function}, _hidden_{function})'
    return f"{BEGIN_HIDDEN}\n{renamed}\n\n\n{test}\n{END_HIDDEN}"


def grade_metadata(solution_cell) -> dict:
    grade_id = solution_cell.metadata.get("nbgrader", {}).get("grade_id")
    if not grade_id:
        raise ValueError("a solution cell has no nbgrader grade_id")
    return {"grade": True, "grade_id": f"{grade_id}-test", "locked": True, "points": POINTS,
            "schema_version": 3, "solution": False, "task": False}  # fmt: skip


def sync(nb):
    """Give every exercise's check cell its hidden tests (from the solution) and the autograder metadata;
    returns `nb`, changed in place."""
    for index, exercise_id, function in exercise_cells(nb):
        check_cell, solution_cell = nb.cells[index], nb.cells[index - 1]
        visible = check_cell.source.split(BEGIN_HIDDEN)[0].rstrip()
        check_cell.source = f"{visible}\n{hidden_block(solution_cell.source, function, exercise_id)}"
        check_cell.metadata["nbgrader"] = grade_metadata(solution_cell)
    return nb


@contextmanager
def _venv_on_path():
    """nbgrader calls `alembic` through PATH: make the one beside this Python found without activating."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{old}"
    try:
        yield
    finally:
        os.environ["PATH"] = old


def _api(root: Path, timeout: int = 600):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "course"
    config.Exchange.root = str(root / "exchange")  # nbgrader's default exchange is a system folder
    config.Execute.timeout = timeout  # nbgrader's default, 30 s a cell, is too short for the training cells
    config.ClearSolutions.code_stub = {"python": STUDENT_STUB}
    return NbGraderAPI(config=config)



def release(notebooks: list, root: Path | None = None) -> dict[str, object]:
    """nbgrader's release (student edition) of each notebook, by name: `generate_assignment` in a course
    folder (a temporary one unless `root` is given). `notebooks` are paths or notebook nodes with names
    given as (name, node) pairs."""
    with tempfile.TemporaryDirectory(prefix="nbgrader-release-") as tmp:
        root = Path(root or tmp)
        source = root / "source" / ASSIGNMENT
        source.mkdir(parents=True, exist_ok=True)
        for item in notebooks:
            name, nb = (item.name, nbformat.read(item, as_version=4)) if isinstance(item, Path) else item
            nbformat.write(nb, source / name)
        with _venv_on_path():
            outcome = _api(root).generate_assignment(ASSIGNMENT, force=True)
        if not outcome.get("success"):
            last = (outcome.get("error") or outcome.get("log") or "").strip().splitlines()
            raise RuntimeError(f"nbgrader generate_assignment failed: {last[-1] if last else 'no message'}")
        released = root / "release" / ASSIGNMENT
        return {p.name: nbformat.read(p, as_version=4) for p in sorted(released.glob("*.ipynb"))}


def student_edition(nb, name: str = "notebook.ipynb"):
    """The student edition of one notebook (nbgrader's release of it)."""
    return release([(name, nb)])[name]


def _replace_solution(nb, index: int, body: str):
    """Put `body` (indented like the solution) in place of the stub of the solution cell at `index`."""
    cell = nb.cells[index]
    stub_lines = STUDENT_STUB.splitlines()
    lines = cell.source.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == stub_lines[0] and k + 1 < len(lines) and lines[k + 1].strip() == stub_lines[1]:
            indent = line[: len(line) - len(line.lstrip())]
            new = [indent + b if b else b for b in body.splitlines()]
            cell.source = "\n".join(lines[:k] + new + lines[k + 2 :])
            return
    raise ValueError(f"no stub in cell {index}")


def solved(source_nb, released_nb):
    """The released notebook with the source's solutions typed in, as a student who solved all would."""
    nb = nbformat.from_dict(released_nb)
    for index, *_ in exercise_cells(source_nb):
        nb.cells[index - 1].source = source_nb.cells[index - 1].source
    return nb


def answered(released_nb, source_nb, bodies: dict[str, str]):
    """The released notebook with the given function bodies (exercise id -> code) typed into the stubs,
    and every other exercise solved as in the source."""
    nb = solved(source_nb, released_nb)
    for index, exercise_id, _ in exercise_cells(source_nb):
        if exercise_id in bodies:
            nb.cells[index - 1].source = released_nb.cells[index - 1].source
            _replace_solution(nb, index - 1, bodies[exercise_id])
    return nb


def scores(root: Path, student: str) -> dict[str, float]:
    """{notebook name: score} and "total" of a student's autograded submission, read from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        found = {f"{nb.name}.ipynb": float(nb.score) for nb in submission.notebooks}
        found["total"], found["max"] = float(submission.score), float(submission.max_score)
    return found


def grading_round(notebooks: list[Path], root: Path, submissions: dict, timeout: int = 600) -> dict[str, dict]:
    """Release `notebooks` in a course folder `root`, submit for each student a version made by
    `submissions[student](source_nb, released_nb, name)` (a notebook node), autograde them all and return
    each student's scores from the gradebook."""
    sources = {p.name: nbformat.read(p, as_version=4) for p in notebooks}
    released = release([Path(p) for p in notebooks], root=root)
    api = _api(root, timeout)
    results = {}
    for student, make in submissions.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        for name, nb in released.items():
            nbformat.write(make(sources[name], nb, name), folder / name)
        with _venv_on_path():
            outcome = api.autograde(ASSIGNMENT, student, force=True, create=True)
        if not outcome.get("success"):
            last = (outcome.get("error") or outcome.get("log") or "").strip().splitlines()
            raise RuntimeError(f"nbgrader autograde failed for {student}: {last[-1] if last else 'no message'}")
        results[student] = scores(root, student)
    return results


def validate(path: Path, timeout: int = 600) -> tuple[bool, str]:
    """`nbgrader validate` of a notebook, as a student runs it: (passed, what it printed)."""
    import subprocess

    with _venv_on_path():
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", "validate", str(path), f"--Execute.timeout={timeout}"],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
    text = proc.stdout + proc.stderr
    return "Success! Your notebook passes all the tests." in text, text


def _points(source_nb) -> dict[str, float]:
    return {exercise_id: float(source_nb.cells[index].metadata["nbgrader"]["points"])
            for index, exercise_id, _ in exercise_cells(source_nb)}  # fmt: skip


def course_round(notebooks: list[Path], root: Path, wrong: dict[str, str] | None = None) -> list[str]:
    """A full nbgrader round on `notebooks` with four students, checked against the scores they must get;
    returns the problems found (empty when every score is as expected), printing each student's scores.

    - solved: every exercise solved as in the source notebook -> full marks;
    - untouched: the release as handed out -> 0;
    - wrong: every exercise answered wrongly (`wrong[exercise id]` as the function's body, else a
      forgotten `return`) -> 0;
    - reference: solved, except that the first exercise of each notebook calls the course's self-check
      reference -> full marks less that exercise's points.
    """
    sources = {Path(p).name: nbformat.read(p, as_version=4) for p in notebooks}
    cheats = {}
    for name, nb in sources.items():
        index, exercise_id, function = exercise_cells(nb)[0]
        cheats[name] = (exercise_id, "import course_utils\n\n"
                        f'return course_utils.exercises.get("{exercise_id}").reference(*args, **kwargs)')  # fmt: skip

    def cheat(source, released, name):
        exercise_id, body = cheats[name]
        nb = answered(released, source, {exercise_id: body})
        cell = nb.cells[exercise_cells(source)[0][0] - 1]  # take any arguments: (*args, **kwargs)
        any_arguments = r"def \1(*args, **kwargs):"
        cell.source = re.sub(r"^def (\w+)\(.*?\):", any_arguments, cell.source, count=1, flags=re.M | re.S)
        return nb

    def all_wrong(source, released, name):
        bodies = {eid: (wrong or {}).get(eid, "return None") for _, eid, _ in exercise_cells(source)}
        return answered(released, source, bodies)

    submissions = {
        "solved": lambda source, released, name: solved(source, released),
        "untouched": lambda source, released, name: nbformat.from_dict(released),
        "wrong": all_wrong,
        "reference": cheat,
    }
    results = grading_round(list(map(Path, notebooks)), Path(root), submissions)
    problems = []
    for name, nb in sources.items():
        points = _points(nb)
        full = sum(points.values())
        expected = {"solved": full, "untouched": 0.0, "wrong": 0.0, "reference": full - points[cheats[name][0]]}
        if full <= 0:
            problems.append(f"{name}: no points to score")
        for student, score in expected.items():
            got = results[student].get(name)
            print(f"{name:32} {student:10} {got} / {full}")
            if got is None or abs(got - score) > 1e-9:
                problems.append(f"{name}: {student} scored {got}, expected {score} of {full}")
    return problems


def main(argv=None) -> int:
    """`python -m course_utils.publish.grading [NOTEBOOK ...]`: a full nbgrader round (see course_round)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_utils.publish.grading", description=main.__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook with exercises")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(
        p for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb")
        if BEGIN_SOLUTION in p.read_text(encoding="utf-8")
    )
    with tempfile.TemporaryDirectory(prefix="grade-check-") as root:
        problems = course_round(notebooks, Path(root))
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    print(f"grade-check: {len(notebooks)} notebooks, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
