"""Domain logic for users: profiles, unique usernames, roles, attempts and their stats.

Firestore layout (DESIGN.md section 2): ``users/{uid}`` holds the profile and its stats,
``usernames/{lowercased}`` reserves a username for one uid, ``users/{uid}/attempts/{sessionId}``
records finished sessions. Usernames are reserved inside the same transaction that writes the
profile, so two racing sign-ups cannot both win and a rename frees the old name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.auth import AuthUser, firebase_app
from common.catalogue import DIFFICULTIES
from common.clients import checked_id, firestore_client
from common.errors import ApiError, ErrorCode
from common.firestore import now, transactional
from common.logs import get_logger
from common.models import Page
from common.paging import decode_cursor, encode_cursor
from common.users.models import (
    Attempt,
    Profile,
    ProfileCreate,
    ProfilePublic,
    ProfileUpdate,
    Stats,
    Submission,
)

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Transaction

__all__ = [
    "MatchProfile",
    "create_profile",
    "delete_account",
    "get_profile",
    "get_public_profile",
    "list_attempts",
    "match_profiles",
    "note_submission",
    "profile_exists",
    "record_attempt",
    "set_admin_role",
    "update_profile",
]

_log = get_logger(__name__)
_DELETE_BATCH = 200
_UPDATE_ATTEMPTS = 5


def _user_ref(uid: str) -> DocumentReference:
    return firestore_client().collection("users").document(uid)


def _username_ref(username: str) -> DocumentReference:
    return firestore_client().collection("usernames").document(username.lower())


def _profile(uid: str, data: dict[str, Any]) -> Profile:
    return Profile.model_validate(
        {
            "uid": uid,
            "username": data["username"],
            "displayName": data["displayName"],
            "email": data.get("email"),
            "preferredLanguage": data["preferredLanguage"],
            "proficiency": data["proficiency"],
            "stats": data.get("stats") or {},
            "createdAt": data["createdAt"],
            "updatedAt": data["updatedAt"],
        }
    )


def _taken(username: str) -> ApiError:
    return ApiError(
        ErrorCode.USERNAME_TAKEN,
        f"The username {username!r} is taken",
        details=[{"field": "username", "message": "taken", "type": "username_taken"}],
    )


def create_profile(*, user: AuthUser, data: ProfileCreate) -> Profile:
    """Create the caller's profile and reserve its username, all or nothing.

    One batch of two ``create`` writes: Firestore applies both or neither, and a taken name or
    an existing profile fails its precondition. Racing sign-ups take no locks and never retry,
    so exactly one of them wins however many race.
    """
    from google.api_core import exceptions as google_exceptions

    client = firestore_client()
    at = now()
    document: dict[str, Any] = {
        "username": data.username,
        "displayName": data.display_name or data.username,
        "email": user.email,
        "preferredLanguage": data.preferred_language,
        "proficiency": data.proficiency,
        "stats": Stats().model_dump(by_alias=True),
        "partnerUids": [],
        "attemptedQuestionIds": [],
        "createdAt": at,
        "updatedAt": at,
    }
    batch = client.batch()
    batch.create(_username_ref(data.username), {"uid": user.uid})
    batch.create(_user_ref(user.uid), document)
    try:
        batch.commit()
    except (google_exceptions.AlreadyExists, google_exceptions.FailedPrecondition):
        if _user_ref(user.uid).get().exists:
            raise ApiError(ErrorCode.ALREADY_EXISTS, "You already have a profile") from None
        raise _taken(data.username) from None
    _log.info("profile created", extra={"event": "profile_created", "uid": user.uid})
    return _profile(user.uid, document)


def get_profile(*, uid: str) -> Profile:
    """Return a user's own profile (404 if it has none yet)."""
    snapshot = _user_ref(uid).get()
    if not snapshot.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "No profile yet: create one with POST /users")
    return _profile(uid, snapshot.to_dict() or {})


def get_public_profile(*, username: str) -> ProfilePublic:
    """Return the public face of the profile owning ``username`` (any case)."""
    name_snapshot = _username_ref(checked_id(username.lower(), what="user")).get()
    profile_snapshot = _user_ref(name_snapshot.get("uid")).get() if name_snapshot.exists else None
    if profile_snapshot is None or not profile_snapshot.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "No user has this username")
    profile = _profile(profile_snapshot.id, profile_snapshot.to_dict() or {})
    return ProfilePublic.model_validate(profile.model_dump(include=set(ProfilePublic.model_fields)))


