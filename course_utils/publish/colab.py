"""The Colab cell: the first code cell of every notebook, which installs the course on Colab.

On Colab nothing of the course is installed, so `import course_utils` in the setup cell would fail. The
cell below (`CELL`) installs the package with pip from `COURSE_SOURCE`, a pip requirement such as
`course_utils[colab] @ git+https://github.com/you/course`, and checks that the runtime has Keras 3. It
keeps Colab's own TensorFlow, Keras and NumPy. Anywhere else it does nothing and prints nothing.

The committed notebooks carry the cell with an empty source (it then says how to install); `render
--repository-url URL` writes `course_utils[colab] @ git+URL` into the notebooks it executes and publishes
(`with_source`). `insert` puts the cell in place, or brings an outdated copy up to date; the cell is the
one tagged `colab-install`. `python -m course_utils.publish.colab NOTEBOOK ...` inserts it into notebooks.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

TAG = "colab-install"
PACKAGE = "course_utils[colab]"

CELL = """\
# Colab only: installs the course's package, course_utils (anywhere else this cell does nothing).
COURSE_SOURCE = ""  # the link your instructor gives, e.g. "course_utils[colab] @ git+https://github.com/you/course"
import importlib.metadata
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("google") is not None and importlib.util.find_spec("google.colab") is not None:
    if importlib.util.find_spec("course_utils") is None:
        if not COURSE_SOURCE:
            raise RuntimeError('course_utils is not installed: set COURSE_SOURCE above to the link your instructor '
                               'gives, or run: pip install "course_utils[colab] @ git+<the course repository>"')
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", COURSE_SOURCE])
        importlib.invalidate_caches()  # so that the next cell finds the new package
    keras_version = importlib.metadata.version("keras")
    if not keras_version.startswith("3."):
        raise RuntimeError(f"this course needs Keras 3, this runtime has Keras {keras_version}: choose "
                           "Runtime > Change runtime type > Runtime version: Latest, then run all again")"""

_SOURCE_LINE = re.compile(r'^COURSE_SOURCE = ("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')', re.MULTILINE)


def requirement(repository_url: str | None) -> str:
    """The pip requirement that installs the course from its repository ("" without one)."""
    return f"{PACKAGE} @ git+{repository_url.rstrip('/')}" if repository_url else ""


def _is_colab_cell(cell) -> bool:
    return cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def _set_source(text: str, source: str) -> str:
    value = repr(source) if source else '""'
    return _SOURCE_LINE.sub(lambda _: f"COURSE_SOURCE = {value}", text, count=1)


def _source_of(text: str) -> str:
    found = _SOURCE_LINE.search(text)
    return ast.literal_eval(found.group(1)) if found else ""


def with_source(nb, source: str):
    """A copy of the notebook whose Colab cell installs from `source`, a pip requirement (see `requirement`).
    With an empty `source`, or without the cell, the copy is the notebook as it was."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if source and _is_colab_cell(cell):
            cell.source = _set_source(cell.source, source)
    return nb


def insert(nb):
    """Put the Colab cell first among the notebook's code cells (in place; returns `nb`).

    An existing copy (the cell tagged `colab-install`) is moved there and brought up to date, keeping its
    COURSE_SOURCE and its other tags; a second copy is removed. Running it again changes nothing.
    """
    copies = [c for c in nb.cells if _is_colab_cell(c)]
    if copies:
        cell = copies[0]
    else:
        cell = nbformat.v4.new_code_cell(metadata={"tags": [TAG]})
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) >= 5:
            ids = {c.get("id") for c in nb.cells}
            cell.id = TAG if TAG not in ids else cell.id
        else:
            cell.pop("id", None)
    cell.source = _set_source(CELL, _source_of(cell.source))
    cell.outputs, cell.execution_count = [], None
    nb.cells = [c for c in nb.cells if not _is_colab_cell(c)]
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, cell)
    return nb


def main(paths: list[str]) -> int:
    """Insert the Colab cell into each notebook (written atomically) and print the ones that changed. A
    notebook that was clean stays clean: the execution counts of its check cells follow the new position."""
    from .nbtools import clean, is_clean, write_atomic

    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        before, was_clean = nbformat.writes(nb), is_clean(nb)
        insert(nb)
        if was_clean:
            clean(nb)
        if nbformat.writes(nb) != before:
            write_atomic(nb, path)
            print(f"inserted the Colab cell: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
