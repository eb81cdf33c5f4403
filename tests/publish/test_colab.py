"""Colab first: the notebooks' first code cell installs the course there, and the package works installed
from its wheel (not editable), quizzes and exercises included."""

import contextlib
import importlib.metadata
import importlib.util
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.publish import colab
from course_utils.publish.render import discover

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = discover(ROOT / "notebooks")
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
URL = "https://github.com/you/course"


def run_cell(source: str = colab.CELL) -> str:
    """Run the cell in a fresh namespace, as a kernel would; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<colab cell>", "exec"), {"__name__": "__main__"})
    return out.getvalue()


@pytest.fixture
def pip_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda args, **kw: calls.append(list(args)))
    return calls


@pytest.fixture
def fake_colab(tmp_path, monkeypatch):
    """A `google.colab` module, importable and in sys.modules, as on Colab."""
    site = tmp_path / "fake_site"
    package = site / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A stand-in for Colab\'s own module."""\n')
    monkeypatch.syspath_prepend(str(site))
    spec = importlib.util.spec_from_file_location(
        "google.colab", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    assert importlib.util.find_spec("google.colab") is not None


@pytest.fixture
def not_installed(monkeypatch):
    """course_utils not importable, as on a fresh Colab runtime (a None entry in sys.modules hides it)."""
    monkeypatch.setitem(sys.modules, "course_utils", None)
    assert importlib.util.find_spec("course_utils") is None


def test_off_colab_the_cell_does_nothing_quickly_and_silently(pip_calls):
    assert "google.colab" not in sys.modules
    start = time.perf_counter()
    printed = run_cell()
    assert time.perf_counter() - start < 0.5
    assert printed == "" and pip_calls == []


def test_on_colab_without_a_source_it_says_how_to_install(fake_colab, not_installed, pip_calls):
    with pytest.raises(RuntimeError) as error:
        run_cell()
    message = str(error.value)
    assert len(message.splitlines()) == 1
    assert 'pip install "course_utils[colab] @ git+' in message and "instructor" in message
    assert pip_calls == []


def test_on_colab_it_installs_from_the_source_once(fake_colab, not_installed, pip_calls):
    source = colab.requirement(URL)
    run_cell(colab.with_source(notebook_with_cell(), source).cells[1].source)
    assert pip_calls == [[sys.executable, "-m", "pip", "install", "--quiet", "course_utils[colab] @ git+" + URL]]


def test_on_colab_with_the_course_importable_it_does_not_call_pip(fake_colab, pip_calls):
    assert importlib.util.find_spec("course_utils") is not None
    printed = run_cell(colab.with_source(notebook_with_cell(), colab.requirement(URL)).cells[1].source)
    assert pip_calls == [] and printed == ""


def test_on_colab_keras_2_is_refused_with_what_to_do(fake_colab, pip_calls, monkeypatch):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.15.0" if name == "keras" else real(name))
    with pytest.raises(RuntimeError, match=r"needs Keras 3, this runtime has Keras 2\.15\.0: choose Runtime"):
        run_cell()


SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
SOLUTION_CELL = dict(grade=False, grade_id="01-double", locked=False, schema_version=3, solution=True, task=False)


def notebook_with_cell(path=None, body="print('lesson')"):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Demo"),
        nbformat.v4.new_code_cell("epochs = 2", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body, metadata={"nbgrader": SOLUTION_CELL} if body == SOLUTION else {}),
    ]
    colab.insert(nb)
    if path is not None:
        nbformat.write(nb, path)
    return nb


def test_insert_puts_the_cell_first_among_code_cells_and_is_idempotent():
    nb = notebook_with_cell()
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code"]
    assert nb.cells[1].source == colab.CELL and nb.cells[1].metadata["tags"] == [colab.TAG]
    nbformat.validate(nb)
    once = nbformat.writes(nb)
    assert nbformat.writes(colab.insert(nb)) == once


def test_insert_updates_an_outdated_copy_in_place_keeping_its_source_and_tags():
    nb = notebook_with_cell()
    old = nb.cells.pop(1)
    old.source = 'COURSE_SOURCE = "x @ git+https://example.org/c"  # old\nprint("old cell")'
    old.metadata["tags"].append("hide-input")
    nb.cells.append(old)  # outdated and misplaced
    nb.cells.append(nbformat.from_dict(old))  # and a second copy
    colab.insert(nb)
    copies = [c for c in nb.cells if colab.TAG in c.metadata.get("tags", [])]
    assert copies == [nb.cells[1]] and nb.cells[1].metadata["tags"] == [colab.TAG, "hide-input"]
    assert nb.cells[1].source == colab.CELL.replace('COURSE_SOURCE = ""', "COURSE_SOURCE = 'x @ git+https://example.org/c'")


