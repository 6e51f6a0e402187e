"""The question bank: questions, topics, the snapshot a session keeps."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from common.catalogue import Difficulty
from common.judging.signature import JudgeTest, Signature, check_test
from common.models import ApiInput, ApiModel, ApiPatch, Page, PageQuery, TopicSlug, unique_items

__all__ = [
    "CodeText",
    "Constraints",
    "Description",
    "Example",
    "Examples",
    "Question",
    "QuestionCreate",
    "QuestionPage",
    "QuestionRef",
    "QuestionSnapshot",
    "QuestionSummary",
    "QuestionTest",
    "QuestionTests",
    "QuestionUpdate",
    "QuestionsQuery",
    "StarterCode",
    "Title",
    "TopicCount",
    "TopicList",
    "Topics",
]


# ---- tests -------------------------------------------------------------------------------------

MAX_TEST_CHARS = 200_000
# questionTests/{id} stays well below Firestore's 1 MiB document limit.
MAX_TESTS_CHARS = 800_000
JsonText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEST_CHARS, strip_whitespace=False)
]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError("must be JSON text") from None


class QuestionTest(ApiInput):
    """A judged call, as JSON text: its arguments (an array, one per parameter) and the answer.

    Text rather than nested arrays, which Firestore cannot store.
    """

    args: JsonText
    expected: JsonText

    @model_validator(mode="after")
    def _json_values(self) -> QuestionTest:
        if not isinstance(_json(self.args), list):
            raise ValueError("args: must be a JSON array with one value per parameter")
        _json(self.expected)
        return self

    @classmethod
    def of(cls, test: JudgeTest) -> QuestionTest:
        """Return the stored form of a structured test."""
        return cls(
            args=json.dumps(test.args, separators=(",", ":"), ensure_ascii=False),
            expected=json.dumps(test.expected, separators=(",", ":"), ensure_ascii=False),
        )

    def parsed(self) -> JudgeTest:
        """Return the test's values."""
        return JudgeTest(args=json.loads(self.args), expected=json.loads(self.expected))


def check_tests(signature: Signature | None, tests: list[QuestionTest], where: str) -> None:
    """Raise ValueError unless every test fits the signature."""
    if tests and signature is None:
        raise ValueError(f"{where}: tests need the question's signature")
    for index, test in enumerate(tests):
        try:
            values = test.parsed()
            check_test(signature, values.args, values.expected)  # type: ignore[arg-type]
        except ValueError as error:
            raise ValueError(f"{where}[{index}]: {error}") from None


class QuestionTests(ApiInput):
    """The hidden tests of a question (``questionTests/{id}``), read and written by admins."""

    tests: Annotated[list[QuestionTest], Field(max_length=100)]

    @model_validator(mode="after")
    def _bounded(self) -> QuestionTests:
        if sum(len(test.args) + len(test.expected) for test in self.tests) > MAX_TESTS_CHARS:
            raise ValueError(f"tests: more than {MAX_TESTS_CHARS} characters in all")
        return self


# ---- questions ---------------------------------------------------------------------------------


class Example(ApiInput):
    """An input, its expected output, and optionally why; ``test`` is the same as a judged call."""

    input: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    output: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    explanation: Annotated[str, StringConstraints(max_length=2000)] | None = None
    test: QuestionTest | None = None


def check_judging(signature: Signature | None, examples: list[Example]) -> None:
    """Raise ValueError unless the examples' tests fit the signature (every one has a test)."""
    tests = [example.test for example in examples if example.test is not None]
    if signature is not None and len(tests) != len(examples):
        raise ValueError("examples: with a signature, every example needs its test")
    check_tests(signature, tests, "examples.test")


CodeText = Annotated[
    str, StringConstraints(min_length=1, max_length=10_000, strip_whitespace=False)
]


class StarterCode(ApiInput):
    """Starter code in every language a session may use."""

    python: CodeText
    javascript: CodeText
    java: CodeText
    cpp: CodeText


def _sluggable(title: str) -> str:
    if not any(character.isascii() and character.isalnum() for character in title):
        raise ValueError("needs at least one letter or digit (A-Z, 0-9) to make its slug")
    return title


Title = Annotated[str, StringConstraints(min_length=3, max_length=120), AfterValidator(_sluggable)]
Description = Annotated[
    str, StringConstraints(min_length=1, max_length=20_000, strip_whitespace=False)
]
Topics = Annotated[
    list[TopicSlug], Field(min_length=1, max_length=10), AfterValidator(unique_items)
]
Examples = Annotated[list[Example], Field(min_length=1, max_length=20)]
Constraints = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=500)]],
    Field(min_length=1, max_length=30),
]


class QuestionCreate(ApiInput):
    """A new question for the bank."""

    title: Title
    description: Description
    difficulty: Difficulty
    topics: Topics
    examples: Examples
    constraints: Constraints
    starter_code: StarterCode
    signature: Signature | None = None

    @model_validator(mode="after")
    def _judgeable(self) -> QuestionCreate:
        check_judging(self.signature, self.examples)
        return self


class QuestionUpdate(ApiPatch):
    """Change some fields of a question."""

    title: Title | None = None
    description: Description | None = None
    difficulty: Difficulty | None = None
    topics: Topics | None = None
    examples: Examples | None = None
    constraints: Constraints | None = None
    starter_code: StarterCode | None = None
    signature: Signature | None = None


class QuestionSummary(ApiModel):
    """A question as lists show it."""

    id: str
    slug: str
    title: str
    difficulty: Difficulty
    topics: list[str]


class Question(QuestionCreate):
    """A question of the bank."""

    model_config = ConfigDict(extra="ignore")

    id: str
    slug: str
    created_at: AwareDatetime
    updated_at: AwareDatetime


class QuestionsQuery(PageQuery):
    """Filters of GET /questions: all of them must hold; ``topic`` matches any of its values."""

    difficulty: Difficulty | None = None
    topic: Annotated[list[TopicSlug], Field(max_length=10)] = Field(default_factory=list)
    text: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class TopicCount(ApiModel):
    """A topic and how many questions of each difficulty carry it."""

    slug: str
    name: str
    counts: dict[Difficulty, int]
    total: int


class TopicList(ApiModel):
    """Every topic of the catalogue."""

    items: list[TopicCount]


QuestionPage = Page[QuestionSummary]


class QuestionSnapshot(ApiModel):
    """The question as a session keeps it, with the starter code of the session's language."""

    id: str
    title: str
    slug: str
    description: str
    difficulty: Difficulty
    topics: list[str]
    examples: list[Example]
    constraints: list[str]
    starter_code: str


class QuestionRef(ApiModel):
    """The question of a session, as attempts and sessions keep it."""

    id: str
    title: str
    difficulty: Difficulty
    topics: list[str]
