"""Render notebooks for publishing: papermill executes, nbconvert exports HTML, an index links them.

Parameters are checked against each notebook's `parameters` cell before anything runs (papermill
itself only warns about unknown names). Every file is written under a temporary name and renamed
when complete, so an interrupted or failed render never leaves a file that looks finished; a page
from an earlier render stays until the new one replaces it.

Each notebook runs in a worker process of its own (course_utils.publish._worker). A lock on the output folder
keeps a second render out; Ctrl-C (or SIGTERM) stops the workers and their kernels within seconds,
removes the temporary files and writes an index that says what was interrupted. The index describes
the whole folder: every page in it, with the render that made it.

A render writes only into an empty folder or one an earlier render made: its manifest
(`.render-manifest.json`) lists the files renders made there, and a render replaces or removes no other
file. A full disk stops the render with one line; the partial files go and the earlier pages stay.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from .. import params
from . import colab, nbtools
from .execute import (  # noqa: F401 - re-exported: the CLI and tests use them as render.*
    NO_SPACE,
    DiskFull,
    ParameterError,
    Result,
    UsageError,
    _atomic_text,
    _disk_full,
    _execute_and_export,
    _failure,
    _first_link,
    _no_space,
    inside,
    render_one,
)
from .markers import (  # noqa: F401
    BOOK_FILES,
    BOOK_MARK,
    BUILD_DIRS,
    JOBS_PREFIX,
    LOCK_NAME,
    MANIFEST_NAME,
    STATUS_END,
    STATUS_START,
    TABLE_END,
    TABLE_START,
)

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a render; `results` says what ran, what was interrupted, what never started;
    `during` says when, if not while notebooks ran ("the book build")."""

    def __init__(self, results: list[Result], during: str = ""):
        super().__init__("interrupted")
        self.results, self.during = results, during


def add_parameter_option(parser, help: str) -> None:
    """The `-p NAME VALUE` option (repeatable) of the render and of bench/lessons.py; `plan` reads the values."""
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help=help)


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
            raise ParameterError(
                f"unknown parameter {params._short(name)} for {where}. Allowed: {', '.join(allowed) or '(none)'}"
            )
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


def check_repository_url(url: str | None) -> None:
    """UsageError unless `url` is None or a web address (http or https, with a host, no spaces or quotes)."""
    if url is None:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() or c in "\"'<>\\"
                                                                                 for c in url):  # fmt: skip
        raise UsageError(
            f"--repository-url must be the web address of the course's repository, such as "
            f"https://github.com/you/course; got {params._short(url)}"
        )


