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
    assert quiz.check(qid, q["answer"]) is True
    assert quiz.check(qid, None) is None
    assert "Not answered yet" in capsys.readouterr().out


def test_unknown_question_names_the_known_ones():
    with pytest.raises(KeyError, match="no question"):
        quiz.question("99.1")
