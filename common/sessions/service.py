"""Collaboration sessions: create, read with the merged code, leave, record attempts, compact, end.

Firestore layout (DESIGN.md section 2): ``sessions/{id}`` holds the participants, the question
snapshot, the status and ``snapshot`` (a merged Yjs state) with ``snapshotAt`` and
``snapshotVersion``; clients append Yjs updates to ``sessions/{id}/updates`` and chat in
``messages``, as ``firestore.rules`` allows. This module is the only one that touches them.

A client joins by reading the session, then the updates with ``createdAt >= snapshotAt``, then
the session again: if ``snapshotVersion`` moved meanwhile, a compaction ran and it starts over.
Applying an update twice is harmless in Yjs.

Nothing a client writes breaks a session: the server decodes each update on its own and sets
aside (logs and skips) one it cannot use, undecodable or growing the code past
``crdt.MAX_CODE_BYTES``; everything else carries on without it. A participant in ``leftBy`` is
out of the session: ``require_in_session`` refuses it, as the rules refuse its writes.

Compaction (the y-redis pattern): merge the snapshot with the updates older than a grace period,
write the new snapshot if no other compaction won meanwhile, then delete exactly the updates it
merged. An update written while it runs is not among them, so it is never lost; one it set aside
stays in the log. The newest update it folds counts as the session's activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.catalogue import Language
from common.clients import checked_id, firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.firestore import Collection, Snapshot, now, pages, transaction, transactional
from common.logs import get_logger
from common.questions.models import Question, QuestionRef, QuestionSnapshot
from common.sessions.crdt import Folded, fold, initial_state, replace_text
from common.sessions.models import ParticipantInfo, Session, SessionDoc
from common.users import note_submission, record_attempt
from common.users.models import Attempt, PartnerRef, Submission

if TYPE_CHECKING:
    from google.cloud.firestore import Transaction


__all__ = [
    "SESSIONS",
    "Compaction",
    "Participant",
    "SessionCode",
    "SetAsideUpdate",
    "active_session",
    "ai_messages",
    "compact_session",
    "end_session",
    "get_session",
    "idle_candidates",
    "in_active_session",
    "latest_activity",
    "leave_session",
    "new_session",
    "participant_session",
    "post_ai_message",
    "record_submission",
    "require_in_session",
    "session_code",
    "sessions_to_compact",
    "set_language",
    "update_count",
]

SESSIONS = Collection("sessions", SessionDoc)
_log = get_logger(__name__)
_COMPACT_BATCH = 500
_DELETE_BATCH = 400


def _parse(session_id: str, snapshot: Snapshot) -> SessionDoc:
    session = SESSIONS.read(snapshot)
    if session is None:
        raise ApiError(ErrorCode.NOT_FOUND, "No session has this id")
    return session


# ---- creating and reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    """One side of a new session: who, shown as what, from which match request."""

    uid: str
    username: str
    request_id: str


def new_session(
    transaction: Transaction,
    *,
    pair: tuple[Participant, Participant],
    question: Question,
    language: Language,
    at: dt.datetime,
) -> str:
    """Create an active session of the pair in ``transaction``; return its id."""
    starter = getattr(question.starter_code, language)
    snapshot = QuestionSnapshot.model_validate(
        {**question.model_dump(exclude={"starter_code"}), "starter_code": starter}
    )
    document = SessionDoc(
        participants=[person.uid for person in pair],
        participant_info={person.uid: ParticipantInfo(username=person.username) for person in pair},
        question=snapshot,
        language=language,
        status="active",
        created_at=at,
        last_activity_at=at,
        snapshot_at=at,
        match_request_ids={person.uid: person.request_id for person in pair},
        # The document starts as the starter code: clients load it, never rebuild it from text.
        snapshot=initial_state(starter),
    )
    reference = SESSIONS.collection().document()
    transaction.create(reference, SESSIONS.dump(document))
    return str(reference.id)


def in_active_session(transaction: Transaction, *, session_id: str, uid: str) -> bool:
    """Tell (in ``transaction``) whether the session is active and ``uid`` is still in it."""
    session = SESSIONS.read(SESSIONS.ref(session_id).get(transaction=transaction))
    return session is not None and session.status == "active" and uid not in session.left_by


def participant_session(session_id: str, uid: str) -> SessionDoc:
    """Return a session if ``uid`` takes part in it (404 unknown, 403 outsider)."""
    session = _parse(session_id, SESSIONS.ref(checked_id(session_id, what="session")).get())
    if uid not in session.participants:
        raise ApiError(ErrorCode.PERMISSION_DENIED, "You are not a participant of this session")
    return session


def require_in_session(session: SessionDoc, uid: str) -> None:
    """Refuse (403) a participant who left the session, or anyone once it has ended."""
    if uid in session.left_by:
        raise ApiError(ErrorCode.PERMISSION_DENIED, "You have left this session")
    if session.status != "active":
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


def _updates(session_id: str) -> Any:
    return SESSIONS.ref(session_id).collection("updates")


def session_code(session_id: str, session: SessionDoc) -> SessionCode:
    """Return the session's code: the snapshot merged with every usable update."""
    updates = list(_updates(session_id).order_by("createdAt").stream())
    folded, used, aside = _fold_log(session_id, session.snapshot, updates)
    return SessionCode(state=folded.state, text=folded.text, updates=len(used), set_aside=aside)


