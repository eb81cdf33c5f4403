"""One notebook of a render: execute it with papermill, export it to HTML, and what a run's result holds.

The render (render.py) and its worker processes (_worker.py) both use this module, so the worker needs
nothing from the render. Paths are written with `inside`, which refuses symbolic links and paths that leave
the output folder.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class UsageError(ValueError):
    """Bad usage or input: the CLI prints it as one line and exits 2, before anything runs."""


class ParameterError(UsageError):
    """A -p name or value that the notebooks do not accept."""


@dataclass
class Result:
    notebook: str
    status: str = "not run"  # "ok" or "FAILED"
    seconds: float = 0.0
    parameters: dict = field(default_factory=dict)
    html: str | None = None
    error: str | None = None
    title: str = ""  # from the notebook's "# NN · Title" heading
    part: str = ""  # the learning path, from the notebook's "course" metadata (course_utils.publish.path)
    introduces: list = field(default_factory=list)
    requires: list = field(default_factory=list)
    rendered_at: str = ""  # when the page was made (the index keeps pages of earlier renders)
    note: str = ""


class DiskFull(RuntimeError):
    """No space was left to write the render's files; the partial files were removed, earlier pages kept."""


NO_SPACE = "no space left on"  # how a worker's result says so


def _no_space(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is a full disk (or a full quota)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _disk_full(where: Path) -> DiskFull:
    return DiskFull(f"{NO_SPACE} {where}: free some space and render again (the pages of the last render are kept)")


def _first_link(folder: Path) -> Path | None:
    """The first symbolic link found anywhere inside `folder` (links are not followed), else None."""
    if not folder.is_dir():
        return None
    for root, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            if os.path.islink(os.path.join(root, name)):
                return Path(root) / name
    return None


def inside(out_dir: Path, *parts: str) -> Path:
    """`out_dir/parts...`, checked at the moment of writing: no folder on the way is a symbolic link, so the
    path resolves inside the output folder. check_out_dir refuses links up front; this keeps a link made
    during the render (by a notebook, say) from turning a later write against the inputs."""
    path = Path(out_dir).joinpath(*parts)
    for step in [path, *path.parents]:
        if step == out_dir:
            break
        if step.is_symlink():
            raise UsageError(f"{step} is a symbolic link; a render never writes through links")
    out, parent = Path(out_dir).resolve(), path.parent.resolve()
    if parent != out and out not in parent.parents:
        raise UsageError(f"{path} resolves outside the output folder {out_dir}; a render never writes there")
    return path


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.render-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _failure(exc: Exception, executed=None, timeout: int | None = None) -> str:
    """One line naming the failing cell (index in the executed notebook, its first line) and what happened.


    papermill names the cell of an exception raised in the notebook. For a kernel that died (out of
    memory, `os._exit`) or a cell over `--timeout`, the cell is the last one that started in the
    executed notebook `executed`.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError


    cell = getattr(exc, "cell_index", None)
    count = getattr(exc, "exec_count", None)
    source = getattr(exc, "source", "") or ""
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    if isinstance(exc, DeadKernelError):
        ename, evalue = "DeadKernelError", "the kernel died (out of memory, or the code ended the process)"
    elif isinstance(exc, CellTimeoutError):
        ename, evalue = "CellTimeoutError", f"the cell ran longer than --timeout {timeout} s"
    if cell is None and executed is not None:
        started = [i for i, c in enumerate(executed.cells) if c.metadata.get("papermill", {}).get("start_time")]
        if started:
            cell = started[-1]
            count, source = executed.cells[cell].get("execution_count"), executed.cells[cell].source
    where = f"cell {cell}" if cell is not None else "before the first cell"
    if count is not None:
        where += f" (In [{count}])"
    first = source.strip().splitlines()
    if first:
        where += f" starting {first[0][:60]!r}"
    return f"{where}: {ename}: {evalue}".splitlines()[0][:400]


def render_one(notebook: Path, params: dict, out_dir: Path, overrides: dict, timeout: int | None) -> Result:
    """Execute one notebook with papermill (working directory: out_dir) and export it to HTML.


    The page of an earlier render stays until this one is complete; then the new notebook and page
    replace it (as `<stem>.html`, or `<stem>.FAILED.html` when a cell failed) and the other variant
    is removed, so the folder never holds an old page that passes for this render's.
    """
    import nbformat

    from .path import course_info


    stem = notebook.stem
    result = Result(notebook.name, parameters={k: params[k] for k in overrides if k in params})
    source = nbformat.read(notebook, as_version=4)
    heading = source.cells[0].source.splitlines()[0] if source.cells else ""
    result.title = heading.split("·", 1)[-1].strip() if heading.startswith("# ") else stem
    info = course_info(source)
    result.part, result.introduces, result.requires = info["part"], info["introduces"], info["requires"]
    suffixes = (".ipynb", ".html", ".FAILED.ipynb", ".FAILED.html")
    finals = {suffix: inside(out_dir, f"{stem}{suffix}") for suffix in suffixes}
    if notebook.resolve() in {f.resolve() for f in finals.values()}:  # check_out_dir refuses it; never touch an input
        raise UsageError(f"refusing to render {notebook} onto itself")
    tmp_nb = inside(out_dir, f".{stem}.running.ipynb")
    try:
        return _execute_and_export(notebook, result, out_dir, timeout, tmp_nb, finals)
    except Exception as exc:
        if _no_space(exc):  # the partial notebook goes; the earlier page stays
            tmp_nb.unlink(missing_ok=True)
            raise _disk_full(out_dir) from None
        raise
    finally:
        tmp_nb.unlink(missing_ok=True)  # only a failure leaves it: on success it became the final notebook


def _execute_and_export(notebook: Path, result: Result, out_dir: Path, timeout, tmp_nb: Path, finals: dict) -> Result:
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter


    stem = notebook.stem
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(notebook),
            str(tmp_nb),
            parameters=result.parameters,
            kernel_name="python3",
            cwd=str(out_dir),
            progress_bar=False,
            execution_timeout=timeout,
        )
        result.status = "ok"
    except Exception as exc:  # papermill raises PapermillExecutionError; a kernel death or a timeout others
        if _no_space(exc):
            raise
        try:
            executed = nbformat.read(tmp_nb, as_version=4) if tmp_nb.exists() else None
        except Exception:  # noqa: BLE001 - a notebook cut short: the failure is still named, without its cell
            executed = None
        result.status, result.error = "FAILED", _failure(exc, executed, timeout)
    result.seconds = round(time.perf_counter() - start, 1)
    result.rendered_at = time.strftime("%Y-%m-%d %H:%M:%S")
    suffix, other = ("", ".FAILED") if result.status == "ok" else (".FAILED", "")
    if tmp_nb.exists():
        nb = nbformat.read(tmp_nb, as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
        _atomic_text(finals[f"{suffix}.html"], body)
        os.replace(tmp_nb, finals[f"{suffix}.ipynb"])
        result.html = f"{stem}{suffix}.html"
    for old in (finals[f"{other}.html"], finals[f"{other}.ipynb"]):
        old.unlink(missing_ok=True)
    if result.html is None:  # nothing new to show: an earlier page would pass for this render's
        finals[f"{suffix}.html"].unlink(missing_ok=True)
    return result
