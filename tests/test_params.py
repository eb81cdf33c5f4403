"""Parameter declarations (course_utils.params): one format read by papermill, the render CLI and the notebook."""

import json

import nbformat
import pytest
from papermill.translators import PythonTranslator

from course_utils import params
from course_utils.__main__ import main

CELL = """\
epochs: int = 50  # epochs of each training run (1 to 500)
rate: float = 0.5  # dropout rate (0 to 0.9)
optimizer: str = "adam"  # which optimizer (one of: adam, sgd)
data_dir: "Optional[str]" = None  # your own images (folder)
output_dir: str = "outputs"  # where figures go
layers: list[str] = ["a", "b"]  # layers to show
verbose: bool = False  # print more
seed = 0  # untyped: the type comes from the default
"""


@pytest.fixture
def decl():
    return params.declarations(CELL)


def test_declarations_read_type_range_choices_folder_and_help(decl):
    assert list(decl) == ["epochs", "rate", "optimizer", "data_dir", "output_dir", "layers", "verbose", "seed"]
    assert (decl["epochs"].type, decl["epochs"].low, decl["epochs"].high) == (int, 1, 500)
    assert decl["epochs"].help == "epochs of each training run (1 to 500)"
    assert decl["optimizer"].choices == ("adam", "sgd")
    assert decl["data_dir"].folder and decl["data_dir"].optional and decl["data_dir"].type is str
    assert (decl["layers"].type, decl["layers"].item) == (list, str)
    assert decl["seed"].type is int and decl["seed"].default == 0


def test_papermill_reads_the_same_lines_without_warnings(caplog):
    cell = nbformat.v4.new_code_cell(CELL)
    found = {p.name: p for p in PythonTranslator.inspect(cell)}
    assert list(found) == ["epochs", "rate", "optimizer", "data_dir", "output_dir", "layers", "verbose", "seed"]
    assert found["epochs"].inferred_type_name == "int" and found["data_dir"].inferred_type_name == "Optional[str]"
    assert "Unable to parse" not in caplog.text


@pytest.mark.parametrize(
    "name, text, value",
    [
        ("output_dir", "1.10", "1.10"),  # text stays text: not the float 1.1
        ("output_dir", "2024", "2024"),
        ("epochs", "7", 7),
        ("rate", "0", 0.0),
        ("layers", "x, y", ["x", "y"]),
        ("layers", "['x']", ["x"]),
        ("verbose", "true", True),
        ("data_dir", "None", None),
    ],
)
def test_command_line_text_is_read_by_the_declared_type(decl, name, text, value):
    got = params.parse_text(decl[name], text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("epochs", "None", "takes an int from 1 to 500"),
        ("epochs", "2.5", "takes an int from 1 to 500"),
        ("epochs", "0", "got 0, but it takes an int from 1 to 500"),
        ("rate", "0.95", "a number from 0 to 0.9"),
        ("optimizer", "adagrad", "one of adam, sgd"),
        ("verbose", "maybe", "bool"),
        ("data_dir", "/no/such/folder", "does not exist"),
        ("data_dir", "", "got an empty folder name"),  # was taken as the current folder
        ("layers", "[]", "got [], but it takes a non-empty list of str"),
        ("layers", "", "got [], but it takes a non-empty list of str"),
        ("epochs", "1" * 5000, "111... (5,002 characters), but it takes an int from 1 to 500"),
    ],
)
def test_bad_values_give_one_line_naming_what_is_allowed(decl, name, text, message):
    with pytest.raises(ValueError) as err:
        params.parse_text(decl[name], text)
    assert message in str(err.value) and f"parameter {name!r}" in str(err.value) and "\n" not in str(err.value)
    assert len(str(err.value)) < 200  # a long value is cut, not repeated


def test_a_list_may_be_empty_only_when_its_default_is():
    decl = params.declarations("sides: list[int] = []  # extra sides (3 to 9)\nlayers: list[str] = ['a']  # shown")
    assert params.parse_text(decl["sides"], "[]") == [] and not decl["sides"].nonempty
    assert decl["layers"].nonempty and "a non-empty list of str" in decl["layers"].allowed()


