"""Pydantic models shared across the API: the camelCase base, errors, health and roles."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from common.catalogue import DIFFICULTIES, RESERVED_USERNAMES, TOPICS, Difficulty, Language

T = TypeVar("T")

__all__ = [
    "ApiInput",
    "ApiModel",
    "ApiPatch",
    "Attempt",
    "AttemptPage",
    "ErrorDetail",
    "ErrorOut",
    "Example",
    "HealthOut",
    "MatchIn",
    "MatchMessage",
    "MatchRequestOut",
    "MatchStatus",
    "MatchTimeoutIn",
    "MatchTimeoutOut",
    "Page",
    "PageQuery",
    "ParticipantInfo",
    "PartnerRef",
    "Profile",
    "ProfileCreate",
    "ProfileUpdate",
    "PublicProfile",
    "Question",
    "QuestionCreate",
    "QuestionPage",
    "QuestionRef",
    "QuestionSnapshot",
    "QuestionSummary",
    "QuestionUpdate",
    "QuestionsQuery",
    "ReadyOut",
    "RoleIn",
    "RoleOut",
    "SessionOut",
    "StarterCode",
    "Stats",
    "TopicCount",
    "TopicsOut",
]


class ApiModel(BaseModel):
    """Base of every response and stored model: camelCase on the wire, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_json_dict(self) -> dict[str, Any]:
        """Dump with camelCase keys, as JSON types."""
        return self.model_dump(mode="json", by_alias=True)


class ApiInput(ApiModel):
    """Base of every request body and query: an unknown key is an error, not a silent no-op;
    text is trimmed (code fields opt out)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApiPatch(ApiInput):
    """Base of partial updates: at least one field, and none of them null."""

    @model_validator(mode="after")
    def _something_to_change(self) -> ApiPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{to_camel(name)} cannot be null")
        return self


class ErrorDetail(ApiModel):
    """One failing field or item."""

    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str
    type: str | None = None


class ErrorBody(ApiModel):
    """The error itself: a stable code, a message for people, details."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorOut(ApiModel):
    """The body of every error response."""

    error: ErrorBody
    request_id: str


class HealthOut(ApiModel):
    """Liveness answer."""

    status: Literal["ok"]


class ReadyOut(ApiModel):
    """Readiness answer: each dependency and whether it answered."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


class RoleIn(ApiInput):
    """Grant (true) or revoke (false) the admin role."""

    admin: bool


class RoleOut(ApiModel):
    """A user's role after the change."""

    uid: str
    admin: bool


# ---- shared field types ------------------------------------------------------------------------


def _known_topic(slug: str) -> str:
    if slug not in TOPICS:
        raise ValueError(f"unknown topic {slug!r}; see GET /topics")
    return slug


