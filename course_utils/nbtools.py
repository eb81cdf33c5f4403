"""Notebook plumbing for maintainers: clean notebooks for git, record reference outputs, read parameters.

Committed notebooks keep no outputs and no execution counts, except in cells whose source contains
`# NBVAL_CHECK_OUTPUT`: their stored output is the reference that `pytest --nbval-lax` compares.
"""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path

import nbformat

CHECK_MARK = "NBVAL_CHECK_OUTPUT"
KEEP_NOTEBOOK_METADATA = ("kernelspec",)
KEEP_CELL_METADATA = ("tags",)


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def clean(nb):
    """Return `nb` cleaned in place: outputs only in check cells, lean metadata.

    nbval skips cells without an execution count, so a check cell keeps one: its position among the
    code cells (what a fresh top-to-bottom run shows). Other cells get none.
    """
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
    """Write a notebook to a temporary file beside `path`, then rename: never a half-written file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, 0o644)
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
    so that the outputs of its NBVAL_CHECK_OUTPUT cells become the new references."""
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


def read_parameters(path: Path) -> dict:
    """{name: default value} of the simple assignments `name = literal` in the parameters cell."""
    nb = nbformat.read(Path(path), as_version=4)
    params = {}
    for node in ast.parse(parameters_cell(nb).source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    params[target.id] = ast.literal_eval(node.value)
    return params


def parse_value(text: str):
    """A command-line value as a Python literal when it is one ("3", "0.1", "[1, 2]", "None"), else a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def check_value(name: str, value, default):
    """Return `value` converted to the type of `default`, or raise ValueError saying what is allowed."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(default, str):
        return value if isinstance(value, str) else str(value)
    else:
        return value
    raise ValueError(
        f"parameter {name!r}: got {value!r} ({type(value).__name__}), but it takes values of type "
        f"{type(default).__name__} (default {default!r})"
    )
