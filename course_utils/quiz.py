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


def _number(value) -> float | None:
    """`value` as a number, or None for what is not one (a bool is not a number here)."""
    if isinstance(value, bool) or isinstance(value, str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_correct(expected, answer, tolerance: float = 0) -> bool:
    """Compare an answer with the expected one (see the module docstring for the rules)."""
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and isinstance(expected, bool) and answer == expected
    if isinstance(expected, (int, float)):
        got = _number(answer)
        return got is not None and abs(got - expected) <= tolerance
    if isinstance(expected, list):
        try:
            return {_norm(a) for a in answer} == {_norm(e) for e in expected}
        except TypeError:
            return False
    return _norm(answer) == _norm(expected)


def verdict(qid: str, answer) -> tuple[str, str]:
    """("right" | "format" | "wrong" | "unanswered", the line to print) for an answer to question `qid`.

    "format": the value is right but given in another form (the text "28" for the number 28), or a number
    was expected and something else came (text, a bool): the line says what form to use.
    """
    q = question(qid)
    expected = q["answer"]
    if answer is None:
        return "unanswered", f"[{qid}] Not answered yet. Hint: {q['hint']}"
    if is_correct(expected, answer, q.get("tolerance", 0)):
        return "right", f"[{qid}] Correct. {q['explanation']}"
    numeric = isinstance(expected, (int, float)) and not isinstance(expected, bool)
    if numeric and isinstance(answer, str):
        try:
            as_number = float(answer.replace(",", "").strip())
        except ValueError:
            return "format", f"[{qid}] Give a number, such as 12 or 0.5, not text ({answer!r})."
        if abs(as_number - expected) <= q.get("tolerance", 0):
            return "format", f"[{qid}] The value is right, but give it as a number ({answer.strip()}, without quotes)."
        return "wrong", f"[{qid}] Not quite (you answered {answer!r}; give it as a number). Hint: {q['hint']}"
    if numeric and isinstance(answer, bool):
        return "format", f"[{qid}] Give a number, not {answer}: True and False are not numbers here."
    if numeric and _number(answer) is None:
        return "format", f"[{qid}] Give one number, not {type(answer).__name__} {answer!r}."
    return "wrong", f"[{qid}] Not quite (you answered {answer!r}). Hint: {q['hint']}"


def check(qid: str, answer=None) -> None:
    """Print whether `answer` is right, with a short explanation; a hint while `answer` is None.

    Prints and returns nothing (no `Out:` under the cell); `verdict` gives the outcome to code. It never
    raises for a wrong or missing answer, so a notebook with unanswered questions still runs top to bottom.
    """
    print(verdict(qid, answer)[1])
