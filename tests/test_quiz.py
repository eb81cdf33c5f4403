"""Self-check questions: right and wrong answers, and an unanswered question never raises."""

import json
from importlib import resources

import pytest

from course_utils import quiz


def all_questions():
    folder = resources.files("course_utils") / "quizzes"
    for path in sorted(folder.iterdir()):
        if path.name.endswith(".json"):
            for qid, q in json.loads(path.read_text()).items():
                yield path.name, qid, q


def test_comparison_rules():
    assert quiz.is_correct(17, 17.0) and not quiz.is_correct(17, 18)
    assert quiz.is_correct(0.35, 0.349, tolerance=0.01)
    assert quiz.is_correct("Same", "  same ") and not quiz.is_correct("same", "valid")
    assert quiz.is_correct(["a", "b"], ["B", "a"]) and not quiz.is_correct(["a", "b"], ["a"])
    assert not quiz.is_correct(3, "three") and not quiz.is_correct(True, 1)


@pytest.mark.parametrize("name, qid, q", list(all_questions()))
def test_every_stored_question_is_well_formed_and_accepts_its_own_answer(name, qid, q, capsys):
    assert qid.startswith(name.removesuffix(".json") + ".")
    assert {"question", "answer", "hint", "explanation"} <= set(q)
    assert quiz.verdict(qid, q["answer"])[0] == "right"
    assert quiz.check(qid, None) is None  # prints only: no Out: under the cell
    assert "Not answered yet" in capsys.readouterr().out
    assert quiz.check(qid, q["answer"]) is None
    assert "Correct." in capsys.readouterr().out


def test_unknown_question_names_the_known_ones():
    with pytest.raises(KeyError, match="no question"):
        quiz.question("99.1")


@pytest.mark.parametrize(
    ("answer", "kind", "says"),
    [
        ("28 pixels", "format", "Give a number"),
        ("twenty-eight", "format", "Give a number"),
        ("28", "format", "The value is right, but give it as a number"),
        (" 28 ", "format", "The value is right"),
        ("30", "wrong", "Not quite"),
        (True, "format", "True and False are not numbers"),
        ([28], "format", "Give one number"),
        (28.0, "right", "Correct."),
        (27, "wrong", "Not quite"),
    ],
)
def test_answers_in_the_wrong_form_are_told_what_form_to_use(answer, kind, says):
    qid = next(qid for _, qid, q in all_questions() if q["answer"] == 28)
    got_kind, line = quiz.verdict(qid, answer)
    assert (got_kind, says in line) == (kind, True), line


def test_false_is_not_the_number_0(monkeypatch):
    zero = {"99.1": {"question": "How many?", "answer": 0, "tolerance": 0, "hint": "h", "explanation": "e"}}
    monkeypatch.setattr(quiz, "_questions", lambda notebook: zero if notebook == "99" else {})
    assert quiz.verdict("99.1", False)[0] == "format" and quiz.verdict("99.1", 0)[0] == "right"
