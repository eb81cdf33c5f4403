"""The instructor CLI: parameters checked before anything runs, failures named, outputs never half-written."""

import json
import os
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.publish import nbtools, render

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def make_notebook(path, body, params="epochs = 2\nlabel = 'demo'"):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Demo"),
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebooks(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    good = make_notebook(
        src / "01_good.ipynb", "open('epochs.txt', 'w').write(f'{epochs} {label}')\nprint(epochs * 10)"
    )
    bad = make_notebook(src / "02_bad.ipynb", "x = 1\nraise ValueError(f'epochs was {epochs}')")
    return good, bad


def test_unknown_parameter_is_rejected_before_running(notebooks, tmp_path, capsys):
    good, _ = notebooks
    out = tmp_path / "out"
    code = main(["render", str(good), "-p", "no_such_param", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "'no_such_param'" in err and "Allowed: epochs, label" in err
    assert not out.exists()  # nothing ran, nothing written


def test_wrong_value_type_is_rejected_with_what_is_allowed(notebooks, tmp_path, capsys):
    good, _ = notebooks
    assert main(["render", str(good), "-p", "epochs", "2.5", "--out", str(tmp_path / "o")]) == 2
    assert "'epochs'" in capsys.readouterr().err


def test_every_course_notebook_rejects_unknown_parameters_without_running(tmp_path, capsys):
    for nb in render.discover():
        assert main(["render", str(nb), "-p", "no_such_param", "1", "--out", str(tmp_path / "o")]) == 2
        assert f"unknown parameter 'no_such_param' for {nb.name}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_render_writes_html_index_and_applies_parameters(notebooks, tmp_path):
    good, _ = notebooks
    out = tmp_path / "out"
    assert main(["render", str(good), "-p", "epochs", "7", "--out", str(out)]) == 0
    assert (out / "epochs.txt").read_text() == "7 demo"  # ran in the output folder, with the override
    assert "70" in (out / "01_good.html").read_text()
    index = (out / "status.html").read_text()
    assert 'href="01_good.html"' in index and "epochs=7" in index
    [entry] = json.loads((out / "index.json").read_text())
    assert entry["status"] == "ok" and entry["parameters"] == {"epochs": 7}
    assert _hidden(out) == [render.MANIFEST_NAME]  # no temporary files left, only the list of what renders made


def _hidden(folder):
    return sorted(p.name for p in folder.glob(".*"))


def test_failing_notebook_exits_nonzero_naming_notebook_and_cell(notebooks, tmp_path, capsys):
    good, bad = notebooks
    out = tmp_path / "out"
    out.mkdir()
    render._Manifest.open(out).add(["02_bad.html"])  # as if an earlier render had made it
    (out / "02_bad.html").write_text("an old successful render")  # must not survive as if current
    code = main(["render", str(good), str(bad), "--out", str(out), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILED 02_bad.ipynb: cell 2" in err and "ValueError: epochs was 2" in err
    assert (out / "02_bad.FAILED.html").exists() and not (out / "02_bad.html").exists()
    assert (out / "01_good.html").exists()
    index = (out / "status.html").read_text()
    assert "FAILED" in index and "02_bad.FAILED.html" in index


def test_parameter_known_to_only_some_notebooks_goes_only_to_them(tmp_path):
    a = make_notebook(tmp_path / "01_a.ipynb", "pass", params="epochs = 1")
    b = make_notebook(tmp_path / "02_b.ipynb", "pass", params="rate = 0.5")
    planned = render.plan([a, b], {"rate": "0.25"})
    assert planned[a] == {"epochs": 1} and planned[b] == {"rate": 0.25}
    with pytest.raises(render.ParameterError, match="Allowed: epochs, rate"):
        render.plan([a, b], {"speed": "1"})


def test_strip_keeps_only_check_outputs(tmp_path):
    path = make_notebook(tmp_path / "01_x.ipynb", "print(2)")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["tags"] = ["nbval-check-output"]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="noise\n")]
    nb.cells[1].execution_count = 4
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.metadata["papermill"] = {"duration": 1.0}
    nbformat.write(nb, path)
    assert main(["strip", "--check", str(path)]) == 1
    assert main(["strip", str(path)]) == 0
    assert main(["strip", "--check", str(path)]) == 0
    clean = nbformat.read(path, as_version=4)
    assert clean.cells[1].outputs == [] and clean.cells[1].execution_count is None
    assert clean.cells[2].outputs[0]["text"] == "2\n" and clean.cells[2].execution_count == 2
    assert "papermill" not in clean.metadata


def test_read_parameters_reads_literals_only(tmp_path):
    path = make_notebook(tmp_path / "01_p.ipynb", "pass", params="a = 1  # note\nb: float = 0.5\nc = ['x', 'y']")
    assert nbtools.read_parameters(path) == {"a": 1, "b": 0.5, "c": ["x", "y"]}


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_out_that_is_the_course_notebook_folder_is_refused_and_nothing_changes(tmp_path, monkeypatch, capsys):
    """`render --out notebooks` once deleted every source notebook; now it exits 2 before anything runs."""
    import shutil

    course = tmp_path / "notebooks"
    course.mkdir()
    for nb in render.discover():
        shutil.copy2(nb, course / nb.name)
    before = _snapshot(course)
    monkeypatch.setattr(render, "discover", lambda *a: sorted(course.glob("[0-9][0-9]_*.ipynb")))
    assert main(["render", "--out", str(course)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "contains the input notebook" in err and "build/course" in err
    assert _snapshot(course) == before


@pytest.mark.parametrize("where", ["same", "parent", "relative"])
def test_out_that_holds_an_input_notebook_is_refused(notebooks, tmp_path, monkeypatch, capsys, where):
    good, bad = notebooks
    before = _snapshot(good.parent)
    out = {"same": good.parent, "parent": tmp_path}.get(where)
    if where == "relative":  # `render my_work/x.ipynb --out my_work`, run from the parent folder
        monkeypatch.chdir(tmp_path)
        good, out = good.relative_to(tmp_path), good.parent.relative_to(tmp_path)
    assert main(["render", str(good), str(bad), "--out", str(out)]) == 2
    assert "contains the input notebook" in capsys.readouterr().err
    assert _snapshot(bad.parent) == before


def test_out_that_is_a_file_is_refused(notebooks, tmp_path, capsys):
    good, _ = notebooks
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    assert main(["render", str(good), "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err and target.read_text() == "keep me"


def test_out_below_the_notebook_folder_is_allowed(notebooks):
    good, _ = notebooks
    before = good.read_bytes()
    assert main(["render", str(good), "--out", str(good.parent / "rendered")]) == 0
    assert good.read_bytes() == before and (good.parent / "rendered" / "01_good.html").exists()


def test_index_shows_the_learning_path_from_the_notebooks_metadata(tmp_path):
    src = tmp_path / "nbs"
    src.mkdir()
    for name, part, intro, req in (
        ("01_first", "Part 1 · Basics", ["sliding windows"], []),
        ("02_second", "Part 1 · Basics", ["padding"], ["sliding windows"]),
        ("03_third", "Part 2 · More", ["pooling"], ["padding"]),
    ):
        nb = nbformat.read(make_notebook(src / f"{name}.ipynb", "pass"), as_version=4)
        nb.cells[0].source = f"# {name[:2]} · Title of {name[3:]}"
        nb.metadata["course"] = {"part": part, "introduces": intro, "requires": req}
        nbformat.write(nb, src / f"{name}.ipynb")
    out = tmp_path / "out"
    assert main(["render", *sorted(map(str, src.glob("*.ipynb"))), "--out", str(out)]) == 0
    index = (out / "status.html").read_text()
    assert index.count('<tr class="part">') == 2
    assert index.index("Part 1 · Basics") < index.index("01 · Title of first") < index.index("Part 2 · More")
    assert "teaches padding<br>needs sliding windows" in index


# --- A render never loses or misreports work: lock, interruption, the index of the whole folder ---------------


def _sleepers(folder, n=4, seconds=60):
    folder.mkdir(exist_ok=True)
    return [make_notebook(folder / f"0{i}_sleep.ipynb", f"import time\ntime.sleep({seconds})") for i in range(1, n + 1)]


def _start_render(args, cwd):
    import subprocess
    import sys

    # A session of its own, like a terminal's foreground job: os.killpg reaches what a Ctrl-C would reach.
    return subprocess.Popen(
        [sys.executable, "-m", "course_utils", "render", *map(str, args)],
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, seconds=90):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _descendants(pid):
    import psutil

    return psutil.Process(pid).children(recursive=True)


def _running_kernels(out):
    return len(list(out.glob(".*.running.ipynb")))


def test_ctrl_c_stops_within_seconds_leaves_no_process_or_temp_file_and_the_index_says_so(tmp_path):
    import signal
    import subprocess
    import time

    import psutil

    nbs = _sleepers(tmp_path / "nbs")
    out = tmp_path / "out"
    proc = _start_render([*nbs, "--out", out, "--jobs", "2"], tmp_path)
    assert _wait_for(lambda: _running_kernels(out) == 2 and len(_descendants(proc.pid)) >= 4), proc.communicate()
    family = _descendants(proc.pid)  # two workers and their kernels
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        still = [f"{p.pid} {p.status()} {' '.join(p.cmdline())[:80]}" for p in family if p.is_running()]
        proc.kill()
        pytest.fail(f"no exit 30 s after Ctrl-C; render stderr: {proc.communicate()[1][-2000:]}; alive: {still}")
    assert time.monotonic() - start < 10
    assert proc.returncode == 130
    assert "2 interrupted, 2 not started" in err
    gone, alive = psutil.wait_procs(family, timeout=5)
    assert alive == []
    assert _hidden(out) == [render.MANIFEST_NAME]  # no temporary file, no lock file
    entries = json.loads((out / "index.json").read_text())
    assert [e["status"] for e in entries] == ["interrupted", "interrupted", "not run", "not run"]
    assert "it was interrupted" in (out / "index.html").read_text()


def test_kill_9_of_the_render_leaves_no_worker_or_kernel_running(tmp_path):
    import signal

    import psutil

    nbs = _sleepers(tmp_path / "nbs", n=2)
    out = tmp_path / "out"
    proc = _start_render([*nbs, "--out", out, "--jobs", "2"], tmp_path)
    assert _wait_for(lambda: _running_kernels(out) == 2 and len(_descendants(proc.pid)) >= 4), proc.communicate()
    family = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == []
    import tempfile

    [jobs] = Path(tempfile.gettempdir()).glob(f"{render.JOBS_PREFIX}{proc.pid}-*")  # left by the killed render
    render._remove_stale_job_folders()  # what the next render does first
    assert not jobs.exists()


def test_a_second_render_into_a_busy_folder_fails_at_once(notebooks, tmp_path, capsys):
    good, _ = notebooks
    out = tmp_path / "out"
    out.mkdir()
    with render._FolderLock(out):
        assert main(["render", str(good), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another render is writing to" in err and "choose another --out" in err
    assert not (out / "01_good.html").exists()
    assert main(["render", str(good), "--out", str(out)]) == 0  # the lock is gone with its holder


def test_the_index_describes_every_page_in_the_folder(notebooks, tmp_path, capsys):
    good, bad = notebooks
    out = tmp_path / "out"
    assert main(["render", str(bad), "--out", str(out)]) == 1
    assert main(["render", str(good), "--out", str(out)]) == 0  # one notebook into a folder that holds another
    entries = {e["notebook"]: e for e in json.loads((out / "index.json").read_text())}
    assert set(entries) == {"01_good.ipynb", "02_bad.ipynb"}
    assert entries["02_bad.ipynb"]["html"] == "02_bad.FAILED.html" and entries["02_bad.ipynb"]["rendered_at"]
    (out / "02_bad.FAILED.html").unlink()  # a page that is gone is not listed
    (out / "99_stray.html").write_text("made by hand")  # a page no render made is listed as such
    (out / ".notes.tmp").write_text("the user's")  # stays: a render removes only what renders made
    (out / ".book-killed" / "src").mkdir(parents=True)  # a killed book build's folder: removed
    assert main(["render", str(good), "--out", str(out)]) == 0
    assert (out / ".notes.tmp").read_text() == "the user's" and not (out / ".book-killed").exists()
    entries = {e["notebook"]: e for e in json.loads((out / "index.json").read_text())}
    assert set(entries) == {"01_good.ipynb", "99_stray.ipynb"}
    stray = entries["99_stray.ipynb"]
    assert stray["status"] == "unknown" and "not made by a render" in stray["note"]
    index = (out / "status.html").read_text()
    assert 'href="99_stray.html"' in index and "02_bad" not in index
    assert (out / "99_stray.html").read_text() == "made by hand"
    (out / "_static" / "mine.css").write_text("the user's")  # where the book writes: the render stops up front
    assert main(["render", str(good), "--out", str(out)]) == 2
    assert "holds _static/mine.css, which no render made" in capsys.readouterr().err
    assert (out / "_static" / "mine.css").read_text() == "the user's"


def test_the_same_notebook_twice_renders_once_and_two_with_one_name_are_refused(notebooks, tmp_path, capsys):
    good, _ = notebooks
    out = tmp_path / "out"
    assert main(["render", str(good), str(good), "--out", str(out), "--jobs", "2"]) == 0
    assert len(json.loads((out / "index.json").read_text())) == 1
    other = tmp_path / "elsewhere"
    other.mkdir()
    twin = make_notebook(other / good.name, "pass")
    assert main(["render", str(good), str(twin), "--out", str(tmp_path / "o2")]) == 2
    assert "two notebooks named 01_good.ipynb" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{}", "is not a Jupyter notebook"), ("not json", "is not a Jupyter notebook"), (None, "syntax")],
)
def test_broken_input_notebooks_are_one_line_errors_with_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "01_broken.ipynb"
    if content is None:
        make_notebook(path, "pass", params="epochs = (2")
    else:
        path.write_text(content)
    assert main(["render", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected.lower() in err.lower() and "Traceback" not in err


def test_an_out_that_cannot_be_written_is_a_one_line_error(notebooks, tmp_path, capsys):
    good, _ = notebooks
    (tmp_path / "a_file").write_text("x")
    assert main(["render", str(good), "--out", str(tmp_path / "a_file" / "site")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write to --out" in err


@pytest.mark.parametrize(
    ("body", "timeout", "expected"),
    [
        ("import os\nos._exit(1)", None, "DeadKernelError: the kernel died"),
        ("import time\ntime.sleep(30)", 2, "CellTimeoutError: the cell ran longer than --timeout 2 s"),
    ],
)
def test_a_dead_kernel_or_a_timeout_names_the_cell(tmp_path, capsys, body, timeout, expected):
    path = make_notebook(tmp_path / "01_x.ipynb", body)
    args = ["render", str(path), "--out", str(tmp_path / "out")] + (["--timeout", str(timeout)] if timeout else [])
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "FAILED 01_x.ipynb: cell 2 " in err and "starting 'import " in err and expected in err


def test_strip_keeps_symbolic_links_and_permissions(tmp_path):
    real = make_notebook(tmp_path / "01_real.ipynb", "print(1)")
    nb = nbformat.read(real, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nbformat.write(nb, real)
    real.chmod(0o664)
    link = tmp_path / "01_link.ipynb"
    link.symlink_to(real.name)
    assert main(["strip", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == real.name
    assert (real.stat().st_mode & 0o777) == 0o664
    assert nbformat.read(real, as_version=4).cells[2].outputs == []


def test_progress_bars_end_as_one_line_of_text_in_a_rendered_page(tmp_path):
    path = make_notebook(
        tmp_path / "01_bar.ipynb",
        "from course_utils.progress import progress\nfor _ in progress(range(3), desc='work', unit='step'):\n    pass",
    )
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out)]) == 0
    executed = nbformat.read(out / "01_bar.ipynb", as_version=4)
    outputs = executed.cells[-1].outputs
    assert [o.get("text", "").split(" in ")[0] for o in outputs] == ["work: 3 steps"]
    assert "application/vnd.jupyter.widget-view+json" not in (out / "01_bar.html").read_text()


def test_the_book_reads_offline_with_navigation_math_search_and_alt_text(tmp_path):
    """The site as a reader meets it: links resolve, nothing from the network, math, search, alt text."""
    import re

    src = tmp_path / "nbs"
    src.mkdir()
    for name, part in (("01_first", "Part 1 · Basics"), ("02_second", "Part 2 · More")):
        path = make_notebook(
            src / f"{name}.ipynb",
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
        )
        nb = nbformat.read(path, as_version=4)
        heading = f"# {name[:2]} · Title of {name[3:]}"
        nb.cells[0].source = heading + "\n\nThe loss $L(w) = \\frac{1}{2} w^2$ and\n\n$$ a = b $$"
        nb.cells.append(nbformat.v4.new_markdown_cell(f"*Figure: a rising line drawn by {name}.*"))
        nb.metadata["course"] = {"part": part, "introduces": [name], "requires": []}
        nbformat.write(nb, path)
    out = tmp_path / "out"
    assert main(["render", *sorted(map(str, src.glob("*.ipynb"))), "--out", str(out)]) == 0
    pages = {p.name: p.read_text() for p in out.glob("*.html")}
    assert {"index.html", "status.html", "search.html", "01_first.html", "02_second.html"} <= set(pages)
    assert (out / "searchindex.js").is_file() and (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for name, text in pages.items():
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text), f"{name} loads from the network"
        for target in re.findall(r'(?:href|src)="([^"#?]+)', text):
            if not re.match(r"(https?:|mailto:|data:|javascript:)", target):
                assert (out / target).exists(), f"{name} links to a missing {target}"
    first = pages["01_first.html"]
    assert "mathjax/tex-chtml.js" in first and r"\frac{1}{2}" in first  # rendered in the browser by the local MathJax
    assert 'alt="a rising line drawn by 01_first."' in first
    assert 'href="02_second.html"' in first  # next page, and the sidebar
    assert "Part 1 · Basics" in pages["index.html"] and "Last render" in pages["index.html"]
    assert 'href="01_first.ipynb" download' in first


SOLUTION_CELL = {"nbgrader": {"solution": True, "grade": False, "grade_id": "ex", "locked": False, "schema_version": 3,
                               "task": False}}  # fmt: skip - nbgrader's metadata of a solution cell


def test_an_instructor_render_offers_the_student_edition_for_download(tmp_path):
    path = make_notebook(
        tmp_path / "01_ex.ipynb", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    )
    book = nbformat.read(path, as_version=4)
    book.cells[-1].metadata.update(SOLUTION_CELL)
    nbformat.write(book, path)
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out)]) == 0
    student = nbformat.read(out / "student" / "01_ex.ipynb", as_version=4)
    assert "raise NotImplementedError()" in student.cells[-1].source and "return 2 * x" not in student.cells[-1].source
    assert "return 2 * x" in nbformat.read(out / "01_ex.ipynb", as_version=4).cells[-1].source  # the page: solved
    assert 'href="student/01_ex.ipynb" download' in (out / "01_ex.html").read_text()


def _notebook_with_solution(path):
    nb = make_notebook(path, "x = 1")
    book = nbformat.read(nb, as_version=4)
    solution = "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"
    book.cells.append(nbformat.v4.new_code_cell(solution, metadata=SOLUTION_CELL))
    nbformat.write(book, nb)
    return nb


@pytest.mark.parametrize("link", ["student", "_static", "outputs", "_images/deeper"])
def test_a_symbolic_link_inside_out_is_refused_and_the_source_keeps_its_solutions(tmp_path, capsys, link):
    src = tmp_path / "nbs"
    src.mkdir()
    nb = _notebook_with_solution(src / "05_demo.ipynb")
    before = nb.read_bytes()
    out = tmp_path / "out"
    (out / link).parent.mkdir(parents=True)
    (out / link).symlink_to(src, target_is_directory=True)  # <out>/student -> the notebooks' folder
    code = main(["render", str(nb), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"holds a symbolic link, {link} -> {src}" in err and len(err.strip().splitlines()) == 1
    assert nb.read_bytes() == before  # the solutions are still there
    assert sorted(p.name for p in src.iterdir()) == ["05_demo.ipynb"]


def test_a_link_made_during_a_render_is_not_written_through(tmp_path):
    src, out = tmp_path / "nbs", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    nb = _notebook_with_solution(src / "05_demo.ipynb")
    before = nb.read_bytes()
    (out / "student").symlink_to(src, target_is_directory=True)
    with pytest.raises(render.UsageError, match="symbolic link"):
        render._save_student_copies([nb], out)
    with pytest.raises(render.UsageError, match="symbolic link"):
        render.inside(out, "student", "05_demo.ipynb")
    assert nb.read_bytes() == before
    assert render.inside(out, "05_demo.html") == out / "05_demo.html"


# --- issue 18: a render that cannot be turned against its inputs or its folder ------------------------------


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_folder_that_no_render_made_is_refused_and_left_alone(notebooks, tmp_path, capsys):
    """A user's index.html, status.html, search.html, index.json, _static/* and _images/* were replaced."""
    good, _ = notebooks
    out = tmp_path / "site"
    for name in ("index.html", "status.html", "search.html", "index.json", "_static/custom.css", "_images/me.png"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(f"the user's own {name}")
    before = _tree(out)
    assert main(["render", str(good), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not empty and no render made it" in err and "empty or new folder" in err
    assert _tree(out) == before and _hidden(out) == []


def _fake_worker(monkeypatch, error=None):
    """Workers that report at once (no kernel): ok, or FAILED with `error`."""
    import subprocess
    from dataclasses import asdict

    def start(nb, params, overrides, out_dir, timeout, jobs_dir):
        result = render.Result(nb.name, status="FAILED" if error else "ok", error=error)
        if not error:
            (out_dir / f"{nb.stem}.ipynb").write_text(nbformat.writes(nbformat.read(nb, as_version=4)))
            (out_dir / f"{nb.stem}.html").write_text("the new page")
            result.html = f"{nb.stem}.html"
        (jobs_dir / f"{nb.stem}.result.json").write_text(json.dumps(asdict(result)))
        return subprocess.Popen(["true"]), jobs_dir / f"{nb.stem}.result.json"

    monkeypatch.setattr(render, "_start_worker", start)


@pytest.mark.parametrize("where", ["notebook", "index", "book"])
def test_a_full_disk_is_one_line_and_keeps_the_earlier_pages(notebooks, tmp_path, monkeypatch, capsys, where):
    """ENOSPC gave a traceback (or NotJSONError, or Sphinx's 'Please also report this'). The worker's side is
    the next test; here it reports as a worker does. Checked by hand on a 300 kB tmpfs as well."""
    import errno
    import subprocess

    from course_utils.publish import site

    good, _ = notebooks
    out = tmp_path / "out"
    out.mkdir()
    render._Manifest.open(out).add(["01_good.html"])
    (out / "01_good.html").write_text("the page of the last render")
    if where == "notebook":
        _fake_worker(monkeypatch, error=str(render._disk_full(out)))
    else:
        _fake_worker(monkeypatch)
    if where == "index":
        real = render._atomic_text

        def full(path, text):
            if path.name == "index.json":
                raise OSError(errno.ENOSPC, "No space left on device")
            real(path, text)

        monkeypatch.setattr(render, "_atomic_text", full)
    if where == "book":
        sphinx_says = "OSError: [Errno 28] No space left on device\nPlease also report this if it was a user error"
        monkeypatch.setattr(site.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 2, "", sphinx_says))
    assert main(["render", str(good), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: no space left on {out}") and "Traceback" not in err
    if where == "notebook":
        assert (out / "01_good.html").read_text() == "the page of the last render"
    assert [p for p in _hidden(out) if p != render.MANIFEST_NAME] == []  # no partial file, no lock, no .book-*


def test_a_full_disk_while_a_notebook_runs_removes_the_partial_notebook(notebooks, tmp_path, monkeypatch):
    import errno

    import papermill

    good, _ = notebooks
    out = tmp_path / "out"
    out.mkdir()
    (out / "01_good.html").write_text("the page of the last render")

    def execute(source, output, **kwargs):
        with open(output, "w") as f:
            f.write('{"cells": [{"cell_type": "code", "sour')  # cut short, as on a full disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    with pytest.raises(render.DiskFull, match=f"^no space left on {out}"):
        render.render_one(good, {"epochs": 2, "label": "demo"}, out, {}, None)
    assert sorted(p.name for p in out.iterdir()) == ["01_good.html"]
    assert (out / "01_good.html").read_text() == "the page of the last render"


def test_a_bad_repository_url_or_an_out_inside_notebooks_is_refused_before_anything_runs(notebooks, tmp_path, capsys):
    good, _ = notebooks
    inside_notebooks = render.NOTEBOOK_DIR / "rendered_by_a_test"
    for args, message in (
        (["--repository-url", "not a url", "--out", str(tmp_path / "o")], "--repository-url must be the web address"),
        (["--repository-url", "ftp://host/x", "--out", str(tmp_path / "o")], "such as https://github.com/you/course"),
        (["--out", str(inside_notebooks)], "is inside the course's notebooks/ folder"),
    ):
        assert main(["render", str(good), *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "o").exists() and not inside_notebooks.exists()


def test_ctrl_c_during_the_book_build_says_so(notebooks, tmp_path, monkeypatch, capsys):
    """It printed 'interrupted before any notebook started', and the index said '1 of 1 ran.'"""
    from course_utils.publish import site

    good, _ = notebooks
    out = tmp_path / "out"
    _fake_worker(monkeypatch)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(site, "build", interrupted)
    assert main(["render", str(good), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted during the book build: 1 rendered, 0 failed" in err
    assert "it was interrupted while the book was being built" in (out / "index.html").read_text()
    assert _hidden(out) == [render.MANIFEST_NAME]


def test_sigterm_during_the_book_build_cleans_up_and_exits_130(notebooks, tmp_path):
    """SIGTERM there killed the render (rc -15) and left .render.lock and .book-*."""
    import signal

    good, _ = notebooks
    out = tmp_path / "out"
    proc = _start_render([good, "--out", out], tmp_path)
    assert _wait_for(lambda: list(out.glob(".book-*")), seconds=120), proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted during the book build: 1 rendered" in err
    assert _hidden(out) == [render.MANIFEST_NAME]  # no .book-*, no lock


_LOCK_LOOP = """
import os, sys
from pathlib import Path
from course_utils.publish import render
import time
out, rounds, overlaps, taken = Path(sys.argv[1]), int(sys.argv[2]), 0, 0
sync = Path(sys.argv[3])
(sync / f"ready-{os.getpid()}").touch()
while not (sync / "go").exists():  # start together, so that the processes contend for the lock
    time.sleep(0.005)
for _ in range(rounds):
    try:
        with render._FolderLock(out):
            taken += 1
            try:
                fd = os.open(out / "holder", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:  # someone else holds the lock too
                overlaps += 1
                continue
            os.close(fd)
            os.unlink(out / "holder")
    except render.UsageError:
        pass
print(taken, overlaps)
"""


def test_the_folder_lock_is_held_by_one_process_at_a_time(tmp_path):
    """The lock file was deleted before it was closed: two renders could hold the lock at once."""
    import subprocess
    import sys
    import time

    out, sync = tmp_path / "out", tmp_path / "sync"
    out.mkdir()
    sync.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", _LOCK_LOOP, str(out), "3000", str(sync)], stdout=subprocess.PIPE,
                              text=True) for _ in range(3)]  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(sync.glob("ready-*"))) < 3 and time.monotonic() < deadline:  # all started: Python and imports
        time.sleep(0.01)
    (sync / "go").touch()
    counts = [tuple(map(int, p.communicate(timeout=120)[0].split())) for p in procs]
    # They took turns: on a busy machine one process may lose every try, so two of three is what can be asked.
    assert sum(taken > 0 for taken, _ in counts) >= 2, counts
    assert sum(overlaps for _, overlaps in counts) == 0, counts
    assert list(out.iterdir()) == []  # the lock file goes with its last holder


def test_strip_of_a_missing_or_broken_notebook_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text("not json")
    for path, message in ((tmp_path / "missing.ipynb", "does not exist"), (tmp_path / "broken.ipynb", "is not a")):
        for check in ([], ["--check"]):
            assert main(["strip", *check, str(path)]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_ctrl_c_while_the_modules_load_is_one_line(tmp_path):
    import subprocess
    import sys

    ctrl_c_at_import = (
        "import builtins, runpy, sys\n"
        "real = builtins.__import__\n"
        "def imp(name, *a, **k):\n"
        "    if name == 'nbformat':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = imp\n"
        "sys.argv = ['course_utils', 'strip', '--check']\n"
        "runpy.run_module('course_utils', run_name='__main__')\n"
    )
    proc = subprocess.run([sys.executable, "-c", ctrl_c_at_import], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130 and proc.stderr == "interrupted before any notebook started\n", proc.stderr


def test_an_image_folder_too_small_for_the_split_stops_the_render_with_exit_2(tmp_path, capsys):
    # As notebook 13 with -p data_dir: the loader names the class and its counts; bad input, so exit 2.
    from PIL import Image

    for name, count in (("big", 6), ("small", 2)):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(count):
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(tmp_path / "data" / name / f"{i}.png")
    body = ("from course_utils.datasets import load_image_folder\n"
            "load_image_folder(data_dir, 8, needs={'held out': 2, 'labelled': 3})")  # fmt: skip
    nb = make_notebook(tmp_path / "13_mine.ipynb", body, params=f"data_dir = {str(tmp_path / 'data')!r}")
    code = main(["render", str(nb), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "DataFolderError" in err and "class 'small' has 2 images" in err and "needs at least 5" in err
