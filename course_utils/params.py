"""Notebook parameters: declared once in the `parameters` cell, checked the same way by the render CLI
and by the notebook itself.

A declaration is one line in the form papermill reads (`papermill --help-notebook` shows it):

    epochs: int = 50  # epochs of each training run (1 to 500)
    optimizer: str = "adam"  # which optimizer (one of: adam, sgd, rmsprop)
    data_dir: "Optional[str]" = None  # your own images, one sub-folder per class (folder)
    layers: list[str] = ["block1_conv1"]  # conv layers to show

The annotation gives the type (int, float, bool, str, list[int|float|str]); "Optional[str]", in quotes,
allows None (papermill reads no `str | None`; the quotes spare an import, and ruff is told that
`Optional` is defined).
The help text may end with one constraint: `(A to B)`, an inclusive range, where A and B are numbers
or the names of other parameters (`(1 to epochs)`), optionally followed by `, odd`, `, even` or
`, multiple of N`; `(one of: a, b)`, the allowed values, or `(one of the VGG16 conv layers)`, a named
set; `(folder)`, an existing folder (not empty text); `(output folder)`, a folder the notebook writes
into, given relative to its working folder and staying inside it (no absolute path, no `..` out of it),
so that under `render` a notebook's outputs stay inside `--out`. For a list, the constraint applies to
every item. A list whose default is not empty must not be empty. A line without annotation takes the
type of its default. No `=` may appear in the help text (papermill would not parse the line).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

TYPES = {"int": int, "float": float, "bool": bool, "str": str}
_BOUND = r"(-?[\d.e+-]+|[A-Za-z_]\w*)"
_RANGE = re.compile(rf"\((?:from )?{_BOUND} to {_BOUND}(?:,\s*(odd|even|multiple of \d+))?\)\s*$")
_CHOICES = re.compile(r"\(one of:\s*([^()]+)\)\s*$")
_NAMED_CHOICES = re.compile(r"\(one of the ([\w ]+)\)\s*$")


def _vgg16_conv_layers() -> tuple[str, ...]:
    from .filters import VGG16_CONV_LAYERS

    return VGG16_CONV_LAYERS


NAMED_SETS = {"VGG16 conv layers": _vgg16_conv_layers}
_FOLDER = re.compile(r"\(folder\)\s*$")
_OUTPUT_FOLDER = re.compile(r"\(output folder\)\s*$")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass
class Param:
    name: str
    type: type  # int, float, bool, str or list
    default: object
    help: str = ""
    item: type | None = None  # element type of a list
    optional: bool = False  # None is allowed
    low: float | str | None = None  # a number, or the name of another parameter
    high: float | str | None = None
    step: str | None = None  # "odd", "even" or "multiple of N"
    choices: tuple | None = None
    folder: bool = False
    output_folder: bool = False  # a relative path that stays inside the working folder
    nonempty: bool = False  # a list that must hold at least one item (its default is not empty)

    def allowed(self) -> str:
        """What values are allowed, in words, for error messages."""
        if self.type is list:
            kind = f"a {'non-empty ' if self.nonempty else ''}list of {self.item.__name__}"
        else:
            kind = f"{'an' if self.type is int else 'a'} "
            kind += {int: "int", float: "number", bool: "bool (True or False)", str: "text"}[self.type]
        if self.folder:
            kind = "the path of an existing folder"
        if self.output_folder:
            kind = "a folder inside the working folder, as a relative path without '..' out of it"
        if self.low is not None:
            kind += f" from {_word(self.low)} to {_word(self.high)}"
            if self.step:
                kind += f", {self.step}"
        if self.choices:
            kind = "one of " + ", ".join(map(str, self.choices))
            if self.type is list:
                kind = f"a {'non-empty ' if self.nonempty else ''}list, each item {kind}"
        return kind + (", or None" if self.optional else "")


def _word(bound) -> str:
    return bound if isinstance(bound, str) else f"{bound:g}"


def _bound(text: str):
    return text if text[0].isalpha() or text[0] == "_" else float(text)


def _annotation(node, default) -> tuple[type, type | None, bool]:
    """(type, list item type, optional) from an annotation AST, or from the default when there is none."""
    if node is None:
        if default is None:
            return str, None, True
        if isinstance(default, (list, tuple)):
            items = {type(v) for v in default}
            return list, items.pop() if len(items) == 1 else str, False
        return type(default), None, False
    quoted = isinstance(node, ast.Constant) and isinstance(node.value, str)
    text = (node.value if quoted else ast.unparse(node)).replace(" ", "")
    optional = text.startswith("Optional[") and text.endswith("]")
    if optional:
        text = text[len("Optional[") : -1]
    if text.startswith("list[") and text.endswith("]") and text[5:-1] in TYPES:
        return list, TYPES[text[5:-1]], optional
    if text in TYPES:
        return TYPES[text], None, optional
    raise ValueError(
        f"unsupported annotation {ast.unparse(node)!r} (use int, float, bool, str, list[...] or Optional[...])"
    )


def declarations(source: str) -> dict[str, Param]:
    """{name: Param} for the assignments of a parameters cell's source; ValueError naming a bad line."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"the parameters cell has a syntax error on line {exc.lineno}: {exc.msg}") from None
    lines = source.splitlines()
    params = {}
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
            raise ValueError(f"parameters cell line {node.lineno}: write one `name = value` per line")
        name = targets[0].id
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            got = ast.unparse(node.value)
            raise ValueError(f"parameter {name!r}: the default must be a literal, got {got}") from None
        kind, item, optional = _annotation(getattr(node, "annotation", None), default)
        line = lines[node.end_lineno - 1]
        help_text = line.split("#", 1)[1].strip() if "#" in line[node.end_col_offset :] else ""
        p = Param(name, kind, default, help_text, item, optional or default is None)
        p.nonempty = kind is list and bool(default)
        if m := _RANGE.search(help_text):
            p.low, p.high, p.step = _bound(m.group(1)), _bound(m.group(2)), m.group(3)
        elif m := _NAMED_CHOICES.search(help_text):
            if m.group(1) not in NAMED_SETS:
                raise ValueError(f"parameter {name!r}: unknown set {m.group(1)!r} (known: {', '.join(NAMED_SETS)})")
            p.choices = NAMED_SETS[m.group(1)]()
        elif m := _CHOICES.search(help_text):
            p.choices = tuple(_parse_scalar(p, c.strip().strip("'\"")) for c in m.group(1).split(","))
        elif _FOLDER.search(help_text):
            p.folder = True
        elif _OUTPUT_FOLDER.search(help_text):
            p.output_folder = True
        params[name] = p
    return params


