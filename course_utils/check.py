"""`from course_utils import check`: the self-checks of the exercises (see course_utils.exercises)."""

from .exercises import exercise, hidden_test, passed, result, use

__all__ = ["exercise", "hidden_test", "passed", "result", "use"]
