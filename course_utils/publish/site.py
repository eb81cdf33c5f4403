"""The course as a book: Sphinx with myst-nb and sphinx-book-theme, built from the executed notebooks.

`render` calls `build(out_dir)` after its notebooks ran. The book is made from the executed notebooks
in the output folder (none is executed again) and written over that folder: `index.html` becomes the
book's home page (the learning path), every `NN_topic.html` a page with a sidebar in course order,
previous/next links, an on-page table of contents and full-text search, and `status.html` the table
of the last render. Everything the pages load is in the folder: MathJax comes from the PyPI package
sphinx-mathjax-offline, the search index is a script file, so the book reads from `file://` offline.

Why Sphinx + myst-nb: myst-nb renders stored outputs without executing (`nb_execution_mode = "off"`),
folds the input of cells tagged `hide-input`, takes a figure's alt text from cell metadata, and the
book theme gives the sidebar, previous/next, table of contents and launch buttons out of the box.

Figures get their alt text from the caption under them (the `*Figure: ...*` line every figure has).
Each page starts with a line giving when and how it was rendered, with download links for the
executed notebook and, when there is one, the student edition.
"""

from __future__ import annotations

import errno
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .markers import BUILD_DIRS, STATUS_END, STATUS_START, TABLE_END, TABLE_START

TITLE = "Convolutional networks with Keras"

CONF = """\
project = {title!r}
html_title = {title!r}
author = "the course's contributors"
extensions = ["myst_nb", "sphinx-mathjax-offline"]  # MathJax from a PyPI package, copied into _static/
html_theme = "sphinx_book_theme"
nb_execution_mode = "off"  # the notebooks ran under papermill; the book only shows them
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
html_theme_options = {theme!r}
html_show_sourcelink = False
html_copy_source = False
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
exclude_patterns = ["_build"]
"""


def _caption(cells, i: int) -> str | None:
    """The text of the `*Figure: ...*` caption that follows code cell i (plain text, for alt)."""
    for cell in cells[i + 1 : i + 3]:
        text = cell.source.strip()
        if cell.cell_type == "markdown" and text.startswith("*Figure"):
            first = text.split("\n\n")[0].strip("*").strip()
            return first.removeprefix("Figure:").strip().replace("`", "")
    return None


def _with_alt_text(nb) -> None:
    """Give every cell that draws a figure its caption as alt text (myst-nb reads `mystnb.image.alt`)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else "a figure"
        alt = _caption(nb.cells, i) or f"Figure drawn by the code starting {first_line[:60]!r}"
        cell.metadata.setdefault("mystnb", {})["image"] = {"alt": alt}


def _run_line(entry: dict, out_dir: Path) -> str:
    """The first lines of a page: how it was rendered, and the downloads."""
    stem = Path(entry["html"]).name.removesuffix(".html")
    params = ", ".join(f"<code>{html.escape(k)}={html.escape(repr(v))}</code>" for k, v in entry["parameters"].items())
    links = [f'<a href="{html.escape(stem)}.ipynb" download>executed notebook</a>']
    student = out_dir / "student" / entry["notebook"]
    if student.is_file():
        links.append(f'<a href="student/{html.escape(entry["notebook"])}" download>student notebook</a>')
    status = ""
    if entry["status"] != "ok":
        status = f" <strong>{html.escape(entry['status'])}: {html.escape(entry.get('error') or '')}</strong>"
    return (
        f'<p class="run-info">Rendered {html.escape(entry.get("rendered_at", ""))} in {entry.get("seconds", 0):.0f} s '
        f"with {params or 'the default parameters'}.{status} Download: {' · '.join(links)}.</p>"
    )


def _home(entries: list[dict]) -> str:
    """The book's home page: the learning path, part by part, with what each notebook teaches and needs."""
    lines = [f"# {TITLE}", "", "Executable notebooks on convolutional networks and how to train them, in the order of "
             "the learning path: each notebook uses only what an earlier one taught.", ""]  # fmt: skip
    parts: dict[str, list[dict]] = {}
    for e in entries:
        parts.setdefault(e.get("part") or "Notebooks", []).append(e)
    for part, members in parts.items():
        lines += [f"## {part}", ""]
        for e in members:
            doc = Path(e["html"]).name.removesuffix(".html")
            teaches = ", ".join(e.get("introduces", [])) or "-"
            needs = ", ".join(e.get("requires", [])) or "nothing"
            lines.append(f"- [{e['notebook'][:2]} · {e.get('title') or doc}]({doc}.ipynb): teaches {teaches}; "
                         f"needs {needs}.")  # fmt: skip
        lines.append("")
        lines += ["```{toctree}", ":hidden:", f":caption: {part}", ""]
        lines += [Path(e["html"]).name.removesuffix(".html") for e in members]
        lines += ["```", ""]
    lines += ["```{toctree}", ":hidden:", ":caption: About this build", "", "status", "```", ""]
    lines += ["```{raw} html", f'<p class="last-render">{STATUS_START}{STATUS_END}</p>', "```", ""]
    return "\n".join(lines)