def update_profile(*, uid: str, changes: ProfileUpdate) -> Profile:
    """Apply the given changes; a new username is reserved and the old one freed atomically.

    The batch is guarded by preconditions (the new name does not exist, the profile did not
    change since it was read) rather than locks; a concurrent change of the profile is retried.
    """
    from google.api_core import exceptions as google_exceptions

    client = firestore_client()
    for _ in range(_UPDATE_ATTEMPTS):
        snapshot = _user_ref(uid).get()
        if not snapshot.exists:
            raise ApiError(ErrorCode.NOT_FOUND, "No profile yet: create one with POST /users")
        current = snapshot.to_dict() or {}
        update: dict[str, Any] = changes.model_dump(by_alias=True, exclude_unset=True)
        update["updatedAt"] = now()
        old_name = str(current["username"])
        new_name = changes.username
        batch = client.batch()
        renamed = new_name is not None and new_name.lower() != old_name.lower()
        if renamed:
            assert new_name is not None
            batch.create(_username_ref(new_name), {"uid": uid})
            batch.delete(_username_ref(old_name))
        batch.update(
            _user_ref(uid),
            update,
            option=client.write_option(last_update_time=snapshot.update_time),
        )
        try:
            batch.commit()
        except (google_exceptions.AlreadyExists, google_exceptions.FailedPrecondition):
            if renamed and new_name is not None:
                holder = _username_ref(new_name).get()
                if holder.exists and holder.get("uid") != uid:
                    raise _taken(new_name) from None
            continue  # the profile changed meanwhile: read it again
        return _profile(uid, {**current, **update})
    raise ApiError(ErrorCode.CONFLICT, "The profile is being changed elsewhere; retry")


def delete_account(*, user: AuthUser) -> None:
    """Delete the caller's attempts, profile, username and Auth account.

    Safe to call again after a partial failure: each step skips what is already gone.
    """
    from firebase_admin import auth as firebase_auth

    client = firestore_client()
    attempts = _user_ref(user.uid).collection("attempts")
    while True:
        batch = client.batch()
        snapshots = list(attempts.limit(_DELETE_BATCH).stream())
        for snapshot in snapshots:
            batch.delete(snapshot.reference)
        if not snapshots:
            break
        batch.commit()

    @transactional("users.account.delete")
    def _delete(transaction: Transaction) -> None:
        profile_snapshot = _user_ref(user.uid).get(transaction=transaction)
        if profile_snapshot.exists:
            name_ref = _username_ref(str(profile_snapshot.get("username")))
            name_snapshot = name_ref.get(transaction=transaction)
            if name_snapshot.exists and name_snapshot.get("uid") == user.uid:
                transaction.delete(name_ref)
            transaction.delete(profile_snapshot.reference)

    _delete(client.transaction())
    with contextlib.suppress(firebase_auth.UserNotFoundError):
        firebase_auth.delete_user(user.uid, app=firebase_app())
    _log.info("account deleted", extra={"event": "account_deleted", "uid": user.uid})


def profile_exists(uid: str) -> bool:
    """Tell whether the user has created a profile."""
    return bool(_user_ref(uid).get().exists)


@dataclass(frozen=True)
class MatchProfile:
    """What matching needs of a user: the name partners see, the questions to avoid."""

    username: str
    attempted_question_ids: frozenset[str]


def match_profiles(uids: Iterable[str]) -> dict[str, MatchProfile]:
    """Return the profiles of these users (a user without one is shown by its uid)."""
    wanted = list(uids)
    found = {
        snapshot.id: snapshot.to_dict() or {}
        for snapshot in firestore_client().get_all([_user_ref(uid) for uid in wanted])
        if snapshot.exists
    }
    return {
        uid: MatchProfile(
            username=str(found.get(uid, {}).get("username") or uid),
            attempted_question_ids=frozenset(found.get(uid, {}).get("attemptedQuestionIds") or ()),
        )
        for uid in wanted
    }


def list_attempts(*, uid: str, limit: int, cursor: str | None) -> Page[Attempt]:
    """Return the user's attempts, newest first, one page at a time."""
    from google.cloud import firestore
    from google.cloud.firestore_v1.field_path import FieldPath

    attempts = _user_ref(uid).collection("attempts")
    query = attempts.order_by("endedAt", direction=firestore.Query.DESCENDING).order_by(
        FieldPath.document_id(), direction=firestore.Query.DESCENDING
    )
    if cursor:
        position = decode_cursor(cursor, keys={"endedAt", "id"})
        try:
            ended_at = dt.datetime.fromisoformat(str(position["endedAt"]))
        except ValueError:
            raise ApiError(
                ErrorCode.BAD_REQUEST, "cursor: not a cursor this list returned"
            ) from None

        query = query.start_after([ended_at, attempts.document(str(position["id"]))])
    snapshots = list(query.limit(limit + 1).stream())
    items = [Attempt.model_validate(snapshot.to_dict()) for snapshot in snapshots[:limit]]
    next_cursor = None
    if len(snapshots) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"endedAt": last.ended_at.isoformat(), "id": last.session_id})
    return Page[Attempt](items=items, next_cursor=next_cursor)


