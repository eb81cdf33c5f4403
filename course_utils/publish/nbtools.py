"""Notebook plumbing for maintainers: clean notebooks for git, record reference outputs, read parameters.

Committed notebooks keep no outputs and no execution counts, except in check cells: cells tagged
`nbval-check-output`, whose stored output is the reference that `pytest --nbval-lax` compares.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import nbformat

CHECK_TAG = "nbval-check-output"
KEEP_NOTEBOOK_METADATA = ("kernelspec", "course")
KEEP_CELL_METADATA = ("tags", "nbgrader")  # nbgrader: solution cells of the exercises


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def clean(nb):
    """Return `nb` cleaned in place: outputs only in check cells, lean metadata, and every exercise's
    autograder cell in step with its solution (course_utils.publish.grading.sync).

    nbval skips cells without an execution count, so a check cell keeps one: its position among the
    code cells (what a fresh top-to-bottom run shows). Other cells get none.
    """
    from .grading import sync

    sync(nb)  # every exercise's check cell: hidden tests from its solution, autograder metadata
    nb.metadata = {k: nb.metadata[k] for k in KEEP_NOTEBOOK_METADATA if k in nb.metadata}
    nb.metadata["language_info"] = {"name": "python"}
    position = 0
    for cell in nb.cells:
        cell.metadata = {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        position += 1
        count = position if is_check_cell(cell) else None
        cell.execution_count = count
        if count is None:
            cell.outputs = []
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = count
    return nb


def is_clean(nb) -> bool:
    before = nbformat.writes(nb)
    return nbformat.writes(clean(nbformat.reads(before, as_version=4))) == before


def write_atomic(nb, path: Path) -> None:
    """Write a notebook to a temporary file beside `path`, then rename: never a half-written file.

    A symbolic link stays a link (the file it points to is replaced) and an existing file keeps its
    permissions; a new file gets 644.
    """
    path = Path(path).resolve() if Path(path).is_symlink() else Path(path)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def strip(paths, check: bool = False) -> list[Path]:
    """Clean notebooks in place, or with check=True only list the ones that are not clean."""
    dirty = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        if not is_clean(nb):
            dirty.append(path)
            if not check:
                write_atomic(clean(nb), path)
    return dirty


def record(path: Path, timeout: int = 600) -> None:
    """Execute a notebook with its default parameters (in its own folder) and store it cleaned,
    so that the outputs of its check cells (tag nbval-check-output) become the new references."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    write_atomic(clean(nb), path)


def parameters_cell(nb):
    """The one code cell tagged `parameters`; ValueError if there is none or several."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    return cells[0]


def read(path: Path):
    """A notebook file as a NotebookNode; ValueError with one line if it is not a readable notebook."""
    try:
        return nbformat.read(Path(path), as_version=4)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:120]}"
        raise ValueError(f"{path} is not a Jupyter notebook ({reason})") from None


def read_parameters(path: Path) -> dict:
    """{name: default value} of the parameters cell (declarations as in course_utils.params)."""
    from ..params import declarations

    return {name: p.default for name, p in declarations(parameters_cell(read(path)).source).items()}


def student_edition(nb, name: str = "notebook.ipynb"):
    """The student's copy of a course notebook: nbgrader's release of it (`generate_assignment`): every
    `### BEGIN SOLUTION` ... `### END SOLUTION` block replaced by nbgrader's stub, hidden tests removed,
    outputs cleared. It is the notebook an instructor who grades with nbgrader hands out."""
    from .grading import student_edition as release_one

    return release_one(nb, name)


def student_editions(paths) -> dict:
    """{name: student edition} of several notebooks, released together (one nbgrader run)."""
    from .grading import release

    return release([Path(p) for p in paths])
