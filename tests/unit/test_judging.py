"""Judging without I/O: value types, answer comparison, and judging a runner's answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from common.judging.compare import read_answer, same_answer
from common.judging.signature import Signature, check_args, check_value
from common.questions.models import QuestionCreate, QuestionTest, QuestionTests
from common.runs.judge import judge

MARK = "@@mark@@"
SIGNATURE = TypeAdapter(Signature).validate_python(
    {
        "kind": "function",
        "function": "pairWithTargetSum",
        "params": [{"name": "nums", "type": "int[]"}, {"name": "target", "type": "int"}],
        "returns": "int[]",
    }
)


@pytest.mark.parametrize(
    ("kind", "value", "fits"),
    [
        ("int", 3, True),
        ("int", True, False),
        ("int", 2**31, False),
        ("long", 2**31, True),
        ("double", 1, True),
        ("double", "1", False),
        ("int[][]", [[1], []], True),
        ("int[][]", [[1, "2"]], False),
        ("char[][]", [["a", "b"]], True),
        ("char[][]", [["ab"]], False),
        ("TreeNode", [1, None, 2], True),
        ("TreeNode", [None, 1], False),
        ("TreeNode", [], True),
        ("ListNode[]", [[1, 2], []], True),
        ("ListNode", [1, None], False),
    ],
)
def test_values_are_checked_against_their_type(kind: str, value: Any, fits: bool) -> None:
    if fits:
        check_value(kind, value)
    else:
        with pytest.raises(ValueError, match="expected"):
            check_value(kind, value)


def test_arguments_must_fit_the_signature() -> None:
    check_args(SIGNATURE, [[1, 2], 3])
    with pytest.raises(ValueError, match="one per parameter"):
        check_args(SIGNATURE, [[1, 2]])
    with pytest.raises(ValueError, match=r"args\.target"):
        check_args(SIGNATURE, [[1, 2], "3"])


def test_a_design_test_names_methods_of_the_class() -> None:
    design = TypeAdapter(Signature).validate_python(
        {
            "kind": "design",
            "className": "Counter",
            "constructor": [{"name": "start", "type": "int"}],
            "methods": [
                {"name": "add", "params": [{"name": "n", "type": "int"}], "returns": "int"}
            ],
        }
    )
    check_args(design, [[0], [["add", 1], ["add", 2]]])
    with pytest.raises(ValueError, match="method of the class"):
        check_args(design, [[0], [["remove", 1]]])
    with pytest.raises(ValueError, match="takes 1 arguments"):
        check_args(design, [[0], [["add"]]])


def test_a_void_function_must_name_what_it_changes() -> None:
    with pytest.raises(ValidationError, match="mutates"):
        TypeAdapter(Signature).validate_python(
            {
                "kind": "function",
                "function": "rotate",
                "params": [{"name": "grid", "type": "int[][]"}],
                "returns": "void",
            }
        )


@pytest.mark.parametrize(
    ("compare", "expected", "actual", "same"),
    [
        ("exact", [0, 3], [0, 3], True),
        ("exact", [0, 3], [3, 0], False),
        ("exact", True, 1, False),
        ("exact", 1, True, False),
        ("exact", 2, 2.0, True),
        ("float", 2.5, 2.500001, True),
        ("float", 2.5, 2.51, False),
        ("unordered", [[1, 2], [3]], [[3], [1, 2]], True),
        ("unordered", [[1, 2], [3]], [[3], [2, 1]], False),
        ("unordered_deep", [[1, 2], [3]], [[3], [2, 1]], True),
        ("unordered_deep", [[1, 2], [3]], [[3], [2, 2]], False),
        ("unordered_deep", [[1]], "x", False),
    ],
)
def test_answers_compare_by_the_signature_mode(
    compare: str, expected: Any, actual: Any, same: bool
) -> None:
    assert same_answer(compare, expected, actual, []) is same


def test_the_answer_is_read_after_the_last_mark() -> None:
    answer = read_answer(f"debug {MARK}fake\nmore\n{MARK}[1,2]\n", MARK)
    assert answer.value == [1, 2] and answer.printed.startswith("debug")
    assert read_answer("no answer", MARK).error == "the program ended before it gave an answer"


def _result(stdout: str, verdict: str = "accepted", stderr: str = "") -> dict[str, Any]:
    return {"verdict": verdict, "stdout": stdout, "stderr": stderr, "timeMs": 5, "memoryKb": 900}


TESTS = [
    (QuestionTest(args="[[4,9,2,6],10]", expected="[0,3]"), False),
    (QuestionTest(args="[[1,2],3]", expected="[0,1]"), True),
    (QuestionTest(args="[[3,2,4],6]", expected="[1,2]"), True),
]


def test_a_hidden_wrong_answer_is_judged_without_showing_the_test() -> None:
    answer = {
        "verdict": "accepted",
        "results": [
            _result(f"looking\n{MARK}[0,3]\n"),
            _result(f"{MARK}[1,0]\n"),
            _result(f"{MARK}[1,2]\n"),
        ],
    }
    judged = judge(answer, TESTS, compare="exact", mark=MARK)
    assert judged.verdict == "wrong_answer" and judged.passed == 1
    visible, hidden, after = judged.tests
    assert (visible.verdict, visible.actual, visible.stdout) == ("accepted", "[0,3]", "looking")
    assert visible.args == "[[4,9,2,6],10]" and visible.expected == "[0,3]"
    assert hidden.verdict == "wrong_answer" and hidden.message == "Wrong answer on a hidden test"
    assert hidden.args is None and hidden.actual is None and hidden.stdout is None
    assert after.verdict == "skipped"


def test_a_visible_failure_shows_its_output() -> None:
    answer = {
        "verdict": "runtime_error",
        "results": [_result("partial\n", "runtime_error", "Traceback: IndexError")],
    }
    judged = judge(answer, TESTS, compare="exact", mark=MARK)
    assert judged.verdict == "runtime_error" and judged.passed == 0
    assert judged.stderr == "Traceback: IndexError" and judged.stdout == "partial\n"
    assert [test.verdict for test in judged.tests] == ["runtime_error", "skipped", "skipped"]


def test_a_program_that_prints_no_answer_is_a_wrong_answer() -> None:
    judged = judge({"results": [_result("just text\n")]}, TESTS[:1], compare="exact", mark=MARK)
    assert judged.verdict == "wrong_answer"
    assert judged.tests[0].message == "the program ended before it gave an answer"


def test_a_compile_error_skips_every_test() -> None:
    answer = {"verdict": "compile_error", "compile": {"ok": False, "stderr": "main.cpp:1: error"}}
    judged = judge(answer, TESTS, compare="exact", mark=MARK)
    assert judged.verdict == "compile_error" and judged.compile_output == "main.cpp:1: error"
    assert {test.verdict for test in judged.tests} == {"skipped"}


def _question(**changes: Any) -> dict[str, Any]:
    example = {"input": "nums = [1, 2], target = 3", "output": "[0, 1]"}
    return {
        "title": "Pair",
        "description": "Find them.",
        "difficulty": "easy",
        "topics": ["arrays"],
        "examples": [{**example, "test": {"args": "[[1,2],3]", "expected": "[0,1]"}}],
        "constraints": ["n >= 2"],
        "starterCode": {"python": "x", "javascript": "x", "java": "x", "cpp": "x"},
        "signature": SIGNATURE.model_dump(by_alias=True),
        **changes,
    }


def test_a_question_with_a_signature_needs_a_fitting_test_per_example() -> None:
    QuestionCreate.model_validate(_question())
    untested = _question(examples=[{"input": "a", "output": "b"}])
    with pytest.raises(ValidationError, match="every example needs its test"):
        QuestionCreate.model_validate(untested)
    misfit = _question(
        examples=[{"input": "a", "output": "b", "test": {"args": "[1]", "expected": "1"}}]
    )
    with pytest.raises(ValidationError, match="one per parameter"):
        QuestionCreate.model_validate(misfit)
    with pytest.raises(ValidationError, match="need the question's signature"):
        QuestionCreate.model_validate(_question(signature=None))


def test_tests_are_json_text_and_bounded() -> None:
    with pytest.raises(ValidationError, match="JSON"):
        QuestionTest(args="[1,", expected="1")
    with pytest.raises(ValidationError, match="JSON array"):
        QuestionTest(args="{}", expected="1")
    big = QuestionTest(args=json.dumps([[0] * 60_000, 1]), expected="1")
    with pytest.raises(ValidationError, match="characters in all"):
        QuestionTests(tests=[big] * 5)
