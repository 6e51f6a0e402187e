"""Matching: the request, its stored and public forms, the worker's message, callbacks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from common.catalogue import Difficulty, Language
from common.models import ApiInput, ApiModel, TopicSlug, unique_items
from common.users.models import PartnerRef

__all__ = [
    "MatchCreate",
    "MatchMessage",
    "MatchRequest",
    "MatchRequestDoc",
    "MatchStatus",
    "MatchTimeoutCallback",
    "MatchTimeoutResult",
]


# ---- matching ----------------------------------------------------------------------------------


class MatchCreate(ApiInput):
    """Ask for a partner: same difficulty and language, overlapping topics (empty: any)."""

    difficulty: Difficulty
    topics: Annotated[list[TopicSlug], Field(max_length=5), AfterValidator(unique_items)] = Field(
        default_factory=list
    )
    language: Language


MatchStatus = Literal["waiting", "matched", "cancelled", "timed_out"]


class MatchRequest(ApiModel):
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


class MatchRequestDoc(MatchRequest):
    """``matchRequests/{uid}`` as stored: the public fields and whose request it is."""

    uid: str


class MatchTimeoutCallback(ApiInput):
    """A Cloud Tasks callback: one stage of one match request."""

    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    stage: Literal["relax", "expire"]


class MatchTimeoutResult(ApiModel):
    """What a callback did."""

    outcome: str


class MatchMessage(ApiInput):
    """The message the worker receives: which request to look at."""

    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
