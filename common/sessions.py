"""Collaboration sessions: read with the merged code, leave, record attempts, compact, end.

Firestore layout (DESIGN.md section 2): ``sessions/{id}`` holds the participants, the question
snapshot, the status and ``snapshot`` (a merged Yjs state) with ``snapshotAt`` and
``snapshotVersion``; clients append Yjs updates to ``sessions/{id}/updates`` and chat in
``messages``, as ``firestore.rules`` allows.

A client joins by reading the session, then the updates with ``createdAt >= snapshotAt``, then
the session again: if ``snapshotVersion`` moved meanwhile, a compaction ran and it starts over.
Applying an update twice is harmless in Yjs.

Compaction (the y-redis pattern): merge the snapshot with the updates older than a grace period,
write the new snapshot if no other compaction won meanwhile, then delete exactly the updates it
read. An update written while it runs is not among them, so it is never lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.clients import checked_id, firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger
from common.models import Attempt, SessionOut
from common.users import record_attempt

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, DocumentSnapshot, Transaction

    Snapshot = DocumentSnapshot[DocumentReference]

__all__ = [
    "Compaction",
    "active_session",
    "compact_session",
    "end_session",
    "get_session",
    "leave_session",
    "merged_state",
    "participant_session",
]

_log = get_logger(__name__)
_COMPACT_BATCH = 400
_DELETE_BATCH = 400
_TRANSACTION_ATTEMPTS = 10


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _session_ref(session_id: str) -> DocumentReference:
    return firestore_client().collection("sessions").document(session_id)


def participant_session(session_id: str, uid: str) -> dict[str, Any]:
    """Return a session's data if ``uid`` takes part in it (404 unknown, 403 outsider)."""
    snapshot = _session_ref(checked_id(session_id, what="session")).get()
    if not snapshot.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "No session has this id")
    data = snapshot.to_dict() or {}
    if uid not in data.get("participants", []):
        raise ApiError(ErrorCode.PERMISSION_DENIED, "You are not a participant of this session")
    return data


def merged_state(session_id: str, data: dict[str, Any]) -> tuple[bytes, int]:
    """Return the session's state (snapshot merged with every update) and the update count."""
    from common.collab import merge

    updates = _session_ref(session_id).collection("updates").order_by("createdAt").stream()
    parts = [bytes(data.get("snapshot") or b"")]
    count = 0
    for update in updates:
        parts.append(bytes(update.get("update")))
        count += 1
    return merge(parts), count


def _out(session_id: str, data: dict[str, Any], code: str) -> SessionOut:
    fields = {key: value for key, value in data.items() if key != "snapshot"}
    return SessionOut.model_validate({**fields, "id": session_id, "code": code})


def _code_and_maybe_compact(session_id: str, data: dict[str, Any]) -> str:
    from common.collab import text_of

    state, count = merged_state(session_id, data)
    if count > get_settings().compaction_threshold:
        try:
            compact_session(session_id)
        except Exception:
            # Compaction only saves space; reading must not fail because of it.
            _log.exception("compaction failed", extra={"sessionId": session_id})
    return text_of(state)


def get_session(*, session_id: str, uid: str) -> SessionOut:
    """Return a session the caller takes part in, with its current code."""
    data = participant_session(session_id, uid)
    return _out(session_id, data, _code_and_maybe_compact(session_id, data))


def active_session(*, uid: str) -> SessionOut:
    """Return the caller's active session, which it has not left (404 if none)."""
    request = firestore_client().collection("matchRequests").document(uid).get()
    session_id = request.get("sessionId") if request.exists else None
    if session_id:
        snapshot = _session_ref(str(session_id)).get()
        data = snapshot.to_dict() or {} if snapshot.exists else {}
        if data.get("status") == "active" and uid not in data.get("leftBy", []):
            return _out(snapshot.id, data, _code_and_maybe_compact(snapshot.id, data))
    raise ApiError(ErrorCode.NOT_FOUND, "You are in no active session")


def _attempt(session_id: str, data: dict[str, Any], uid: str, code: str) -> Attempt:
    partner = next(other for other in data["participants"] if other != uid)
    question = data["question"]
    started: dt.datetime = data["createdAt"]
    ended: dt.datetime = data["leftAt"][uid]
    return Attempt.model_validate(
        {
            "sessionId": session_id,
            "question": {key: question[key] for key in ("id", "title", "difficulty", "topics")},
            "language": data["language"],
            "partner": {"uid": partner, "username": data["participantInfo"][partner]["username"]},
            "startedAt": started,
            "endedAt": ended,
            "durationS": round(max(0.0, (ended - started).total_seconds()), 3),
            "finalCode": code,
        }
    )


def _record_attempts(session_id: str, data: dict[str, Any], uids: list[str]) -> str:
    """Record the attempts of ``uids`` with the session's current code, and return the code."""
    from common.collab import text_of

    state, _ = merged_state(session_id, data)
    code = text_of(state)
    for uid in uids:
        record_attempt(uid=uid, attempt=_attempt(session_id, data, uid, code))
    return code


@dataclass
class _Leave:
    data: dict[str, Any]
    ended_now: bool