# The most recent question ids and partner uids a profile keeps (matching avoids the questions).
RECENT_KEPT = 500


def _recent(items: list[str], latest: str) -> list[str]:
    """Return ``items`` with ``latest`` moved or added last, keeping the last RECENT_KEPT."""
    kept = [item for item in items if item != latest][-(RECENT_KEPT - 1) :]
    return [*kept, latest]


def record_attempt(*, uid: str, attempt: Attempt) -> bool:
    """Record a finished session in the user's history and stats, once per session.

    Returns False when this session was already recorded (or the profile is gone).
    """

    client = firestore_client()
    attempt_ref = _user_ref(uid).collection("attempts").document(attempt.session_id)

    @transactional("users.attempt.record")
    def _record(transaction: Transaction) -> bool:
        profile_snapshot = _user_ref(uid).get(transaction=transaction)
        attempt_snapshot = attempt_ref.get(transaction=transaction)
        if attempt_snapshot.exists or not profile_snapshot.exists:
            return False
        profile = profile_snapshot.to_dict() or {}
        stats = Stats.model_validate(profile.get("stats") or {})
        partners = list(profile.get("partnerUids") or [])
        seen = list(profile.get("attemptedQuestionIds") or [])
        stats.sessions += 1
        stats.minutes_practised = round(stats.minutes_practised + attempt.duration_s / 60, 2)
        if attempt.partner.uid not in partners:
            stats.partners += 1
        if attempt.question.id not in seen:
            difficulty = attempt.question.difficulty
            stats.questions_by_difficulty[difficulty] = (
                stats.questions_by_difficulty.get(difficulty, 0) + 1
            )
        # Both lists keep the most recent only, so a profile never outgrows its document: the
        # counts stay exact while the lists hold everything, and count anew what dropped out.
        partners = _recent(partners, attempt.partner.uid)
        seen = _recent(seen, attempt.question.id)
        for difficulty in DIFFICULTIES:
            stats.questions_by_difficulty.setdefault(difficulty, 0)
        transaction.create(attempt_ref, attempt.model_dump(by_alias=True))
        transaction.update(
            profile_snapshot.reference,
            {
                "stats": stats.model_dump(by_alias=True),
                "partnerUids": partners,
                "attemptedQuestionIds": seen,
                "updatedAt": now(),
            },
        )
        return True

    recorded: bool = _record(client.transaction())
    return recorded


def note_submission(*, uid: str, session_id: str, submission: Submission) -> bool:
    """Put a submission's verdict on the user's attempt, if recorded and not newer already."""

    reference = _user_ref(uid).collection("attempts").document(session_id)

    @transactional("users.submission.note")
    def _note(transaction: Transaction) -> bool:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            return False
        held = (snapshot.to_dict() or {}).get("submission")
        if held and Submission.model_validate(held).submitted_at >= submission.submitted_at:
            return False
        transaction.update(reference, {"submission": submission.model_dump(by_alias=True)})
        return True

    noted: bool = _note(firestore_client().transaction())
    return noted


def set_admin_role(*, uid: str, admin: bool) -> None:
    """Set or clear the ``admin`` custom claim, keeping the user's other claims.

    Clearing it also revokes the user's refresh tokens: an ID token minted before still carries
    ``admin: true`` for up to an hour, and only revocation makes the API refuse it at once.
    """
    from firebase_admin import auth as firebase_auth

    app = firebase_app()
    try:
        user = firebase_auth.get_user(uid, app=app)
    except (firebase_auth.UserNotFoundError, ValueError):
        raise ApiError(ErrorCode.NOT_FOUND, "No user has this uid") from None
    claims = dict(user.custom_claims or {})
    if admin:
        claims["admin"] = True
    else:
        claims.pop("admin", None)
    firebase_auth.set_custom_user_claims(uid, claims or None, app=app)
    if not admin and user.custom_claims and user.custom_claims.get("admin"):
        firebase_auth.revoke_refresh_tokens(uid, app=app)
    _log.info(
        "admin role changed", extra={"event": "admin_role_changed", "uid": uid, "admin": admin}
    )
