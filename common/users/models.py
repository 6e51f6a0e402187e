"""Users: profiles, roles, attempts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from common.catalogue import DIFFICULTIES, RESERVED_USERNAMES, Difficulty, Language
from common.models import ApiInput, ApiModel, ApiPatch, Page
from common.questions.models import QuestionRef

__all__ = [
    "Attempt",
    "AttemptPage",
    "DisplayName",
    "PartnerRef",
    "Proficiency",
    "Profile",
    "ProfileCreate",
    "ProfilePublic",
    "ProfileUpdate",
    "Role",
    "RoleUpdate",
    "Stats",
    "Submission",
    "Username",
]


class RoleUpdate(ApiInput):
    """Grant (true) or revoke (false) the admin role."""

    admin: bool


class Role(ApiModel):
    """A user's role after the change."""

    uid: str
    admin: bool


def _check_username(name: str) -> str:
    if name.lower() in RESERVED_USERNAMES:
        raise ValueError(f"{name!r} is reserved")
    return name


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


class ProfilePublic(ApiModel):
    """What any signed-in user may see of a profile: never the email."""

    username: str
    display_name: str
    preferred_language: Language
    proficiency: Proficiency
    stats: Stats
    created_at: AwareDatetime


class Profile(ProfilePublic):
    """One's own profile."""

    uid: str
    email: str | None
    updated_at: AwareDatetime


class PartnerRef(ApiModel):
    """The other participant of a session."""

    uid: str
    username: str


class Submission(ApiModel):
    """The verdict of a session's latest submission, kept by the session and both attempts."""

    run_id: str
    verdict: str
    passed: int
    total: int
    language: Language
    submitted_by: str
    submitted_at: AwareDatetime


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
    submission: Submission | None = None


AttemptPage = Page[Attempt]
