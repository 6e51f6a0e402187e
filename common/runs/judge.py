"""Judging a submission from the runner's answer: each test's verdict, and the submission's.

The runner reports how each test's program ended; the answer itself is read here from the
program's output (after the driver's mark) and compared with the expected one, so that questions
with several right answers, floats and unordered results are judged alike in every language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from common.judging.compare import read_answer, same_answer
from common.questions.models import QuestionTest
from common.runs.models import TestOutcome

__all__ = ["Judged", "judge"]

_SHOWN_CHARS = 2_000
_HIDDEN_MESSAGES = {
    "wrong_answer": "Wrong answer on a hidden test",
    "runtime_error": "The program failed on a hidden test",
    "time_limit": "Too slow on a hidden test",
    "memory_limit": "Too much memory on a hidden test",
    "output_limit": "Too much output on a hidden test",
}


@dataclass
class Judged:
    """The outcome of a submission: its verdict and each test's."""

    verdict: str
    tests: list[TestOutcome]
    passed: int
    compile_output: str = ""
    stdout: str = ""
    stderr: str = ""
    time_ms: int = 0
    memory_kb: int = 0
    failed: TestOutcome | None = field(default=None)


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _one(
    index: int,
    test: QuestionTest,
    hidden: bool,
    result: dict[str, Any],
    *,
    compare: str,
    mark: str,
) -> TestOutcome:
    verdict = str(result.get("verdict"))
    answer = read_answer(str(result.get("stdout") or ""), mark)
    message = None
    actual = None
    if verdict == "accepted":
        values = test.parsed()
        if answer.error is not None:
            verdict, message = "wrong_answer", answer.error
        elif same_answer(compare, values.expected, answer.value, values.args):
            actual = test.expected
        else:
            verdict = "wrong_answer"
        if actual is None and answer.error is None:
            actual = json.dumps(answer.value, separators=(",", ":"), ensure_ascii=False)
    outcome = TestOutcome(
        index=index,
        hidden=hidden,
        verdict=verdict,
        time_ms=result.get("timeMs"),
        memory_kb=result.get("memoryKb"),
    )
    if hidden:
        outcome.message = _HIDDEN_MESSAGES.get(verdict)
        return outcome
    outcome.message = message
    outcome.args = _cut(test.args)
    outcome.expected = _cut(test.expected)
    outcome.actual = _cut(actual) if actual is not None else None
    outcome.stdout = _cut(answer.printed)
    outcome.stderr = _cut(str(result.get("stderr") or ""))
    return outcome


def judge(
    answer: dict[str, Any],
    tests: list[tuple[QuestionTest, bool]],
    *,
    compare: str,
    mark: str,
) -> Judged:
    """Judge the runner's answer for ``tests`` (each with whether it is hidden), in order."""
    compiled = answer.get("compile") or {}
    if compiled and not compiled.get("ok"):
        skipped = [
            TestOutcome(index=i, hidden=hidden, verdict="skipped")
            for i, (_, hidden) in enumerate(tests)
        ]
        output = f"{compiled.get('stderr') or ''}{compiled.get('stdout') or ''}"
        return Judged("compile_error", skipped, 0, compile_output=output)
    results = list(answer.get("results") or [])
    outcomes: list[TestOutcome] = []
    failed: TestOutcome | None = None
    for index, (test, hidden) in enumerate(tests):
        if failed is not None or index >= len(results):
            outcomes.append(TestOutcome(index=index, hidden=hidden, verdict="skipped"))
            continue
        outcome = _one(index, test, hidden, results[index], compare=compare, mark=mark)
        outcomes.append(outcome)
        if outcome.verdict != "accepted":
            failed = outcome
    passed = sum(outcome.verdict == "accepted" for outcome in outcomes)
    judged = Judged(
        verdict=failed.verdict if failed is not None else "accepted",
        tests=outcomes,
        passed=passed,
        time_ms=max((o.time_ms or 0 for o in outcomes), default=0),
        memory_kb=max((o.memory_kb or 0 for o in outcomes), default=0),
        failed=failed,
    )
    if failed is not None and not failed.hidden:
        judged.stdout, judged.stderr = failed.stdout or "", failed.stderr or ""
    return judged