def _unique_items(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


def _check_username(name: str) -> str:
    if name.lower() in RESERVED_USERNAMES:
        raise ValueError(f"{name!r} is reserved")
    return name


TopicSlug = Annotated[
    str,
    AfterValidator(_known_topic),
    WithJsonSchema({"type": "string", "enum": list(TOPICS)}),
]
Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=20, pattern=r"^[A-Za-z0-9_]+$"),
    AfterValidator(_check_username),
]
# A name shown to others: printable text, no control characters (NUL, newlines, escapes).
DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Proficiency = Literal["beginner", "intermediate", "advanced"]
PageLimit = Annotated[int, Field(ge=1, le=50)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class PageQuery(ApiInput):
    """Cursor paging: ``?limit=N&cursor=<nextCursor>``."""

    limit: PageLimit = 20
    cursor: Cursor | None = None


class Page(ApiModel, Generic[T]):
    """One page of a list and the cursor of the next (null on the last page)."""

    items: list[T]
    next_cursor: str | None


# ---- users -------------------------------------------------------------------------------------


class Stats(ApiModel):
    """Practice statistics, kept current as attempts are recorded."""

    sessions: int = 0
    minutes_practised: float = 0.0
    partners: int = 0
    questions_by_difficulty: dict[Difficulty, int] = Field(
        default_factory=lambda: dict.fromkeys(DIFFICULTIES, 0)
    )


class ProfileCreate(ApiInput):
    """Create one's own profile after signing up with Firebase Auth."""

    username: Username
    display_name: DisplayName | None = None
    preferred_language: Language = "python"
    proficiency: Proficiency = "beginner"


class ProfileUpdate(ApiPatch):
    """Change some of one's own profile fields."""

    username: Username | None = None
    display_name: DisplayName | None = None
    preferred_language: Language | None = None
    proficiency: Proficiency | None = None


class PublicProfile(ApiModel):
    """What any signed-in user may see of a profile: never the email."""

    username: str
    display_name: str
    preferred_language: Language
    proficiency: Proficiency
    stats: Stats
    created_at: AwareDatetime


class Profile(PublicProfile):
    """One's own profile."""

    uid: str
    email: str | None
    updated_at: AwareDatetime


class QuestionRef(ApiModel):
    """The question of a session, as attempts and sessions keep it."""

    id: str
    title: str
    difficulty: Difficulty
    topics: list[str]


class PartnerRef(ApiModel):
    """The other participant of a session."""

    uid: str
    username: str


class Attempt(ApiModel):
    """One finished session, as one participant's history records it."""

    session_id: str
    question: QuestionRef
    language: Language
    partner: PartnerRef
    started_at: AwareDatetime
    ended_at: AwareDatetime
    duration_s: float
    final_code: str


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
    list[TopicSlug], Field(min_length=1, max_length=10), AfterValidator(_unique_items)
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


class TopicsOut(ApiModel):
    """Every topic of the catalogue."""

    items: list[TopicCount]


AttemptPage = Page[Attempt]
QuestionPage = Page[QuestionSummary]


# ---- matching ----------------------------------------------------------------------------------


class MatchIn(ApiInput):
    """Ask for a partner: same difficulty and language, overlapping topics (empty: any)."""

    difficulty: Difficulty
    topics: Annotated[list[TopicSlug], Field(max_length=5), AfterValidator(_unique_items)] = Field(
        default_factory=list
    )
    language: Language


MatchStatus = Literal["waiting", "matched", "cancelled", "timed_out"]


class MatchRequestOut(ApiModel):
    """The caller's match request: clients listen to ``matchRequests/{uid}`` for changes."""

    request_id: str
    status: MatchStatus
    difficulty: Difficulty
    topics: list[str]
    language: Language
    relaxed: bool
    created_at: AwareDatetime
    relax_at: AwareDatetime
    expires_at: AwareDatetime
    session_id: str | None = None
    partner: PartnerRef | None = None
    ended_at: AwareDatetime | None = None
    # Why a request ended without a match: ``no_partner`` or ``no_question``, and in words.
    reason: Literal["no_partner", "no_question"] | None = None
    reason_message: str | None = None


class MatchTimeoutIn(ApiInput):
    """A Cloud Tasks callback: one stage of one match request."""

    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    stage: Literal["relax", "expire"]


class MatchTimeoutOut(ApiModel):
    """What a callback did."""

    outcome: str


class MatchMessage(ApiInput):
    """The message the worker receives: which request to look at."""

    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


# ---- sessions ----------------------------------------------------------------------------------


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


class ParticipantInfo(ApiModel):
    """What a session shows of a participant."""

    username: str


class SessionOut(ApiModel):
    """A session with its current merged code."""

    id: str
    participants: list[str]
    participant_info: dict[str, ParticipantInfo]
    question: QuestionSnapshot
    language: Language
    status: Literal["active", "ended"]
    left_by: list[str]
    created_at: AwareDatetime
    last_activity_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    snapshot_at: AwareDatetime | None = None
    code: str