def _out(session_id: str, session: SessionDoc, code: str) -> Session:
    return Session.model_validate({**session.model_dump(), "id": session_id, "code": code})


def _code_and_maybe_compact(session_id: str, session: SessionDoc) -> str:
    code = session_code(session_id, session)
    if code.updates > get_settings().compaction_threshold:
        try:
            compact_session(session_id)
        except Exception:
            # Compaction only saves space; reading must not fail because of it.
            _log.exception("compaction failed", extra={"sessionId": session_id})
    return code.text


def get_session(*, session_id: str, uid: str) -> Session:
    """Return a session the caller takes part in, with its current code."""
    session = participant_session(session_id, uid)
    return _out(session_id, session, _code_and_maybe_compact(session_id, session))


def active_session(*, uid: str) -> Session:
    """Return the caller's active session, which it has not left (404 if none)."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = (
        SESSIONS.collection()
        .where(filter=FieldFilter("participants", "array_contains", uid))
        .where(filter=FieldFilter("status", "==", "active"))
        .limit(10)
    )
    found = [(s.id, SESSIONS.parse(s.to_dict() or {})) for s in query.stream()]
    mine = [(sid, session) for sid, session in found if uid not in session.left_by]
    if not mine:
        raise ApiError(ErrorCode.NOT_FOUND, "You are in no active session")
    session_id, session = max(mine, key=lambda item: item[1].created_at)
    return _out(session_id, session, _code_and_maybe_compact(session_id, session))


# ---- leaving and ending --------------------------------------------------------------------------


def _attempt(session_id: str, session: SessionDoc, uid: str, code: str) -> Attempt:
    partner = next(other for other in session.participants if other != uid)
    started = session.created_at
    ended = session.left_at[uid]
    return Attempt(
        session_id=session_id,
        question=QuestionRef.model_validate(session.question.model_dump()),
        language=session.language,
        partner=PartnerRef(uid=partner, username=session.participant_info[partner].username),
        started_at=started,
        ended_at=ended,
        duration_s=round(max(0.0, (ended - started).total_seconds()), 3),
        final_code=code,
        submission=session.submission,
    )


def _record_attempts(session_id: str, session: SessionDoc, uids: list[str]) -> str:
    """Record the attempts of ``uids`` with the session's current code, and return the code."""
    code = session_code(session_id, session).text
    for uid in uids:
        record_attempt(uid=uid, attempt=_attempt(session_id, session, uid, code))
    # A submission that finished while these were recorded is read again here, after them: either
    # this read sees it, or its own pass over the attempts (record_submission) sees them.
    latest = SESSIONS.read(SESSIONS.ref(session_id).get())
    if latest is not None and latest.submission is not None:
        for uid in uids:
            note_submission(uid=uid, session_id=session_id, submission=latest.submission)
    return code


def record_submission(*, session_id: str, submission: Submission) -> None:
    """Keep a submission's verdict on the session and on every attempt already recorded."""

    reference = SESSIONS.ref(session_id)

    @transactional("sessions.submission.record")
    def _keep(transaction: Transaction) -> SessionDoc:
        session = _parse(session_id, reference.get(transaction=transaction))
        held = session.submission
        if held is None or held.submitted_at < submission.submitted_at:
            transaction.update(reference, {"submission": submission.model_dump(by_alias=True)})
        return session

    session: SessionDoc = _keep(transaction())
    for uid in session.participants:
        note_submission(uid=uid, session_id=session_id, submission=submission)


@dataclass
class _Leave:
    session: SessionDoc
    ended_now: bool


