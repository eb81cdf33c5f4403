"""The student edition of every notebook runs to the end with no exercise solved.

Each notebook's student copy (solutions replaced by nbgrader's stub, outputs cleared) is executed with its
default parameters. Every exercise check must say "not solved yet", every later cell that uses an exercise
must fall back to the course's reference and say so, and no cell may fail: a student who skips an exercise
still sees the whole lesson. This is the slow part of `make test` after nbval (one kernel per notebook).
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.publish import nbtools
from course_utils.publish.render import discover

NOTEBOOKS = [p for p in discover() if "### BEGIN SOLUTION" in p.read_text()]


def test_every_notebook_has_exercises():
    assert [p.name for p in discover()] == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_runs_to_the_end(path, tmp_path):
    student = nbtools.student_edition(nbformat.read(path, as_version=4), path.name)
    where = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(student, timeout=600, kernel_name="python3", resources=where)
    client.execute()

    checks = re.findall(r'check\.exercise\("([^"]+)"', "\n".join(c.source for c in student.cells))
    outputs = [o for c in student.cells if c.cell_type == "code" for o in c.outputs]
    printed = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    errors = [o for o in outputs if o.output_type == "error"]
    assert errors == []
    checking = [c for c in student.cells if "check.exercise(" in c.source or "quiz.check(" in c.source]
    shown = [o for c in checking for o in c.outputs if o.output_type == "execute_result"]
    assert checking and shown == [], "a check shows Out: under its cell"
    assert checks, "no exercise in the notebook"
    lines = printed.splitlines()
    for exercise_id in checks:
        assert any(line.startswith(f"[{exercise_id}]") and "not solved yet" in line for line in lines), exercise_id
    used = set(re.findall(r'check\.use\("([^"]+)"', "\n".join(c.source for c in student.cells)))
    for exercise_id in used:
        assert f"[{exercise_id}] not solved (or not right) yet: the cells below use the course's reference" in printed