def _status(status_html: str) -> str:
    """The status page of the book: the table that `render.write_index` writes, between its markers."""
    table = status_html.split(TABLE_START, 1)[-1].split(TABLE_END, 1)[0] if TABLE_START in status_html else ""
    style = "<style>td.path{font-size:.8em;color:#555}.ok{color:#17663a}.bad{color:#b00020}</style>"
    return f"# Status of the last render\n\n```{{raw}} html\n{style}\n{TABLE_START}{table}{TABLE_END}\n```\n"


def _cause(stderr: str, returncode: int) -> str:
    """The line of Sphinx's output that names the error (its last lines ask for a bug report)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"[\w.]*(Error|Exception|Warning)\b.*:", line)]
    return (named or lines or [f"exit code {returncode}"])[-1]


def build(out_dir: Path, entries: list[dict], repository_url: str | None = None, claim=None) -> Path:
    """Build the book from the executed notebooks of `entries` (those with a page) into `out_dir`.

    The book is built in a temporary folder and then moved into place, file by file, so an interrupted
    build leaves the earlier pages. Before anything moves, `claim` (if given) is called with every path,
    relative to `out_dir`, that the move writes or removes; it raises to stop the move (render's manifest:
    a file no render made). Returns the home page. RuntimeError (one line) if Sphinx fails; OSError
    (ENOSPC) if the disk is full.
    """
    out_dir = Path(out_dir)
    pages = [e for e in entries if e.get("html") and (out_dir / e["html"]).is_file()]
    pages = [e for e in pages if (out_dir / Path(e["html"]).name.replace(".html", ".ipynb")).is_file()]
    theme = {"use_download_button": False, "show_toc_level": 2, "home_page_in_toc": True, "show_navbar_depth": 1}
    if repository_url:  # optional launch buttons (Colab, Binder) for a course published from a repository
        theme |= {"repository_url": repository_url, "path_to_docs": "student", "repository_branch": "main",
                  "launch_buttons": {"colab_url": "https://colab.research.google.com",
                                     "binderhub_url": "https://mybinder.org"}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix=".book-", dir=out_dir) as tmp:
        src, built = Path(tmp) / "src", Path(tmp) / "html"
        src.mkdir()
        (src / "conf.py").write_text(CONF.format(title=TITLE, theme=theme))
        for e in pages:
            stem = Path(e["html"]).name.removesuffix(".html")
            nb = nbformat.read(out_dir / f"{stem}.ipynb", as_version=4)
            _with_alt_text(nb)
            at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
            nb.cells.insert(at, nbformat.v4.new_markdown_cell(_run_line(e, out_dir)))
            nbformat.write(nb, src / f"{stem}.ipynb")
        (src / "index.md").write_text(_home(pages))
        status = out_dir / "status.html"
        (src / "status.md").write_text(_status(status.read_text() if status.is_file() else "<body></body>"))
        proc = subprocess.run(
            [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(src), str(built)],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            if "No space left on device" in proc.stderr or "[Errno 28]" in proc.stderr:
                raise OSError(errno.ENOSPC, "No space left on device while building the book", str(out_dir))
            raise RuntimeError(f"the book could not be built: {_cause(proc.stderr, proc.returncode)[:300]}")
        if claim is not None:
            moved = [f for name in BUILD_DIRS for f in (built / name).rglob("*") if f.is_file()]
            replaced = [f for name in BUILD_DIRS if (built / name).exists() for f in (out_dir / name).rglob("*")]
            top = [f for f in built.iterdir() if f.is_file() and f.name != ".buildinfo"]
            claim([f.relative_to(built) for f in moved + top] + [f.relative_to(out_dir) for f in replaced])
        for name in BUILD_DIRS:  # whole folders: replace the old one in two renames
            if (built / name).exists():
                old = out_dir / f".old{name}"
                shutil.rmtree(old, ignore_errors=True)
                if (out_dir / name).exists():
                    os.replace(out_dir / name, old)
                os.replace(built / name, out_dir / name)
                shutil.rmtree(old, ignore_errors=True)
        for path in built.iterdir():
            if path.is_file() and path.name != ".buildinfo":
                os.replace(path, out_dir / path.name)
    return out_dir / "index.html"