def leave_session(*, session_id: str, uid: str) -> Session:
    """Leave a session: the partner sees ``leftBy``; the last one out ends it. Idempotent."""

    participant_session(session_id, uid)
    reference = SESSIONS.ref(session_id)

    @transactional("sessions.leave")
    def _leave(transaction: Transaction) -> _Leave:
        session = _parse(session_id, reference.get(transaction=transaction))
        if uid in session.left_by:
            return _Leave(session, ended_now=False)
        at = now()
        left_by = [*session.left_by, uid]
        left_at = {**session.left_at, uid: at}
        update: dict[str, Any] = {"leftBy": left_by, "leftAt": left_at, "lastActivityAt": at}
        ended_now = session.status == "active" and set(left_by) >= set(session.participants)
        if ended_now:
            update.update(status="ended", endedAt=at)
        transaction.update(reference, update)
        return _Leave(SESSIONS.parse({**SESSIONS.dump(session), **update}), ended_now)

    result: _Leave = _leave(transaction())
    # Recording is idempotent per session: a second leave (or a crash before this) records once.
    code = _record_attempts(session_id, result.session, [uid])
    if result.ended_now:
        _log.info(
            "session ended",
            extra={"event": "session_ended", "sessionId": session_id, "reason": "left"},
        )
        _safe_compact(session_id)
    return _out(session_id, result.session, code)


def end_session(*, session_id: str, reason: str) -> bool:
    """End an active session for everyone still in it, recording their attempts.

    Returns False when the session had already ended.
    """

    reference = SESSIONS.ref(session_id)

    @transactional("sessions.end")
    def _end(transaction: Transaction) -> tuple[SessionDoc | None, list[str]]:
        session = SESSIONS.read(reference.get(transaction=transaction))
        if session is None or session.status != "active":
            return None, []
        at = now()
        remaining = [uid for uid in session.participants if uid not in session.left_at]
        left_at = {**session.left_at, **dict.fromkeys(remaining, at)}
        update = {"status": "ended", "endedAt": at, "leftAt": left_at, "endReason": reason}
        transaction.update(reference, update)
        return SESSIONS.parse({**SESSIONS.dump(session), **update}), remaining

    ended, remaining = _end(transaction())
    if ended is not None and remaining:
        _record_attempts(session_id, ended, remaining)
        _log.info(
            "session ended",
            extra={"event": "session_ended", "sessionId": session_id, "reason": reason},
        )
        _safe_compact(session_id)
    return ended is not None


def _safe_compact(session_id: str) -> None:
    try:
        compact_session(session_id)
    except Exception:
        _log.exception("compaction failed", extra={"sessionId": session_id})


# ---- compaction --------------------------------------------------------------------------------


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
    from google.cloud.firestore_v1.base_query import FieldFilter

    grace = get_settings().compaction_grace_s if grace_s is None else grace_s
    client = firestore_client()
    reference = SESSIONS.ref(session_id)
    session = _parse(session_id, reference.get())
    version = session.snapshot_version
    cutoff = now() - dt.timedelta(seconds=grace)
    read = list(
        _updates(session_id)
        .where(filter=FieldFilter("createdAt", "<=", cutoff))
        .order_by("createdAt")
        .limit(_COMPACT_BATCH)
        .stream()
    )
    folded, used, _ = _fold_log(session_id, session.snapshot, read)
    if not used:
        return Compaction(merged=0, deleted=0, version=version)
    snapshot_at = max(update.get("createdAt") for update in read)

    @transactional("sessions.compact.commit")
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

    if not _write(transaction()):
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


# ---- the chat, as the AI assistant uses it -------------------------------------------------------


def _messages(session_id: str) -> Any:
    return SESSIONS.ref(session_id).collection("messages")


