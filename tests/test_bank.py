"""The question bank's judging data, judged in the sandboxed runner as a submission is.

Every question has a signature, a structured test per example and at least 8 hidden tests; its
reference solution is accepted, and a program that knows only the visible examples' answers
fails on a hidden test.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from common.judging import drivers
from common.questions import slugify
from common.questions.models import QuestionTest
from common.runs.judge import Judged, judge
from common.runs.runner import run_tests
from devstack import LocalStack
from jobs.import_questions import load

ROOT = Path(__file__).resolve().parent.parent
BANK = {slugify(entry.question.title): entry for entry in load(ROOT / "data" / "questions.json")}
MARK = "@@bank-test@@"
LANGUAGES = {"python": "py", "javascript": "js", "java": "java", "cpp": "cpp"}


def _tests(slug: str) -> list[tuple[QuestionTest, bool]]:
    entry = BANK[slug]
    visible = [example.test for example in entry.question.examples if example.test is not None]
    return [(test, False) for test in visible] + [(test, True) for test in entry.hidden]


def _judge(slug: str, language: str, source: str) -> Judged:
    signature = BANK[slug].question.signature
    assert signature is not None
    tests = _tests(slug)
    answer = run_tests(
        language=language,
        source=drivers.program(language, signature, source, MARK),
        inputs=[test.args for test, _ in tests],
    )
    return judge(answer, tests, compare=signature.compare, mark=MARK)


def _fitted(slug: str) -> str:
    """A python program that prints the visible examples' answers and nothing right otherwise."""
    table = {
        json.dumps(json.loads(test.args)): test.expected
        for test, hidden in _tests(slug)
        if not hidden
    }
    return (
        "import json, os, sys\n"
        f"TABLE = {table!r}\n"
        "key = json.dumps(json.loads(sys.stdin.read()))\n"
        f"sys.stdout.write('\\n' + {MARK!r} + TABLE.get(key, 'null') + '\\n')\n"
        "sys.stdout.flush()\n"
        "os._exit(0)\n"
    )


def test_every_question_can_be_judged_and_its_starters_follow_its_signature() -> None:
    assert len(BANK) == 76
    for slug, entry in BANK.items():
        signature = entry.question.signature
        assert signature is not None, slug
        assert len(entry.hidden) >= 8, slug
        assert all(example.test for example in entry.question.examples), slug
        for language in LANGUAGES:
            starter = getattr(entry.question.starter_code, language)
            assert starter == drivers.starter(language, signature), (slug, language)


def test_every_reference_solution_is_accepted_and_fitting_the_examples_is_not(
    stack: LocalStack,
) -> None:
    def one(slug: str) -> tuple[str, str, str, list[Any]]:
        source = (ROOT / "data" / "solutions" / f"{slug}.py").read_text()
        right = _judge(slug, "python", source)
        fitted = _judge(slug, "python", _fitted(slug))
        first_failed = next(t for t in fitted.tests if t.verdict != "accepted")
        return slug, right.verdict, fitted.verdict, [first_failed.hidden, fitted.passed]

    # The stack's runner has two slots: two questions at a time keep both busy.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(one, sorted(BANK)))
    wrong = [o for o in outcomes if o[1] != "accepted"]
    assert not wrong, wrong
    for slug, _, fitted_verdict, (hidden, passed) in outcomes:
        visible = sum(not h for _, h in _tests(slug))
        assert (fitted_verdict, hidden, passed) == ("wrong_answer", True, visible), slug


OTHER_LANGUAGES = sorted(
    (slug, language)
    for language, suffix in LANGUAGES.items()
    if language != "python"
    for slug in BANK
    if (ROOT / "data" / "solutions" / f"{slug}.{suffix}").is_file()
)


@pytest.mark.parametrize(("slug", "language"), OTHER_LANGUAGES)
def test_reference_solutions_in_other_languages_are_accepted(
    stack: LocalStack, slug: str, language: str
) -> None:
    source = (ROOT / "data" / "solutions" / f"{slug}.{LANGUAGES[language]}").read_text()
    judged = _judge(slug, language, source)
    assert judged.verdict == "accepted", (judged.compile_output, judged.failed)
