"""Render notebooks for publishing: papermill executes, nbconvert exports HTML, an index links them.

Parameters are checked against each notebook's `parameters` cell before anything runs (papermill
itself only warns about unknown names). Every file is written under a temporary name and renamed
when complete, so an interrupted or failed render never leaves a file that looks finished.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import nbtools, params

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


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
    part: str = ""  # the learning path, from the notebook's "course" metadata (course_utils.path)
    introduces: list = field(default_factory=list)
    requires: list = field(default_factory=list)


def discover(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(p for p in Path(notebook_dir).glob("[0-9][0-9]_*.ipynb"))


def plan(notebooks: list[Path], overrides: dict[str, str]) -> dict[Path, dict]:
    """{notebook: its parameters after the overrides}; ParameterError before anything runs.

    Each override is read by the type its notebook declares (course_utils.params) and checked against
    the declared range, choices or folder; a relative folder is made absolute from the current
    directory, since the notebook runs in the output folder. With one notebook every name must be
    one of its parameters; with several, a name must belong to at least one of them and is given
    only to the notebooks that declare it.
    """
    declared = {}
    for nb in notebooks:
        try:
            declared[nb] = params.declarations(nbtools.parameters_cell(nbtools.read(nb)).source)
        except ValueError as exc:
            raise ParameterError(f"{nb.name}: {exc}") from None
    for name in overrides:
        if not any(name in declared[nb] for nb in notebooks):
            allowed = sorted(set().union(*(declared[nb] for nb in notebooks)))
            where = notebooks[0].name if len(notebooks) == 1 else "any of the selected notebooks"
            raise ParameterError(f"unknown parameter {name!r} for {where}. Allowed: {', '.join(allowed) or '(none)'}")
    result = {}
    for nb in notebooks:
        values = {name: p.default for name, p in declared[nb].items()}
        for name, text in overrides.items():
            if name not in declared[nb]:
                continue
            try:
                value = params.parse_text(declared[nb][name], text)
            except ValueError as exc:
                raise ParameterError(f"{nb.name}: {exc}") from None
            if declared[nb][name].folder and value is not None:
                value = str(Path(value).expanduser().resolve())
            values[name] = value
        try:
            result[nb] = params.check_all(declared[nb], values)  # bounds that name another parameter
        except ValueError as exc:
            raise ParameterError(f"{nb.name}: {exc}") from None
    return result


def check_out_dir(notebooks: list[Path], out_dir: Path) -> Path:
    """The resolved output folder; UsageError if it is a file, or is or contains the folder of an input.

    Rendering writes `<out>/<stem>.ipynb`, so an output folder that holds an input notebook would
    replace the student's or the course's source; one that contains an input's folder is refused too,
    since a render there mixes sources and outputs.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder; give a folder such as build/course")
    for nb in notebooks:
        folder = nb.resolve().parent
        if out == folder or out in folder.parents:
            raise UsageError(
                f"--out {out_dir} contains the input notebook {nb.name} (in {folder}); rendering there could "
                "replace it. Choose a folder outside the notebooks' folders, such as build/course"
            )
    return out


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _failure(exc: Exception) -> str:
    """One line naming the failing cell (index in the executed notebook, its first line), from papermill's error."""
    cell = getattr(exc, "cell_index", None)
    count = getattr(exc, "exec_count", None)
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    where = f"cell {cell}" if cell is not None else "before the first cell"
    if count is not None:
        where += f" (In [{count}])"
    source = (getattr(exc, "source", "") or "").strip().splitlines()
    if source:
        where += f" starting {source[0][:60]!r}"
    return f"{where}: {ename}: {evalue}".splitlines()[0][:400]