def check_out_dir(notebooks: list[Path], out_dir: Path) -> Path:
    """The resolved output folder; UsageError if it is a file, or is or contains the folder of an input.

    Rendering writes `<out>/<stem>.ipynb`, so an output folder that holds an input notebook would
    replace the student's or the course's source; one that contains an input's folder is refused too,
    since a render there mixes sources and outputs. A folder inside the course's notebooks/ is refused:
    pytest would collect the rendered notebooks there as tests.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder; give a folder such as build/course")
    if NOTEBOOK_DIR in out.parents:
        raise UsageError(
            f"--out {out_dir} is inside the course's notebooks/ folder, where the tests would run the rendered "
            "notebooks as their own; choose a folder outside it, such as build/course"
        )
    for nb in notebooks:
        folder = nb.resolve().parent
        if out == folder or out in folder.parents:
            raise UsageError(
                f"--out {out_dir} contains the input notebook {nb.name} (in {folder}); rendering there could "
                "replace it. Choose a folder outside the notebooks' folders, such as build/course"
            )
    link = _first_link(out)
    if link is not None:
        raise UsageError(
            f"--out {out_dir} holds a symbolic link, {link.relative_to(out)} -> {os.readlink(link)}; a render never "
            "writes through links (it could overwrite what they point to). Remove the link or choose another --out"
        )
    return out


class _Manifest:
    """The files renders made in the output folder (paths relative to it), in <out>/.render-manifest.json.

    `open` lets a render into an empty folder or an earlier render's only. Every path a render is about to
    write is recorded first (`add`), so a render killed midway leaves nothing it made unrecorded; paths
    that no longer exist are dropped when the next render opens the folder.
    """

    def __init__(self, out_dir: Path, files: set[str]):
        self.out_dir, self.files = out_dir, files

    @classmethod
    def open(cls, out_dir: Path) -> _Manifest:
        """The folder's manifest (a new one for an empty folder); UsageError if the folder holds files and
        no manifest, or one that cannot be read."""
        path = out_dir / MANIFEST_NAME
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                files = set(data["files"])
                if not all(isinstance(f, str) for f in files):
                    raise TypeError("a file name is not text")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UsageError(
                    f"--out {out_dir}: its render manifest {MANIFEST_NAME} cannot be read ({type(exc).__name__}); "
                    "choose another --out, or empty this folder"
                ) from None
            return cls(out_dir, {f for f in files if (out_dir / f).exists() or (out_dir / f).is_symlink()})
        legacy = _legacy_render_files(out_dir)  # a folder of a render made before manifests existed
        if legacy is not None:
            return cls(out_dir, legacy)
        other = sorted(e.name for e in os.scandir(out_dir) if not _is_leftover(e.name))
        if other:
            raise UsageError(
                f"--out {out_dir} is not empty and no render made it (it holds {params.cut(other[0])}"
                f"{f' and {len(other) - 1} more' if len(other) > 1 else ''}); a render replaces and deletes files "
                "in its folder, so give an empty or new folder, or one an earlier render made"
            )
        return cls(out_dir, set())

    def check(self, paths) -> None:
        """UsageError naming the first of `paths` (relative) that exists and was not made by a render; for a
        folder, the first file inside it that was not."""
        for rel in paths:
            full = self.out_dir / rel
            inner = [full] if not full.is_dir() or full.is_symlink() else sorted(f for f in full.rglob("*")
                                                                                 if not f.is_dir())  # fmt: skip
            for f in inner:
                name = f.relative_to(self.out_dir).as_posix()
                if (f.exists() or f.is_symlink()) and name not in self.files:
                    raise UsageError(
                        f"--out {self.out_dir} holds {params.cut(name)}, which no render made; a render would "
                        "replace or delete it. Move it out of the folder, or choose another --out"
                    )

    def add(self, paths) -> None:
        """Record `paths` (relative) as made by a render, before they are written."""
        new = {Path(p).as_posix() for p in paths} - self.files
        if new or not (self.out_dir / MANIFEST_NAME).is_file():
            self.files |= new
            text = json.dumps({"made_by": "python -m course_utils render", "files": sorted(self.files)}, indent=0)
            _atomic_text(self.out_dir / MANIFEST_NAME, text)

    def claim(self, paths) -> None:
        """`check` then `add`: the book's files, before they are moved into the folder (site.build)."""
        paths = [Path(p).as_posix() for p in paths]
        self.check(paths)
        self.add(paths)


def _legacy_render_files(out_dir: Path) -> set[str] | None:
    """For a folder rendered before manifests existed (its index.json is a render's): the files there that a
    render makes (its pages, the book's files and folders, student copies); None for any other folder."""
    try:
        entries = json.loads((out_dir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    keys = {"notebook", "status", "html", "rendered_at", "parameters"}
    if not (isinstance(entries, list) and entries and all(isinstance(e, dict) and keys <= set(e) for e in entries)):
        return None
    names = _planned([Path(str(e["notebook"])) for e in entries])
    files = {n for n in names if (out_dir / n).is_file()}
    for folder in BUILD_DIRS:
        files |= {f.relative_to(out_dir).as_posix() for f in (out_dir / folder).rglob("*") if f.is_file()}
    return files


def _is_leftover(name: str) -> bool:
    """A name only a render uses for its lock and temporary files (what a killed render leaves)."""
    return (
        name in (LOCK_NAME, MANIFEST_NAME)
        or re.fullmatch(r"\.book-\w+|\.old_\w+|\..+\.running\.ipynb|\..+\.render-\w+\.tmp", name) is not None
    )


def _planned(notebooks: list[Path]) -> list[str]:
    """The paths (relative to the output folder) a render of `notebooks` writes, besides the book's."""
    paths = list(BOOK_FILES)
    for nb in notebooks:
        paths += [f"{nb.stem}{suffix}" for suffix in (".ipynb", ".html", ".FAILED.ipynb", ".FAILED.html")]
        paths.append(f"student/{nb.name}")
    return paths


def _read_manifest(out_dir: Path) -> list[dict]:
    try:
        entries = json.loads((out_dir / "index.json").read_text())
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and "notebook" in e] if isinstance(entries, list) else []


def folder_entries(results: list[Result], out_dir: Path) -> list[dict]:
    """What the output folder holds, one entry per notebook: this render's results, the pages of earlier
    renders that are still there (with when they were made), and pages no recorded render made."""
    entries = {}
    for e in _read_manifest(out_dir):  # earlier renders: keep what is still on disk
        if e.get("html") and (out_dir / e["html"]).is_file() and e.get("status") != "unknown":
            entries[e["notebook"]] = {**asdict(Result(e["notebook"])), **e, "note": ""}
    for r in results:
        earlier = entries.get(r.notebook)
        if r.status in ("interrupted", "not run") and earlier:
            why = "was interrupted" if r.status == "interrupted" else "stopped before it reached this notebook"
            note = f"the last render {why}; this page is from {earlier['rendered_at']}"
            entries[r.notebook] = {**earlier, "note": note}
        else:
            entries[r.notebook] = asdict(r)
    listed = {e["html"] for e in entries.values() if e.get("html")}
    for page in sorted(out_dir.glob("[0-9][0-9]_*.html")):  # a notebook's page (the book adds others)
        if page.name not in listed:
            name = page.name.removesuffix(".html").removesuffix(".FAILED") + ".ipynb"
            made = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(page.stat().st_mtime))
            entries.setdefault(name, asdict(Result(name, status="unknown", html=page.name, rendered_at=made)))
            entries[name]["note"] = entries[name]["note"] or "not made by a render recorded in this folder's index"
    return [entries[name] for name in sorted(entries)]