def test_with_source_writes_the_requirement_into_a_copy():
    nb = notebook_with_cell()
    sourced = colab.with_source(nb, colab.requirement(URL + "/"))
    assert f"COURSE_SOURCE = 'course_utils[colab] @ git+{URL}'  # the link" in sourced.cells[1].source
    assert nb.cells[1].source == colab.CELL  # the original is untouched
    assert colab.with_source(nb, "") == nb and colab.requirement(None) == ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_one_up_to_date_colab_cell_first_among_its_code_cells(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if colab.TAG in c.metadata.get("tags", [])]
    assert tagged == code[:1], f"run: python -m course_utils.publish.colab {path}"
    assert code[0].source == colab.CELL, f"outdated Colab cell: run python -m course_utils.publish.colab {path}"
    assert "course_utils.setup(" in code[1].source


def test_render_with_a_repository_url_writes_the_source_into_what_it_publishes(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    path = src / "01_demo.ipynb"
    notebook_with_cell(path, SOLUTION)
    before = path.read_bytes()
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out), "--repository-url", URL]) == 0
    expected = f"COURSE_SOURCE = 'course_utils[colab] @ git+{URL}'"
    executed = nbformat.read(out / "01_demo.ipynb", as_version=4)
    assert expected in executed.cells[1].source and executed.cells[1].outputs == []  # ran, printed nothing
    assert expected in nbformat.read(out / "student" / "01_demo.ipynb", as_version=4).cells[1].source
    assert path.read_bytes() == before  # the source notebook keeps its empty COURSE_SOURCE
    assert [p.name for p in out.glob(".*")] == [".render-manifest.json"]  # no temporary file, only the manifest


def test_a_student_render_writes_the_source_into_the_student_copies(tmp_path):
    path = tmp_path / "01_demo.ipynb"
    notebook_with_cell(path, SOLUTION)
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out), "--edition", "student", "--repository-url", URL]) == 0
    for copy in (out / "01_demo.ipynb", out / "student" / "01_demo.ipynb"):
        cell = nbformat.read(copy, as_version=4).cells[1]
        assert f"COURSE_SOURCE = 'course_utils[colab] @ git+{URL}'" in cell.source and colab.TAG in cell.metadata.tags


def test_without_a_repository_url_the_render_keeps_the_empty_source(tmp_path):
    path = tmp_path / "01_demo.ipynb"
    notebook_with_cell(path)
    assert main(["render", str(path), "--out", str(tmp_path / "out")]) == 0
    assert nbformat.read(tmp_path / "out" / "01_demo.ipynb", as_version=4).cells[1].source == colab.CELL


def test_the_installed_wheel_runs_a_notebook_with_its_quizzes_and_exercises(tmp_path, monkeypatch):
    """Build the wheel, install it (not editable) into a folder, and run notebook 05 against it from a folder
    outside the repository: the installed course_utils is the one used."""
    from nbclient import NotebookClient

    project = tmp_path / "project"  # a copy, so the build leaves nothing in the repository (build/, egg-info)
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copy(ROOT / "README.md", project)
    shutil.copytree(ROOT / "course_utils", project / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    dist, site, work = tmp_path / "dist", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", ".", "-w", str(dist)], cwd=project, check=True)
    [wheel] = dist.glob("course_utils-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], cwd=work, check=True)
    monkeypatch.setenv("PYTHONPATH", str(site))
    probe = (
        "import course_utils, course_utils.exercises, course_utils.publish.colab; from course_utils import quiz\n"
        "quiz.question('05.1'); print(course_utils.__file__)"
    )
    where = subprocess.run([sys.executable, "-c", probe], cwd=work, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout

    nb = nbformat.read(ROOT / "notebooks" / "05_zero_padding.ipynb", as_version=4)
    assert any("quiz.check(" in c.source for c in nb.cells) and any("check.exercise(" in c.source for c in nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell("import course_utils\nprint('installed at', course_utils.__file__)"))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"installed at {site}" in printed
    assert "[05.conv_same] " in printed and ": correct" in printed  # the exercises' checks, from the wheel
    assert "[05.1] Not answered yet. Hint:" in printed  # the quiz, from the wheel's quizzes/05.json
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