def render_one(notebook: Path, params: dict, out_dir: Path, overrides: dict, timeout: int | None) -> Result:
    """Execute one notebook with papermill (working directory: out_dir) and export it to HTML."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    from .path import course_info

    stem = notebook.stem
    result = Result(notebook.name, parameters={k: params[k] for k in overrides if k in params})
    source = nbformat.read(notebook, as_version=4)
    heading = source.cells[0].source.splitlines()[0] if source.cells else ""
    result.title = heading.split("·", 1)[-1].strip() if heading.startswith("# ") else stem
    info = course_info(source)
    result.part, result.introduces, result.requires = info["part"], info["introduces"], info["requires"]
    finals = [out_dir / f"{stem}{suffix}" for suffix in (".ipynb", ".html", ".FAILED.ipynb", ".FAILED.html")]
    if notebook.resolve() in {f.resolve() for f in finals}:  # check_out_dir refuses this; never delete an input
        raise UsageError(f"refusing to render {notebook} onto itself")
    for old in finals:  # an earlier render's files must not pass for this render's
        old.unlink(missing_ok=True)
    tmp_nb = out_dir / f".{stem}.running.ipynb"
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
    except Exception as exc:  # papermill raises PapermillExecutionError; a kernel death raises others
        result.status, result.error = "FAILED", _failure(exc)
    result.seconds = round(time.perf_counter() - start, 1)
    suffix = "" if result.status == "ok" else ".FAILED"
    if tmp_nb.exists():
        nb = nbformat.read(tmp_nb, as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
        _atomic_text(out_dir / f"{stem}{suffix}.html", body)
        os.replace(tmp_nb, out_dir / f"{stem}{suffix}.ipynb")
        result.html = f"{stem}{suffix}.html"
    return result


def write_index(results: list[Result], out_dir: Path, title: str = "Convolutional networks with Keras") -> Path:
    ran = sum(r.status == "ok" for r in results)
    rows, part = [], None
    for r in results:
        if r.part and r.part != part:  # the learning path: one heading row per part, in course order
            part = r.part
            rows.append(f'<tr class="part"><th colspan="5">{html.escape(part)}</th></tr>')
        name = f"{r.notebook[:2]} · {r.title}" if r.title else r.notebook
        link = f'<a href="{html.escape(r.html)}">{html.escape(name)}</a>' if r.html else html.escape(name)
        params = ", ".join(f"{k}={v!r}" for k, v in r.parameters.items()) or "defaults"
        status = r.status if r.error is None else f"{r.status}: {r.error}"
        cls = "ok" if r.status == "ok" else "bad"
        student = out_dir / "student" / r.notebook
        if student.exists():  # the student edition, for download (render --edition student)
            link += f' · <a href="student/{html.escape(r.notebook)}" download>student notebook</a>'
        teaches = html.escape(", ".join(r.introduces))
        needs = html.escape(", ".join(r.requires) or "nothing")
        rows.append(
            f'<tr><td>{link}</td><td class="path">teaches {teaches}<br>needs {needs}</td>'
            f'<td class="{cls}">{html.escape(status)}</td><td>{r.seconds:.1f} s</td><td>{html.escape(params)}</td></tr>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.3em .8em;text-align:left}}
.ok{{color:#17663a}}.bad{{color:#b00020}}.path{{font-size:.85em;color:#444}}
tr.part th{{padding-top:1.2em;border-bottom:1px solid #999}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Rendered {time.strftime("%Y-%m-%d %H:%M")}; {ran} of {len(results)} notebooks ran.</p>
<table><tr><th>Notebook</th><th>Learning path</th><th>Status</th><th>Run time</th><th>Parameters</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    _atomic_text(out_dir / "index.html", page)
    _atomic_text(out_dir / "index.json", json.dumps([asdict(r) for r in results], indent=1))
    return out_dir / "index.html"


def render(
    notebooks, overrides: dict, out_dir: Path, jobs: int = 1, timeout: int | None = None, edition: str = "instructor"
) -> list[Result]:
    """Render notebooks (all of notebooks/ when empty); ParameterError before running if a -p is wrong.

    edition "student": the notebooks are first turned into their student copies (solutions replaced by
    stubs, outputs cleared: nbtools.student_edition); those copies are saved in <out>/student/ for
    download, and they are what runs, so the pages show what a student sees before solving anything.
    """
    from tqdm.auto import tqdm

    notebooks = [Path(n).resolve() for n in notebooks] or discover()
    missing = [str(n) for n in notebooks if not n.is_file()]
    if missing:
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)}")
    if edition not in ("instructor", "student"):
        raise UsageError(f"--edition must be instructor or student, got {edition!r}")
    planned = plan(notebooks, overrides)
    out_dir = check_out_dir(notebooks, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if edition == "student":
        with tempfile.TemporaryDirectory(prefix="student-edition-") as tmp:
            copies = []
            (out_dir / "student").mkdir(exist_ok=True)
            for nb in notebooks:
                student = nbtools.student_edition(nbtools.read(nb))
                nbtools.write_atomic(student, out_dir / "student" / nb.name)  # the download
                nbtools.write_atomic(student, Path(tmp) / nb.name)
                copies.append(Path(tmp) / nb.name)
            planned_copies = {copy: planned[nb] for copy, nb in zip(copies, notebooks)}
            return _run_all(copies, planned_copies, overrides, out_dir, jobs, timeout, tqdm)
    return _run_all(notebooks, planned, overrides, out_dir, jobs, timeout, tqdm)


def _run_all(notebooks, planned, overrides, out_dir, jobs, timeout, tqdm) -> list[Result]:
    results = {}
    with (
        ProcessPoolExecutor(max_workers=max(1, jobs)) as pool,
        tqdm(total=len(notebooks), desc="render", unit="notebook") as bar,
    ):
        futures = {pool.submit(render_one, nb, planned[nb], out_dir, overrides, timeout): nb for nb in notebooks}
        for future in as_completed(futures):
            r = future.result()
            results[futures[future]] = r
            bar.write(f"{r.status:>6}  {r.seconds:6.1f} s  {r.notebook}" + (f"  {r.error}" if r.error else ""))
            bar.update()
    ordered = [results[nb] for nb in notebooks]
    write_index(ordered, out_dir)
    return ordered
