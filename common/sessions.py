"""Collaboration sessions: read with the merged code, leave, record attempts, compact, end.

Firestore layout (DESIGN.md section 2): ``sessions/{id}`` holds the participants, the question
snapshot, the status and ``snapshot`` (a merged Yjs state) with ``snapshotAt`` and
``snapshotVersion``; clients append Yjs updates to ``sessions/{id}/updates`` and chat in
``messages``, as ``firestore.rules`` allows.

A client joins by reading the session, then the updates with ``createdAt >= snapshotAt``, then
the session again: if ``snapshotVersion`` moved meanwhile, a compaction ran and it starts over.
Applying an update twice is harmless in Yjs.

Nothing a client writes breaks a session: the server decodes each update on its own and sets
aside (logs and skips) one it cannot use, undecodable or growing the code past
``collab.MAX_CODE_BYTES``; everything else carries on without it. A participant in ``leftBy`` is
out of the session: ``require_in_session`` refuses it, as the rules refuse its writes.

Compaction (the y-redis pattern): merge the snapshot with the updates older than a grace period,
write the new snapshot if no other compaction won meanwhile, then delete exactly the updates it
merged. An update written while it runs is not among them, so it is never lost; one it set aside
stays in the log. The newest update it folds counts as the session's activity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.clients import checked_id, firestore_client
from common.collab import Folded, fold
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
    "SessionCode",
    "SetAsideUpdate",
    "active_session",
    "compact_session",
    "end_session",
    "get_session",
    "leave_session",
    "participant_session",
    "require_in_session",
    "session_code",
]

_log = get_logger(__name__)
_COMPACT_BATCH = 500
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


def require_in_session(data: dict[str, Any], uid: str) -> None:
    """Refuse (403) a participant who left the session, or anyone once it has ended."""
    if uid in (data.get("leftBy") or []):
        raise ApiError(ErrorCode.PERMISSION_DENIED, "You have left this session")
    if data.get("status") != "active":
        raise ApiError(ErrorCode.PERMISSION_DENIED, "This session has ended")


@dataclass(frozen=True)
class SetAsideUpdate:
    """An update of the log the server could not use."""

    update_id: str
    author: str
    reason: str


@dataclass(frozen=True)
class SessionCode:
    """A session's document as the server reads it: state, text, and what it set aside."""

    state: bytes
    text: str
    updates: int  # usable updates in the log (compaction folds them)
    set_aside: tuple[SetAsideUpdate, ...]

    def too_large_for(self, uid: str) -> bool:
        """Tell whether ``uid`` wrote an update that would have grown the code past the cap."""
        return any(item.reason == "too_large" and item.author == uid for item in self.set_aside)


def _update_bytes(update: Snapshot) -> bytes | None:
    value = (update.to_dict() or {}).get("update")
    return bytes(value) if isinstance(value, bytes) else None


def _fold_log(
    session_id: str, snapshot: bytes, updates: list[Snapshot]
) -> tuple[Folded, list[Snapshot], tuple[SetAsideUpdate, ...]]:
    """Fold the snapshot and the updates; return the result, the updates used, those set aside."""
    parts: list[bytes] = [snapshot]
    readable: list[Snapshot] = []
    aside: list[SetAsideUpdate] = []
    for update in updates:
        data = _update_bytes(update)
        if data is None:
            aside.append(SetAsideUpdate(update.id, str(update.get("author")), "undecodable"))
        else:
            parts.append(data)
            readable.append(update)
    folded = fold(parts)
    for item in folded.set_aside:
        if item.index == 0:
            _log.error("the session's snapshot is unreadable", extra={"sessionId": session_id})
            continue
        update = readable[item.index - 1]
        aside.append(SetAsideUpdate(update.id, str(update.get("author")), item.reason))
    for refused in aside:
        _log.warning(
            "session update set aside",
            extra={
                "event": "session_update_set_aside",
                "sessionId": session_id,
                "updateId": refused.update_id,
                "author": refused.author,
                "reason": refused.reason,
            },
        )
    used = [readable[index - 1] for index in folded.used if index > 0]
    return folded, used, tuple(aside)


def session_code(session_id: str, data: dict[str, Any]) -> SessionCode:
    """Return the session's code: the snapshot merged with every usable update."""
    updates = list(_session_ref(session_id).collection("updates").order_by("createdAt").stream())
    folded, used, aside = _fold_log(session_id, bytes(data.get("snapshot") or b""), updates)
    return SessionCode(state=folded.state, text=folded.text, updates=len(used), set_aside=aside)


def _out(session_id: str, data: dict[str, Any], code: str) -> SessionOut:
    fields = {key: value for key, value in data.items() if key != "snapshot"}
    return SessionOut.model_validate({**fields, "id": session_id, "code": code})


def _code_and_maybe_compact(session_id: str, data: dict[str, Any]) -> str:
    code = session_code(session_id, data)
    if code.updates > get_settings().compaction_threshold:
        try:
            compact_session(session_id)
        except Exception:
            # Compaction only saves space; reading must not fail because of it.
            _log.exception("compaction failed", extra={"sessionId": session_id})
    return code.text


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
    code = session_code(session_id, data).text
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

    Updates it sets aside stay in the log. If another compaction wrote a snapshot meanwhile,
    this one writes and deletes nothing.
    """
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter

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
    folded, used, _ = _fold_log(session_id, bytes(data.get("snapshot") or b""), read)
    if not used:
        return Compaction(merged=0, deleted=0, version=version)
    snapshot_at = max(update.get("createdAt") for update in read)

    @firestore.transactional
    def _write(transaction: Transaction) -> bool:
        current = reference.get(transaction=transaction)
        if int(current.get("snapshotVersion") or 0) != version:
            return False
        # The log it deletes was the session's activity: keep its time for the idle sweeper.
        active_at = max(current.get("lastActivityAt") or snapshot_at, snapshot_at)
        transaction.update(
            reference,
            {
                "snapshot": folded.state,
                "snapshotAt": snapshot_at,
                "snapshotVersion": version + 1,
                "lastActivityAt": active_at,
            },
        )
        return True

    if not _write(client.transaction(max_attempts=_TRANSACTION_ATTEMPTS)):
        return Compaction(merged=0, deleted=0, version=version)
    for start in range(0, len(used), _DELETE_BATCH):
        batch = client.batch()
        for update in used[start : start + _DELETE_BATCH]:
            batch.delete(update.reference)
        batch.commit()
    _log.info(
        "session compacted",
        extra={
            "event": "session_compacted",
            "sessionId": session_id,
            "updates": len(used),
            "setAside": len(read) - len(used),
            "snapshotBytes": len(folded.state),
        },
    )
    return Compaction(merged=len(used), deleted=len(used), version=version + 1)