def leave_session(*, session_id: str, uid: str) -> SessionOut:
    """Leave a session: the partner sees ``leftBy``; the last one out ends it. Idempotent."""
    from google.cloud import firestore

    participant_session(session_id, uid)
    reference = _session_ref(session_id)

    @firestore.transactional
    def _leave(transaction: Transaction) -> _Leave:
        snapshot = reference.get(transaction=transaction)
        data = snapshot.to_dict() or {}
        left_by: list[str] = list(data.get("leftBy") or [])
        left_at: dict[str, Any] = dict(data.get("leftAt") or {})
        if uid in left_by:
            return _Leave(data, ended_now=False)
        now = _now()
        left_by.append(uid)
        left_at[uid] = now
        update: dict[str, Any] = {"leftBy": left_by, "leftAt": left_at, "lastActivityAt": now}
        ended_now = data.get("status") == "active" and set(left_by) >= set(data["participants"])
        if ended_now:
            update.update(status="ended", endedAt=now)
        transaction.update(reference, update)
        return _Leave({**data, **update}, ended_now)

    result: _Leave = _leave(firestore_client().transaction(max_attempts=_TRANSACTION_ATTEMPTS))
    # Recording is idempotent per session: a second leave (or a crash before this) records once.
    code = _record_attempts(session_id, result.data, [uid])
    if result.ended_now:
        _log.info(
            "session ended",
            extra={"event": "session_ended", "sessionId": session_id, "reason": "left"},
        )
        _safe_compact(session_id)
    return _out(session_id, result.data, code)


def end_session(*, session_id: str, reason: str) -> bool:
    """End an active session for everyone still in it, recording their attempts.

    Returns False when the session had already ended.
    """
    from google.cloud import firestore

    reference = _session_ref(session_id)

    @firestore.transactional
    def _end(transaction: Transaction) -> tuple[bool, dict[str, Any], list[str]]:
        snapshot = reference.get(transaction=transaction)
        data = snapshot.to_dict() or {}
        if not snapshot.exists or data.get("status") != "active":
            return False, data, []
        now = _now()
        left_at: dict[str, Any] = dict(data.get("leftAt") or {})
        remaining = [uid for uid in data["participants"] if uid not in left_at]
        for uid in remaining:
            left_at[uid] = now
        update = {"status": "ended", "endedAt": now, "leftAt": left_at, "endReason": reason}
        transaction.update(reference, update)
        return True, {**data, **update}, remaining

    outcome: tuple[bool, dict[str, Any], list[str]] = _end(
        firestore_client().transaction(max_attempts=_TRANSACTION_ATTEMPTS)
    )
    ended, data, remaining = outcome
    if ended and remaining:
        _record_attempts(session_id, data, remaining)
        _log.info(
            "session ended",
            extra={"event": "session_ended", "sessionId": session_id, "reason": reason},
        )
        _safe_compact(session_id)
    return ended


def _safe_compact(session_id: str) -> None:
    try:
        compact_session(session_id)
    except Exception:
        _log.exception("compaction failed", extra={"sessionId": session_id})


@dataclass(frozen=True)
class Compaction:
    """What one compaction did."""

    merged: int
    deleted: int
    version: int


def compact_session(session_id: str, *, grace_s: float | None = None) -> Compaction:
    """Fold the updates older than the grace period into the snapshot, then delete exactly those.

    If another compaction wrote a snapshot meanwhile, this one writes and deletes nothing.
    """
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter

    from common.collab import merge

    grace = get_settings().compaction_grace_s if grace_s is None else grace_s
    client = firestore_client()
    reference = _session_ref(session_id)
    session = reference.get()
    if not session.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "No session has this id")
    data = session.to_dict() or {}
    version = int(data.get("snapshotVersion") or 0)
    cutoff = _now() - dt.timedelta(seconds=grace)
    read = list(
        reference.collection("updates")
        .where(filter=FieldFilter("createdAt", "<=", cutoff))
        .order_by("createdAt")
        .limit(_COMPACT_BATCH)
        .stream()
    )
    if not read:
        return Compaction(merged=0, deleted=0, version=version)
    state = merge([bytes(data.get("snapshot") or b""), *(bytes(u.get("update")) for u in read)])
    snapshot_at = max(u.get("createdAt") for u in read)

    @firestore.transactional
    def _write(transaction: Transaction) -> bool:
        current = reference.get(transaction=transaction)
        if int(current.get("snapshotVersion") or 0) != version:
            return False
        transaction.update(
            reference,
            {"snapshot": state, "snapshotAt": snapshot_at, "snapshotVersion": version + 1},
        )
        return True

    if not _write(client.transaction(max_attempts=_TRANSACTION_ATTEMPTS)):
        return Compaction(merged=0, deleted=0, version=version)
    for start in range(0, len(read), _DELETE_BATCH):
        batch = client.batch()
        for update in read[start : start + _DELETE_BATCH]:
            batch.delete(update.reference)
        batch.commit()
    _log.info(
        "session compacted",
        extra={
            "event": "session_compacted",
            "sessionId": session_id,
            "updates": len(read),
            "snapshotBytes": len(state),
        },
    )
    return Compaction(merged=len(read), deleted=len(read), version=version + 1)
