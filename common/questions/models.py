"""The question bank: questions, topics, the snapshot a session keeps."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints

from common.catalogue import Difficulty
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
    "QuestionUpdate",
    "QuestionsQuery",
    "StarterCode",
    "Title",
    "TopicCount",
    "TopicList",
    "Topics",
]


# ---- questions ---------------------------------------------------------------------------------


class Example(ApiInput):
    """An input, its expected output, and optionally why."""

    input: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    output: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    explanation: Annotated[str, StringConstraints(max_length=2000)] | None = None


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


class QuestionUpdate(ApiPatch):
    """Change some fields of a question."""

    title: Title | None = None
    description: Description | None = None
    difficulty: Difficulty | None = None
    topics: Topics | None = None
    examples: Examples | None = None
    constraints: Constraints | None = None
    starter_code: StarterCode | None = None


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