def _parse_scalar(p: Param, text: str):
    kind = p.item if p.type is list else p.type
    if kind is str:
        return text
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(text)
    return kind(text)


def parse_text(p: Param, text: str):
    """A command-line value, read by the declared type: text stays text ('1.10', '2024'); 'None' is None
    only where None is allowed. ValueError with a one-line message otherwise."""
    if p.optional and text == "None":
        return None
    try:
        if p.type is list:
            if text.strip().startswith("["):
                return check(p, ast.literal_eval(text))
            return check(p, [_parse_scalar(p, t.strip()) for t in text.split(",") if t.strip()])
        return check(p, _parse_scalar(p, text))
    except (ValueError, SyntaxError) as exc:
        if str(exc).startswith("parameter "):
            raise
        raise ValueError(f"parameter {p.name!r}: got {_short(text)}, but it takes {p.allowed()}") from None


def _short(value, limit: int = 60) -> str:
    """repr(value), cut to about `limit` characters for a one-line message (a 5,000-digit value is not repeated)."""
    return cut(repr(value), limit)


def cut(text: str, limit: int = 60) -> str:
    """`text` if it has at most `limit` characters, else its start and its length."""
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text):,} characters)"


def check(p: Param, value, others: dict | None = None):
    """`value` if the declaration allows it (an int is accepted for a float), else ValueError saying what is allowed.

    `others` holds the values of the other parameters, for bounds that name one (`(1 to epochs)`); without
    it such a bound is not checked.
    """
    others = others or {}

    def resolve(bound):
        return others.get(bound) if isinstance(bound, str) else bound

    low, high = resolve(p.low), resolve(p.high)

    def bad():
        named = [f"{b} is {others[b]!r}" for b in (p.low, p.high) if isinstance(b, str) and b in others]
        return ValueError(
            f"parameter {p.name!r}: got {_short(value)}, but it takes {p.allowed()}"
            + (f" ({', '.join(named)})" if named else "")
        )

    if value is None:
        if p.optional:
            return None
        raise bad()
    if p.type is list:
        if not isinstance(value, (list, tuple)) or not all(_is(v, p.item) for v in value):
            raise bad()
        values = list(value)
        if p.nonempty and not values:
            raise bad()
    elif not _is(value, p.type):
        raise bad()
    else:
        values = [value]
    for v in values:
        if _is(low, float) and not low <= v:
            raise bad()
        if _is(high, float) and not v <= high:
            raise bad()
        if p.step and not _on_step(v, p.step):
            raise bad()
        if p.choices and v not in p.choices:
            raise bad()
        if p.output_folder:
            _check_output_folder(p, v)
    if p.folder and not value.strip():  # Path("") is the current folder: an empty name would pass for it
        raise ValueError(f"parameter {p.name!r}: got an empty folder name; it takes {p.allowed()}")
    if p.folder and not Path(value).expanduser().is_dir():
        what = "does not exist" if not Path(value).expanduser().exists() else "is not a folder"
        raise ValueError(f"parameter {p.name!r}: {_short(value)} {what}; it takes {p.allowed()}")
    return float(value) if p.type is float else value