def ai_messages(session_id: str, *, mode: str) -> list[str]:
    """Return the texts the AI posted in the session in ``mode``, oldest first."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    # Equality filters only (served without a composite index); a session holds few of them.
    messages = (
        _messages(session_id)
        .where(filter=FieldFilter("author", "==", "ai"))
        .where(filter=FieldFilter("mode", "==", mode))
        .limit(100)
        .stream()
    )
    found = [message.to_dict() or {} for message in messages]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda message: message.get("createdAt") or epoch)
    return [str(message.get("text") or "") for message in found]


def post_ai_message(session_id: str, *, requested_by: str, mode: str, text: str) -> str:
    """Post an AI answer into the chat and return the message id.

    409 ``session_ended`` if the session ended, or the asker left it, while the answer was made.
    """
    from google.cloud import firestore

    session_ref = SESSIONS.ref(session_id)
    reference = _messages(session_id).document()

    @transactional("sessions.ai_message.post")
    def _write(transaction: Transaction) -> None:
        session = SESSIONS.read(session_ref.get(transaction=transaction))
        if session is None or session.status != "active" or requested_by in session.left_by:
            raise ApiError(
                ErrorCode.SESSION_ENDED,
                "The session ended (or you left it) before the answer was ready",
            )
        transaction.create(
            reference,
            {
                "author": "ai",
                "text": text,
                "mode": mode,
                "createdAt": firestore.SERVER_TIMESTAMP,
                "requestedBy": requested_by,
            },
        )

    _write(transaction(attempts=5))
    return str(reference.id)


# ---- what the sweeper pages through -----------------------------------------------------------


def idle_candidates(*, before: dt.datetime, page_size: int) -> Iterator[str]:
    """Yield the ids of active sessions whose ``lastActivityAt`` is older than ``before``."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = (
        SESSIONS.collection()
        .where(filter=FieldFilter("status", "==", "active"))
        .where(filter=FieldFilter("lastActivityAt", "<", before))
    )
    for snapshot in pages(query, order_by="lastActivityAt", page_size=page_size):
        yield str(snapshot.id)


def latest_activity(session_id: str) -> dt.datetime:
    """Return when the session was last active: its own stamp, or a newer update or message."""
    from google.cloud import firestore

    reference = SESSIONS.ref(session_id)
    stamps = [reference.get().get("lastActivityAt")]
    for name in ("updates", "messages"):
        newest = list(
            reference.collection(name)
            .order_by("createdAt", direction=firestore.Query.DESCENDING)
            .limit(1)
            .stream()
        )
        stamps += [newest[0].get("createdAt")] if newest else []
    latest: dt.datetime = max(stamp for stamp in stamps if stamp is not None)
    if latest > stamps[0]:
        # Clients wrote directly to Firestore: the session is alive, remember when.
        reference.update({"lastActivityAt": latest})
    return latest


def sessions_to_compact(
    *, threshold: int, ended_since: dt.datetime, page_size: int
) -> Iterator[tuple[str, int]]:
    """Yield (id, longest log left alone) of active sessions, then of those ended recently."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    active = SESSIONS.collection().where(filter=FieldFilter("status", "==", "active"))
    ended = (
        SESSIONS.collection()
        .where(filter=FieldFilter("status", "==", "ended"))
        .where(filter=FieldFilter("endedAt", ">=", ended_since))
    )
    for query, order_by, limit in ((active, "lastActivityAt", threshold), (ended, "endedAt", 0)):
        for snapshot in pages(query, order_by=order_by, page_size=page_size):
            yield str(snapshot.id), limit


def update_count(session_id: str) -> int:
    """Return how many updates the session's log holds."""
    return int(_updates(session_id).count().get()[0][0].value)


# ---- the session's language ----------------------------------------------------------------------


def set_language(*, session_id: str, uid: str, language: Language) -> Session:
    """Switch the session's language for both partners.

    The code becomes the new language's starter code only if it is still the old starter code
    (an update written as author ``server``, which every editor applies); otherwise it stays.
    A question deleted from the bank since keeps the session's starter code as it was.
    """
    from google.cloud import firestore

    from common.questions import get_question

    session = participant_session(session_id, uid)
    require_in_session(session, uid)
    if session.language == language:
        return _out(session_id, session, session_code(session_id, session).text)
    try:
        starter: str | None = getattr(
            get_question(question_id=session.question.id).starter_code, language
        )
    except ApiError:
        starter = None
    code = session_code(session_id, session)
    untouched = code.text == session.question.starter_code
    reference = SESSIONS.ref(session_id)

    @transactional("sessions.language.switch")
    def _switch(transaction: Transaction) -> None:
        current = _parse(session_id, reference.get(transaction=transaction))
        require_in_session(current, uid)
        fields: dict[str, Any] = {"language": language, "lastActivityAt": now()}
        if starter is not None:
            fields["question.starterCode"] = starter
        transaction.update(reference, fields)
        if untouched and starter is not None:
            transaction.create(
                _updates(session_id).document(),
                {
                    "author": "server",
                    "update": replace_text(code.state, starter),
                    "createdAt": firestore.SERVER_TIMESTAMP,
                },
            )

    _switch(transaction())
    _log.info(
        "session language changed",
        extra={
            "event": "session_language_changed",
            "sessionId": session_id,
            "uid": uid,
            "language": language,
            "starterReplaced": untouched and starter is not None,
        },
    )
    return get_session(session_id=session_id, uid=uid)
