"""course_utils.verify: several claims checked, one line printed, every failure named."""

import numpy as np
import pytest

import course_utils
from course_utils.publish import nbtools


def test_all_claims_hold_prints_one_line(capsys):
    course_utils.verify(
        ("formula = Keras", True),
        ("VGG16 parameters", 138_357_544, 138_357_544),
        ("softmax sums to 1", np.float32(0.99999994), 1.0, 1e-6),
        ("shape", (2, 3), (2, 3)),
        ("array equal", np.arange(3), np.arange(3)),
    )
    out = capsys.readouterr().out
    assert out == (
        "verified: formula = Keras; VGG16 parameters (138,357,544); softmax sums to 1 (1); shape ((2, 3)); "
        "array equal ([0, 1, 2])\n"
    )


def test_every_failed_claim_is_named_with_got_and_expected(capsys):
    with pytest.raises(AssertionError) as err:
        course_utils.verify(
            ("holds", True),
            ("count", 17, 18),
            ("close", 0.5, 0.6, 0.01),
            ("flag", 1 > 2),
            ("arrays", np.zeros(2), np.ones(2)),
            ("shapes", np.zeros(2), np.zeros(3)),
        )
    message = str(err.value)
    assert "count: got 17, expected 18" in message and "close: got 0.5, expected 0.6 within 0.01" in message
    assert "flag: false" in message and "arrays: got [0., 0.]" in message and "shapes:" in message
    assert "holds" not in message and capsys.readouterr().out == ""


def test_malformed_claims_are_refused():
    with pytest.raises(TypeError):
        course_utils.verify()
    with pytest.raises(TypeError, match="give \\(label, condition\\)"):
        course_utils.verify(("x", 1, 2, 3, 4))


def test_check_cells_are_marked_by_the_nbval_tag():
    import nbformat

    tagged = nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["nbval-check-output"]})
    plain = nbformat.v4.new_code_cell("print(1)")
    assert nbtools.is_check_cell(tagged) and not nbtools.is_check_cell(plain)
