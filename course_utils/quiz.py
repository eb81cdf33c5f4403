"""Self-check questions: `check("01.1", answer)` says whether an answer is right, and why.

The questions and answers of notebook NN live in `quizzes/NN.json` next to this file:
    {"01.1": {"question": "...", "answer": 2, "tolerance": 0, "hint": "...", "explanation": "..."}}
`answer` is a number (compared within `tolerance`), a string (compared case- and space-insensitively)
or a list (compared as a set of items, so order does not matter).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def _questions(notebook: str) -> dict:
    path = resources.files(__package__) / "quizzes" / f"{notebook}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def question(qid: str) -> dict:
    """The stored question `qid` ("NN.k"); KeyError with the known ids if there is none."""
    questions = _questions(qid.split(".")[0])
    if qid not in questions:
        known = ", ".join(sorted(questions)) or "none"
        raise KeyError(f"no question {qid!r}; questions of this notebook: {known}")
    return questions[qid]


def _norm(value):
    if isinstance(value, str):
        return " ".join(value.lower().split())
    return value


def is_correct(expected, answer, tolerance: float = 0) -> bool:
    """Compare an answer with the expected one (see the module docstring for the rules)."""
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and answer == expected
    if isinstance(expected, (int, float)):
        try:
            return abs(float(answer) - expected) <= tolerance
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list):
        try:
            return {_norm(a) for a in answer} == {_norm(e) for e in expected}
        except TypeError:
            return False
    return _norm(answer) == _norm(expected)


def check(qid: str, answer=None) -> bool | None:
    """Print whether `answer` is right, with a short explanation; a hint while `answer` is None.

    Returns True/False, or None for an unanswered question. It never raises for a wrong or
    missing answer, so a notebook with unanswered questions still runs top to bottom.
    """
    q = question(qid)
    if answer is None:
        print(f"[{qid}] Not answered yet. Hint: {q['hint']}")
        return None
    ok = is_correct(q["answer"], answer, q.get("tolerance", 0))
    if ok:
        print(f"[{qid}] Correct. {q['explanation']}")
    else:
        print(f"[{qid}] Not quite (you answered {answer!r}). Hint: {q['hint']}")
    return ok