OUTPUT = 'output_dir: str = "outputs/figures"  # where the figures go (output folder)\n'


@pytest.mark.parametrize(
    "text, why",
    [
        ("/tmp/elsewhere", "an absolute path"),
        ("~/figures", "an absolute path"),
        ("..", "a path that leaves the working folder"),
        ("../figures", "a path that leaves the working folder"),
        ("figures/../../x", "a path that leaves the working folder"),
        ("", "an empty folder name"),
    ],
)
def test_an_output_folder_stays_inside_the_working_folder(text, why):
    p = params.declarations(OUTPUT)["output_dir"]
    assert p.output_folder
    with pytest.raises(ValueError) as err:
        params.parse_text(p, text)
    assert f"{why}; it takes a folder inside the working folder" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text", ["figures", "a/b", "a/../b", ".", "..hidden"])
def test_an_output_folder_inside_the_working_folder_is_accepted(text):
    assert params.parse_text(params.declarations(OUTPUT)["output_dir"], text) == text


def test_check_accepts_an_int_for_a_float_and_an_existing_folder(decl, tmp_path):
    assert params.check(decl["rate"], 0) == 0.0
    assert params.check(decl["data_dir"], str(tmp_path)) == str(tmp_path)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        params.check(decl["data_dir"], str(tmp_path / "f.txt"))


def test_syntax_error_in_parameters_cell_is_one_line():
    with pytest.raises(ValueError, match="syntax error on line 2"):
        params.declarations("a = 1\nb = (\n")


KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path, body):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [
        nbformat.v4.new_code_cell(CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from course_utils.params import check_parameters\ncheck_parameters()"),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.write(nb, path)
    return path


def test_render_passes_typed_values_and_resolves_a_relative_folder(tmp_path, monkeypatch):
    nb = _notebook(tmp_path / "01_p.ipynb", "import json\nprint(json.dumps([output_dir, data_dir, epochs]))")
    (tmp_path / "mine").mkdir()
    monkeypatch.chdir(tmp_path)
    args = ["render", str(nb), "-p", "output_dir", "1.10", "-p", "data_dir", "mine", "-p", "epochs", "9"]
    assert main([*args, "--out", "out"]) == 0
    executed = nbformat.read(tmp_path / "out" / "01_p.ipynb", as_version=4)
    assert "parameters OK (8 checked)" in executed.cells[2].outputs[0]["text"]
    assert json.loads(executed.cells[-1].outputs[0]["text"]) == ["1.10", str(tmp_path / "mine"), 9]


def test_the_notebook_checks_values_set_by_hand_with_the_same_declarations(tmp_path, capsys):
    nb = nbformat.read(_notebook(tmp_path / "01_p.ipynb", "pass"), as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell("epochs = 0  # a student's edit"))
    nbformat.write(nb, tmp_path / "01_p.ipynb")
    assert main(["render", str(tmp_path / "01_p.ipynb"), "--out", str(tmp_path / "out")]) == 1
    assert "parameter 'epochs': got 0, but it takes an int from 1 to 500" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["-p", "epochs", "3", "-p", "epochs", "4"], "-p epochs is given more than once"),
        (["--timeout", "0"], "--timeout must be at least 1 second"),
        (["-p", "epochs", "None"], "takes an int from 1 to 500"),
        (["-p", "data_dir", ""], "parameter 'data_dir': got an empty folder name"),
        (["-p", "layers", "[]"], "parameter 'layers': got [], but it takes a non-empty list"),
        (["--repository-url", "not a url"], "--repository-url must be the web address of the course's repository"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(tmp_path, capsys, extra, message):
    nb = _notebook(tmp_path / "01_p.ipynb", "pass")
    assert main(["render", str(nb), "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "content, message", [("{}", "is not a Jupyter notebook"), (None, "syntax error on line 1")]
)
def test_broken_notebooks_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "01_x.ipynb"
    if content is None:
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
        nb.cells = [nbformat.v4.new_code_cell("epochs = (", metadata={"tags": ["parameters"]})]
        nbformat.write(nb, path)
    else:
        path.write_text(content)
    assert main(["render", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


CROSS = """\
epochs: int = 40  # epochs (1 to 300)
patience: int = 10  # early stopping patience (1 to epochs)
kernel: int = 9  # kernel side (3 to 31, odd)
side: int = 16  # image side (8 to 64, multiple of 4)
layers: list[str] = ["block1_conv1"]  # (one of the VGG16 conv layers)
"""


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("patience", 50, r"'patience': got 50, but it takes an int from 1 to epochs \(epochs is 40\)"),
        ("kernel", 8, r"'kernel': got 8, but it takes an int from 3 to 31, odd"),
        ("side", 18, r"'side': got 18, but it takes an int from 8 to 64, multiple of 4"),
        ("layers", ["block1_conv1", "block6_conv1"], r"got .*block6_conv1.*, but it takes a non-empty list, each item "
         "one of block1_conv1"),  # fmt: skip
    ],
)
def test_bounds_naming_other_parameters_steps_and_named_sets(name, value, message):
    decl = params.declarations(CROSS)
    values = {n: p.default for n, p in decl.items()}
    assert params.check_all(decl, values) == values
    with pytest.raises(ValueError, match=message):
        params.check_all(decl, {**values, name: value})
    assert params.check_all(decl, {**values, "epochs": 60, "patience": 50})["patience"] == 50


def test_render_rejects_a_bound_named_by_another_parameter_before_any_kernel(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_code_cell(CROSS, metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, tmp_path / "01_p.ipynb")
    args = ["render", str(tmp_path / "01_p.ipynb"), "--out", str(tmp_path / "out"), "-p", "epochs", "5"]
    assert main(args) == 2
    assert "01_p.ipynb: parameter 'patience': got 10, but it takes an int from 1 to epochs (epochs is 5)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "out" / "01_p.ipynb").exists()


def test_at_defaults_compares_every_parameter_but_the_ignored_ones(tmp_path):
    body = (
        "from course_utils.params import at_defaults\n"
        "print(at_defaults('seed'), at_defaults())\n"
        "seed = 3\n"
        "print(at_defaults('seed'), at_defaults())\n"
        "epochs = 7\n"
        "print(at_defaults('seed'))"
    )
    nb = _notebook(tmp_path / "01_p.ipynb", body)
    assert main(["render", str(nb), "--out", str(tmp_path / "out")]) == 0
    executed = nbformat.read(tmp_path / "out" / "01_p.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].split() == ["True", "True", "True", "False", "False"]


@pytest.mark.parametrize(
    "notebook, name, value, message",
    [
        ("07_learnable_parameters", "input_sides", "[]", "got [], but it takes a non-empty list of int"),
        ("12_filter_visualization", "layers", "[]", "got [], but it takes a non-empty list, each item one of"),
        ("12_filter_visualization", "output_dir", "/tmp/elsewhere", "got '/tmp/elsewhere', an absolute path"),
        ("12_filter_visualization", "output_dir", "../../elsewhere",
         "got '../../elsewhere', a path that leaves the working folder"),
    ],
)
def test_course_notebooks_refuse_empty_lists_and_outputs_outside_out_before_running(
    tmp_path, capsys, monkeypatch, notebook, name, value, message
):
    """Under render a notebook's output folders stay inside --out: 12's output_dir took /tmp/x and ../x."""
    from course_utils.publish import render

    def run_all(*args):
        raise AssertionError(f"{notebook} would have run with {name}={value!r}")

    monkeypatch.setattr(render, "_render_locked", run_all)  # a value let through fails here, before anything runs
    path = render.NOTEBOOK_DIR / f"{notebook}.ipynb"
    assert main(["render", str(path), "-p", name, value, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{notebook}.ipynb: parameter {name!r}: {message}" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_render_refuses_an_output_folder_outside_out(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_code_cell(OUTPUT, metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, tmp_path / "01_o.ipynb")
    for value in ("/tmp/elsewhere", "../elsewhere"):
        args = ["render", str(tmp_path / "01_o.ipynb"), "-p", "output_dir", value, "--out", str(tmp_path / "out")]
        assert main(args) == 2
        assert "01_o.ipynb: parameter 'output_dir'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
