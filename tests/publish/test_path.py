"""The learning-path check (course_utils.publish.path): requirements and key tools come after their introduction."""

import nbformat

from course_utils.publish import nbtools, path


def nb(part, introduces, requires=(), code=""):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["course"] = {"part": part, "introduces": list(introduces), "requires": list(requires)}
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    return notebook


def course():
    return [
        (
            "00_backprop",
            nb("Foundations", ["backpropagation", "tf.GradientTape"], code="with tf.GradientTape() as t: pass"),
        ),
        (
            "01_optimizers",
            nb(
                "Foundations",
                ["Adam"],
                ["backpropagation"],
                code="with tf.GradientTape():\n    keras.optimizers.Adam(1e-3)",
            ),
        ),
        ("02_conv", nb("Convolution", ["convolution"], ["backpropagation"], code="model.compile('adam')")),
    ]


def test_a_course_in_order_has_no_errors():
    assert path.order_errors(course()) == []


def test_a_deliberate_swap_fails_on_the_declared_requirement_and_on_the_code_use():
    first, second, third = course()
    errors = path.order_errors([second, first, third])
    assert errors == [
        "01_optimizers: requires 'backpropagation', introduced only later, by 00_backprop",
        "01_optimizers: uses 'tf.GradientTape', introduced only later, by 00_backprop",
    ]


def test_using_a_key_tool_before_its_notebook_fails_even_if_undeclared():
    for concept, code in [
        ("tf.GradientTape", "with tf.GradientTape() as tape: pass"),
        ("Adam", "model.compile(optimizer='adam')"),
        ("cross-entropy", "loss = keras.losses.SparseCategoricalCrossentropy()"),
        ("BatchNormalization", "keras.layers.BatchNormalization()"),
    ]:
        early = ("00_early", nb("Foundations", ["something"], code=code))
        teaching = ("01_teach", nb("Foundations", [concept]))
        assert path.order_errors([early, teaching]) == [
            f"00_early: uses {concept!r}, introduced only later, by 01_teach"
        ], concept
        assert path.order_errors([teaching, ("02_late", early[1])]) == []


def test_missing_metadata_unknown_and_twice_introduced_concepts_are_reported():
    bare = nbformat.v4.new_notebook()
    errors = path.order_errors([("00_a", bare), ("01_b", nb("P", ["x"], ["nowhere"])), ("02_c", nb("P", ["x"]))])
    assert errors == [
        "00_a: metadata 'course' needs a 'part' and what it 'introduces'",
        "02_c: introduces 'x', already introduced by 01_b",
        "01_b: requires 'nowhere', introduced by no notebook",
    ]


def test_clean_keeps_the_course_metadata():
    notebook = nb("P", ["x"])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["papermill"] = {"duration": 1}
    cleaned = nbtools.clean(notebook)
    assert "course" in cleaned.metadata and "papermill" not in cleaned.metadata
