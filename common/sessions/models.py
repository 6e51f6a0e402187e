"""Sessions: the stored document and the public form of a session."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from common.catalogue import Language
from common.models import ApiInput, ApiModel
from common.questions.models import QuestionSnapshot
from common.users.models import Submission

__all__ = ["LanguageUpdate", "ParticipantInfo", "Session", "SessionBase", "SessionDoc"]


class ParticipantInfo(ApiModel):
    """What a session shows of a participant."""

    username: str


class SessionBase(ApiModel):
    """What every form of a session shares."""

    participants: list[str]
    participant_info: dict[str, ParticipantInfo]
    question: QuestionSnapshot
    language: Language
    status: Literal["active", "ended"]
    left_by: list[str] = Field(default_factory=list)
    created_at: AwareDatetime
    last_activity_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    snapshot_at: AwareDatetime | None = None
    submission: Submission | None = None


class SessionDoc(SessionBase):
    """``sessions/{id}`` as stored: the compacted Yjs state and when each participant left."""

    snapshot: bytes = b""
    snapshot_version: int = 0
    left_at: dict[str, AwareDatetime] = Field(default_factory=dict)
    match_request_ids: dict[str, str] = Field(default_factory=dict)
    end_reason: str | None = None


class Session(SessionBase):
    """A session with its current merged code."""

    id: str
    code: str


class LanguageUpdate(ApiInput):
    """Switch the session's language for both partners."""

    language: Language