def _check_output_folder(p: Param, value: str) -> None:
    """ValueError unless `value` names a folder inside the working folder: not empty, relative, no way out."""
    why = None
    if not isinstance(value, str):
        why = "not text"
    elif not value.strip():
        why = "an empty folder name"
    elif "\0" in value:
        why = "a name with a NUL character"
    elif value.startswith("~") or Path(value).is_absolute():
        why = "an absolute path"
    elif os.path.normpath(value).split(os.sep)[0] == "..":
        why = "a path that leaves the working folder"
    if why:
        raise ValueError(f"parameter {p.name!r}: got {_short(value)}, {why}; it takes {p.allowed()}")


def _on_step(value, step: str) -> bool:
    if step == "odd":
        return value % 2 == 1
    if step == "even":
        return value % 2 == 0
    return value % int(step.split()[-1]) == 0


def check_all(params: dict[str, Param], values: dict) -> dict:
    """Every declared parameter's value checked, bounds naming other parameters included; the checked values."""
    return {name: check(p, values[name], values) for name, p in params.items()}


def _is(value, kind) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _latest_declarations(history: list[str]) -> dict[str, Param] | None:
    """The declarations of the most recently run cell made only of `name = literal` lines, at least one of
    them annotated (`name: type = literal`): papermill's injected cell and hand edits have no annotations."""
    for source in reversed(history):
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        if all(isinstance(n, (ast.Assign, ast.AnnAssign)) for n in body) and any(
            isinstance(n, ast.AnnAssign) for n in body
        ):
            try:
                return declarations(source)
            except ValueError:
                continue
    return None


_RECENT_CELLS: list[str] = []  # sources of the cells the kernel ran last, recorded by watch_cells()


def _remember(info) -> None:
    _RECENT_CELLS.append(info.raw_cell)
    del _RECENT_CELLS[:-50]


def watch_cells() -> None:
    """Record the source of every cell the kernel runs (course_utils.setup() calls it).

    Jupyter and papermill keep the kernel's input history, but nbval runs cells without it, so
    check_parameters() reads the cells recorded here, falling back to the history.
    """
    import IPython

    shell = IPython.get_ipython()
    if shell is not None and _remember not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", _remember)


def _ran_cells(shell) -> list[str]:
    return list(_RECENT_CELLS) or list(shell.user_ns.get("_ih", []))


def check_parameters(namespace: dict | None = None) -> None:
    """Check every parameter of the notebook against its declaration in the `parameters` cell.

    Call it in the cell after the parameters cell. It finds the declarations in the kernel's input
    history (the last cell run that holds only `name: type = value` lines) and checks the current
    values, so values injected by papermill or edited by hand are checked alike. Raises ValueError
    naming the first wrong parameter and what it allows; prints one line when all are right.
    """
    import IPython

    shell = IPython.get_ipython()
    if shell is None:
        raise RuntimeError("check_parameters() runs inside a Jupyter kernel, after the parameters cell")
    namespace = shell.user_ns if namespace is None else namespace
    params = _latest_declarations(_ran_cells(shell))
    if not params:
        raise RuntimeError("run the parameters cell (the one with `name: type = value` lines) first")
    for p in params.values():
        if p.name not in namespace:
            raise ValueError(f"parameter {p.name!r} is not defined: run the parameters cell again")
    for p in params.values():
        namespace[p.name] = check(p, namespace[p.name], namespace)
    print(f"parameters OK ({len(params)} checked)")


def at_defaults(*ignore: str) -> bool:
    """True when every parameter except those named in `ignore` has its declared default value.

    A notebook asserts a measured claim only at the setting where bench/lessons.py measured it (its
    defaults, over seeds); with other values it reports the numbers without asserting.
    """
    import IPython

    shell = IPython.get_ipython()
    params = _latest_declarations(_ran_cells(shell)) if shell is not None else None
    if not params:
        raise RuntimeError("run the parameters cell (the one with `name: type = value` lines) first")
    return all(shell.user_ns.get(p.name) == p.default for p in params.values() if p.name not in ignore)
