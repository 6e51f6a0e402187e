"""Reading a driver's answer from a program's output, and comparing it with the expected one."""

from __future__ import annotations

import importlib
import json
import math
from typing import Any

__all__ = ["Answer", "read_answer", "same_answer"]

_TOLERANCE = 1e-5


class Answer:
    """What one judged run printed: the user's own output, and the answer or why there is none."""

    def __init__(self, *, printed: str, value: Any = None, error: str | None = None) -> None:
        self.printed = printed
        self.value = value
        self.error = error


def read_answer(stdout: str, mark: str) -> Answer:
    """Split the program's output at the driver's mark into what the user printed and the answer."""
    at = stdout.rfind(mark)
    if at < 0:
        return Answer(printed=stdout, error="the program ended before it gave an answer")
    printed = stdout[:at].removesuffix("\n")
    try:
        return Answer(printed=printed, value=json.loads(stdout[at + len(mark) :]))
    except ValueError:
        return Answer(printed=printed, error="the answer could not be read")


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _equal(expected: Any, actual: Any, *, tolerance: float | None) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        if tolerance is None:
            return expected == actual
        return math.isclose(expected, actual, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _equal(e, a, tolerance=tolerance) for e, a in zip(expected, actual, strict=True)
        )
    return type(expected) is type(actual) and expected == actual


def _sorted(value: Any) -> Any:
    return sorted(value, key=_key) if isinstance(value, list) else value


def same_answer(compare: str, expected: Any, actual: Any, args: list[Any]) -> bool:
    """Return whether ``actual`` is a right answer for a test whose expected answer is given."""
    if compare == "exact":
        return _equal(expected, actual, tolerance=None)
    if compare == "float":
        return _equal(expected, actual, tolerance=_TOLERANCE)
    if compare == "unordered":
        return _equal(_sorted(expected), _sorted(actual), tolerance=None)
    if compare == "unordered_deep":
        if not isinstance(actual, list):
            return False
        inner = [_sorted(item) for item in actual]
        return _equal(_sorted([_sorted(item) for item in expected]), _sorted(inner), tolerance=None)
    name = compare.removeprefix("checker:")
    checker = importlib.import_module(f"common.judging.checkers.{name}")
    return bool(checker.check(args=args, expected=expected, actual=actual))