def write_index(
    results: list[Result], out_dir: Path, title: str = "Convolutional networks with Keras", state: str = "finished"
) -> Path:
    """Write index.html and index.json (atomically) for the whole folder; `state` describes this render."""
    entries = folder_entries(results, out_dir)
    ran = sum(r.status == "ok" for r in results)
    rows, part = [], None
    for e in entries:
        if e.get("part") and e["part"] != part:  # the learning path: one heading row per part, in course order
            part = e["part"]
            rows.append(f'<tr class="part"><th colspan="5">{html.escape(part)}</th></tr>')
        name = f"{e['notebook'][:2]} · {e['title']}" if e.get("title") else e["notebook"]
        link = f'<a href="{html.escape(e["html"])}">{html.escape(name)}</a>' if e.get("html") else html.escape(name)
        params = ", ".join(f"{k}={v!r}" for k, v in e.get("parameters", {}).items()) or "defaults"
        status = e["status"] if not e.get("error") else f"{e['status']}: {e['error']}"
        if e.get("note"):
            status += f" ({e['note']})"
        cls = "ok" if e["status"] == "ok" else "bad"
        student = out_dir / "student" / e["notebook"]
        if student.exists():  # the student edition, for download (render --edition student)
            link += f' · <a href="student/{html.escape(e["notebook"])}" download>student notebook</a>'
        teaches = html.escape(", ".join(e.get("introduces", [])))
        needs = html.escape(", ".join(e.get("requires", [])) or "nothing")
        path = f"teaches {teaches}<br>needs {needs}" if teaches else ""
        when = f"{e.get('seconds', 0):.1f} s<br><small>{html.escape(e.get('rendered_at', ''))}</small>"
        rows.append(
            f'<tr><td>{link}</td><td class="path">{path}</td>'
            f'<td class="{cls}">{html.escape(status)}</td><td>{when}</td><td>{html.escape(params)}</td></tr>'
        )
    summary = f"Last render {time.strftime('%Y-%m-%d %H:%M')}: {ran} of {len(results)} notebooks ran"
    summary += "." if state == "finished" else f"; it was {state}."
    table = (
        f"<p>{html.escape(summary)} This folder holds {sum(bool(e.get('html')) for e in entries)} pages.</p>\n"
        "<table><tr><th>Notebook</th><th>Learning path</th><th>Status</th><th>Run time</th><th>Parameters</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>"
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.3em .8em;text-align:left}}
.ok{{color:#17663a}}.bad{{color:#b00020}}.path{{font-size:.85em;color:#444}}
tr.part th{{padding-top:1.2em;border-bottom:1px solid #999}}</style></head>
<body><h1>{html.escape(title)}</h1>
{TABLE_START}{table}{TABLE_END}
</body></html>
"""
    _atomic_text(out_dir / "index.json", json.dumps(entries, indent=1))
    line = f"{html.escape(summary)} See the <a href=\"status.html\">status page</a>."
    # Once the book exists, its status page and its home page are updated in place between their markers;
    # before that (or if it could not be built), the status table is both pages.
    for path, start, end, fragment in ((out_dir / "status.html", TABLE_START, TABLE_END, table),
                                       (out_dir / "index.html", STATUS_START, STATUS_END, line)):  # fmt: skip
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if _is_book_page(text, start, end):
            before, rest = text.split(start, 1)
            _atomic_text(path, before + start + fragment + end + rest.split(end, 1)[1])
        else:
            _atomic_text(path, page)
    return out_dir / "index.html"


def _is_book_page(text: str, start: str, end: str) -> bool:
    return start in text and end in text and BOOK_MARK in text


class _FolderLock:
    """An exclusive lock on the output folder (flock on <out>/.render.lock), taken without waiting."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / LOCK_NAME
        self.file = None

    def __enter__(self):
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            self.file = os.fdopen(fd, "r+")
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self.file.read().strip()[:20] or "unknown"
                self.file.close()
                raise UsageError(
                    f"another render is writing to {self.path.parent} (process {holder}); "
                    "wait for it to finish or choose another --out"
                ) from None
            # The file locked may be one its last holder removed after we opened it (and another render may
            # have made and locked a new one): the lock counts only while it is the file at the path.
            try:
                current = os.stat(self.path, follow_symlinks=False)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
                break
            self.file.close()
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()
        return self

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)  # while the lock is held: whoever locks this file next sees it is gone
        self.file.close()  # closing releases the lock


def _remove_temporaries(out_dir: Path) -> None:
    """Temporary files and folders of an earlier render that was killed or stopped (we hold the lock, so
    none is in use): partial notebooks and files, the book's build folder, the book's replaced folders."""
    for entry in os.scandir(out_dir):
        if entry.name in (LOCK_NAME, MANIFEST_NAME) or not _is_leftover(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            Path(entry.path).unlink(missing_ok=True)


def render(
    notebooks,
    overrides: dict,
    out_dir: Path,
    jobs: int = 1,
    timeout: int | None = None,
    edition: str = "instructor",
    repository_url: str | None = None,
) -> list[Result]:
    """Render notebooks (all of notebooks/ when empty); UsageError before running if an input is wrong,
    Interrupted (after writing the index) if Ctrl-C or SIGTERM stops the render.

    edition "student": the notebooks are first turned into their student copies (nbgrader's release:
    solutions replaced by stubs, hidden tests removed, outputs cleared); those copies are saved in <out>/student/ for
    download, and they are what runs, so the pages show what a student sees before solving anything.

    At the end the book (course_utils.publish.site) is built from the executed notebooks in the folder;
    `repository_url` adds Colab and Binder buttons to its pages. BookError if it cannot be built;
    DiskFull (one line) if the disk fills up, after the partial files are removed.
    """
    notebooks = [Path(n).resolve() for n in notebooks] or discover()
    missing = [str(n) for n in notebooks if not n.is_file()]
    if missing:
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)}")
    notebooks = list(dict.fromkeys(notebooks))  # the same file given twice renders once
    stems = [n.stem for n in notebooks]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise UsageError(f"two notebooks named {clash[0]}.ipynb would write the same pages; render them separately")
    if edition not in ("instructor", "student"):
        raise UsageError(f"--edition must be instructor or student, got {edition!r}")
    check_repository_url(repository_url)
    planned = plan(notebooks, overrides)
    out_dir = check_out_dir(notebooks, out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=out_dir)
        probe.close()
    except OSError as exc:
        if _no_space(exc):
            raise _disk_full(out_dir) from None
        raise UsageError(f"cannot write to --out {out_dir}: {exc.strerror or exc}") from None
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # `kill` stops a render like Ctrl-C
    try:
        with _FolderLock(out_dir):
            return _render_locked(notebooks, planned, overrides, out_dir, jobs, timeout, edition, repository_url)
    except OSError as exc:
        if _no_space(exc):
            raise _disk_full(out_dir) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _render_locked(notebooks, planned, overrides, out_dir, jobs, timeout, edition, repository_url) -> list[Result]:
    """`render`, once the folder is locked."""
    manifest = _Manifest.open(out_dir)  # UsageError for a folder a render did not make
    manifest.check([*_planned(notebooks), *BUILD_DIRS])
    _remove_temporaries(out_dir)
    manifest.add(_planned(notebooks))
    source = colab.requirement(repository_url)  # what the notebooks' Colab cell installs ("" without a URL)
    students = _save_student_copies(notebooks, out_dir, source, every=edition == "student")
    if edition == "student":  # what runs is the student's copy
        versions = students
    else:  # the notebook itself, or a copy whose Colab cell installs from `source`
        versions = {nb: colab.with_source(nbtools.read(nb), source) for nb in notebooks} if source else {}
    with tempfile.TemporaryDirectory(prefix="render-copies-") as tmp:
        copies = []
        for nb in notebooks:
            if nb in versions:
                nbtools.write_atomic(versions[nb], Path(tmp) / nb.name)
            copies.append(Path(tmp) / nb.name if nb in versions else nb)
        planned_copies = {copy: planned[nb] for copy, nb in zip(copies, notebooks)}
        results = _run_all(copies, planned_copies, overrides, out_dir, jobs, timeout)
    try:
        _build_book(results, out_dir, repository_url, manifest)
    except KeyboardInterrupt:  # the notebooks ran: say so, and that the book was not finished
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        _remove_temporaries(out_dir)
        write_index(results, out_dir, state="interrupted while the book was being built")
        raise Interrupted(results, during="the book build") from None
    return results


def _save_student_copies(notebooks: list[Path], out_dir: Path, source: str = "", every: bool = False) -> dict:
    """The student edition of every notebook with exercises (of every notebook with `every`), saved in
    <out>/student/ for download from its page, its Colab cell installing the course from `source`
    (colab.requirement); returns {notebook: its student edition}."""
    chosen = notebooks if every else [
        nb for nb in notebooks if any("### BEGIN SOLUTION" in c.source for c in nbtools.read(nb).cells)
    ]
    editions = _student_editions(chosen) if chosen else {}
    saved = {}
    for nb in chosen:
        saved[nb] = colab.with_source(editions[nb.name], source)
        nbtools.write_atomic(saved[nb], _student_copy(out_dir, nb))
    return saved


def _student_editions(notebooks: list[Path]) -> dict:
    """nbgrader's release of the notebooks, by name; UsageError (one line) if nbgrader refuses them."""
    try:
        return nbtools.student_editions(notebooks)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(f"cannot make the student edition: {exc}") from None


def _student_copy(out_dir: Path, notebook: Path) -> Path:
    """Where the student edition of `notebook` is saved: <out>/student/<name>, never through a link."""
    inside(out_dir, "student").mkdir(exist_ok=True)
    return inside(out_dir, "student", notebook.name)


class BookError(RuntimeError):
    """The notebooks ran, but the book could not be built from them (the plain pages are still there)."""


def _build_book(results: list[Result], out_dir: Path, repository_url: str | None, manifest: _Manifest) -> None:
    """Build the book, then write the home page's line about this render (also when the book failed)."""
    from . import site

    try:
        site.build(out_dir, _read_manifest(out_dir), repository_url, claim=manifest.claim)
    except (RuntimeError, UsageError) as exc:  # UsageError: a file of the user's where the book would write
        write_index(results, out_dir)
        raise BookError(str(exc)) from None
    write_index(results, out_dir)


def _start_worker(notebook: Path, params: dict, overrides: dict, out_dir: Path, timeout, jobs_dir: Path):
    job = {
        "notebook": str(notebook),
        "params": params,
        "overrides": overrides,
        "out_dir": str(out_dir),
        "timeout": timeout,
        "parent": os.getpid(),
        "result": str(jobs_dir / f"{notebook.stem}.result.json"),
    }
    job_file = jobs_dir / f"{notebook.stem}.job.json"
    job_file.write_text(json.dumps(job))
    # A session of its own: a Ctrl-C in the terminal reaches only this process, which stops the workers.
    with open(jobs_dir / f"{notebook.stem}.log", "wb") as log:  # the kernel's own log lines stay out of the bar
        proc = subprocess.Popen(
            [sys.executable, "-m", "course_utils.publish._worker", str(job_file)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return proc, Path(job["result"])


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _remove_stale_job_folders() -> None:
    """Remove the job folders of renders that are gone (killed by SIGKILL, say): render-jobs-<pid>-* whose
    render no longer runs; for folders named before the pid was in the name, the render named in their jobs."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob(f"{JOBS_PREFIX}*"):
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
                continue
            found = re.fullmatch(rf"{JOBS_PREFIX}(\d+)-\w+", folder.name)
            if found:
                owner = int(found.group(1))
            else:
                jobs = [json.loads(job.read_text()) for job in folder.glob("*.job.json")]
                if not jobs:
                    continue
                owner = int(jobs[0]["parent"])
            try:  # the same pid, started after the folder was made, is another process
                alive = psutil.Process(owner).create_time() <= info.st_mtime + 1
            except psutil.NoSuchProcess:
                alive = False
            if not alive:
                shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError, KeyError, TypeError):
            continue


def _expected_seconds(notebook: Path, last_seconds: dict) -> float:
    """How long a notebook took in this folder's last render, else the run time its first cell states."""
    if notebook.name in last_seconds:
        return last_seconds[notebook.name]
    try:
        first = nbtools.read(notebook).cells[0].source
    except (ValueError, IndexError):
        return 0.0
    stated = re.search(r"about (\d+) ?(?:s\b|seconds)", first)
    return float(stated.group(1)) if stated else 0.0


def _finished(nb: Path, proc, result_file: Path) -> Result:
    if result_file.is_file():
        return Result(**json.loads(result_file.read_text()))
    log = result_file.with_name(f"{nb.stem}.log")
    last = (log.read_text(errors="replace").strip().splitlines() or [""])[-1] if log.is_file() else ""
    if "No space left on device" in last:  # no room even for the result, in the temporary folder
        return Result(nb.name, status="FAILED", error=str(_disk_full(result_file.parent)))
    why = f"the worker stopped with exit code {proc.returncode}" + (f": {last[:300]}" if last else "")
    return Result(nb.name, status="FAILED", error=why)


def _run_all(notebooks, planned, overrides, out_dir, jobs, timeout) -> list[Result]:
    """Run the notebooks, at most `jobs` at once, each in a worker; the index is rewritten after each one."""
    from tqdm.auto import tqdm

    from ._worker import stop_process_trees

    results = {nb: Result(nb.name) for nb in notebooks}
    # Longest first, so that with several jobs a long notebook does not run alone at the end.
    last = {e["notebook"]: float(e.get("seconds", 0)) for e in _read_manifest(out_dir) if e.get("status") == "ok"}
    queue, running = sorted(notebooks, key=lambda nb: -_expected_seconds(nb, last)), {}
    _remove_stale_job_folders()
    jobs_dir = Path(tempfile.mkdtemp(prefix=f"{JOBS_PREFIX}{os.getpid()}-"))
    bar = tqdm(total=len(notebooks), desc="render", unit="notebook")
    try:
        while queue or running:
            while queue and len(running) < max(1, jobs):
                nb = queue.pop(0)
                running[nb] = _start_worker(nb, planned[nb], overrides, out_dir, timeout, jobs_dir)
            for nb in [nb for nb, (proc, _) in running.items() if proc.poll() is not None]:
                r = results[nb] = _finished(nb, *running.pop(nb))
                if r.error and r.error.startswith(NO_SPACE):  # the others would fail the same way: stop them
                    stop_process_trees([proc.pid for proc, _ in running.values()])
                    _remove_temporaries(out_dir)
                    raise DiskFull(r.error)
                bar.write(f"{r.status:>6}  {r.seconds:6.1f} s  {r.notebook}" + (f"  {r.error}" if r.error else ""))
                bar.update()
                done = [results[n] for n in notebooks if n not in queue and n not in running]
                write_index(done, out_dir, state="still running")
            time.sleep(0.1)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stop_process_trees([proc.pid for proc, _ in running.values()])
        for proc, _ in running.values():
            proc.wait()
        bar.write(f"interrupted: stopped {len(running)} running notebook(s); {len(queue)} not started")
        for nb in running:
            results[nb].status = "interrupted"
        for nb in queue:
            results[nb].status = "not run"
        _remove_temporaries(out_dir)
        write_index([results[nb] for nb in notebooks], out_dir, state="interrupted")
        raise Interrupted([results[nb] for nb in notebooks]) from None
    finally:
        bar.close()
        shutil.rmtree(jobs_dir, ignore_errors=True)
    ordered = [results[nb] for nb in notebooks]
    write_index(ordered, out_dir)
    return ordered
