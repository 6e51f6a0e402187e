"""Matching: requests, the bucket sweep that pairs them, relax and expiry.

A bucket is one (difficulty, language): only requests in the same bucket can be compatible.
Every change of a bucket's outcome happens in ``sweep_bucket``, one Firestore transaction that
reads the bucket's waiting requests and, all or nothing, pairs every compatible couple it finds
(oldest first), creates their sessions and times out what is overdue. Messages are published
with the bucket as ordering key, so the worker sweeps each bucket serially and transactions do
not pile up on the same documents as load grows; a duplicate, late or stale message finds
nothing waiting for it and changes nothing.

Invariants (tests/test_matching.py): nobody is in two sessions; every request ends matched,
cancelled or timed_out; two compatible requests never both time out while both waited; a stale
message or callback never changes a newer request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.auth import AuthUser
from common.catalogue import Difficulty, Language
from common.clients import firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger
from common.messaging import enqueue_callback, publish_json
from common.models import MatchIn, MatchRequestOut
from common.questions import has_questions, pick_question

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, DocumentSnapshot, Transaction

    Snapshot = DocumentSnapshot[DocumentReference]

__all__ = [
    "CALLBACK_PATH",
    "NotDueError",
    "SweepResult",
    "bucket_key",
    "cancel_match",
    "compatible",
    "get_match",
    "handle_match_message",
    "handle_timeout",
    "publish_request",
    "request_match",
    "sweep_bucket",
]

CALLBACK_PATH = "/internal/match-timeout"
# Most waiting requests one sweep reads; later messages sweep the rest.
_BUCKET_LIMIT = 100
# A waiting request this long past its expiry lost its expiry callback: a new request replaces it.
_ORPHAN_GRACE = dt.timedelta(seconds=60)
_TRANSACTION_ATTEMPTS = 10
_NO_QUESTION = (
    "A partner was found, but the question bank has no question for this difficulty any more: "
    "try another difficulty"
)
_log = get_logger(__name__)


class NotDueError(Exception):
    """A callback came before its time (clock skew): Cloud Tasks should retry it later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not due for {seconds:.1f} s")
        self.seconds = seconds


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _requests() -> Any:
    return firestore_client().collection("matchRequests")


def bucket_key(difficulty: str, language: str) -> str:
    """Return the ordering key of a bucket."""
    return f"{difficulty}:{language}"


@dataclass(frozen=True)
class Waiting:
    """A waiting request as the sweep sees it."""

    uid: str
    request_id: str
    difficulty: Difficulty
    language: Language
    topics: tuple[str, ...]
    relaxed: bool
    created_at: dt.datetime
    relax_at: dt.datetime
    expires_at: dt.datetime

    @classmethod
    def from_dict(cls, uid: str, data: dict[str, Any]) -> Waiting:
        """Build from a ``matchRequests/{uid}`` document."""
        return cls(
            uid=uid,
            request_id=str(data["requestId"]),
            difficulty=data["difficulty"],
            language=data["language"],
            topics=tuple(data.get("topics") or ()),
            relaxed=bool(data.get("relaxed")),
            created_at=data["createdAt"],
            relax_at=data["relaxAt"],
            expires_at=data["expiresAt"],
        )

    def is_relaxed(self, now: dt.datetime) -> bool:
        """Tell whether this request accepts any topic by now."""
        return self.relaxed or now >= self.relax_at


def compatible(a: Waiting, b: Waiting, now: dt.datetime) -> bool:
    """Same bucket, and topics overlap, or either side asked for any, or either is relaxed."""
    if a.uid == b.uid or (a.difficulty, a.language) != (b.difficulty, b.language):
        return False
    if a.is_relaxed(now) or b.is_relaxed(now) or not a.topics or not b.topics:
        return True
    return bool(set(a.topics) & set(b.topics))


def question_topics(a: Waiting, b: Waiting, now: dt.datetime) -> list[list[str]]:
    """Topic sets to pick the question from, most preferred first ([] means any topic)."""
    a_relaxed, b_relaxed = a.is_relaxed(now), b.is_relaxed(now)
    both = sorted(set(a.topics) & set(b.topics))
    either = sorted(set(a.topics) | set(b.topics))
    if a_relaxed != b_relaxed:
        strict = b if a_relaxed else a
        choices = [list(strict.topics)]
    elif a.topics and b.topics:
        choices = [both] if both else []
        choices.append(either)
    else:
        choices = [either]
    # A couple is never left waiting for want of a topic: any question of the difficulty.
    return [*(choice for choice in choices if choice), []]


def pair_up(waiting: list[Waiting], now: dt.datetime) -> list[tuple[Waiting, Waiting]]:
    """Pair each request, oldest first, with the oldest compatible request still unpaired."""
    ordered = sorted(waiting, key=lambda request: (request.created_at, request.uid))
    taken: set[str] = set()
    pairs = []
    for index, first in enumerate(ordered):
        if first.uid in taken:
            continue
        for second in ordered[index + 1 :]:
            if second.uid not in taken and compatible(first, second, now):
                pairs.append((first, second))
                taken.update((first.uid, second.uid))
                break
    return pairs


def publish_request(*, uid: str, request_id: str, difficulty: str, language: str) -> None:
    """Hand a request to the worker, on its bucket's ordering key (one sweep at a time)."""
    publish_json(
        get_settings().match_topic,
        {"uid": uid, "requestId": request_id},
        ordering_key=bucket_key(difficulty, language),
    )


def _out(data: dict[str, Any]) -> MatchRequestOut:
    return MatchRequestOut.model_validate(data)


# ---- the HTTP side ------------------------------------------------------------------------------


def _in_active_session(transaction: Transaction, uid: str, current: dict[str, Any]) -> bool:
    """Tell whether the request's session is active and ``uid`` has not left it."""
    session_id = current.get("sessionId")
    if current.get("status") != "matched" or not session_id:
        return False
    session = firestore_client().collection("sessions").document(str(session_id))
    data = session.get(transaction=transaction).to_dict() or {}
    return data.get("status") == "active" and uid not in (data.get("leftBy") or [])


def request_match(*, user: AuthUser, data: MatchIn) -> MatchRequestOut:
    """Start matching: write the request, schedule relax and expiry, publish it to the worker."""
    from google.api_core import exceptions as google_exceptions
    from google.cloud import firestore

    settings = get_settings()
    client = firestore_client()
    if not client.collection("users").document(user.uid).get().exists:
        raise ApiError(ErrorCode.PROFILE_REQUIRED, "Create your profile (POST /users) first")
    if not has_questions(difficulty=data.difficulty, topics=list(data.topics)):
        raise ApiError(
            ErrorCode.NO_QUESTIONS,
            "No question of this difficulty has any of these topics: nobody could be matched",
        )
    now = _now()
    request_id = uuid.uuid4().hex
    document: dict[str, Any] = {
        "requestId": request_id,
        "uid": user.uid,
        "difficulty": data.difficulty,
        "topics": list(data.topics),
        "language": data.language,
        "status": "waiting",
        "relaxed": False,
        "createdAt": now,
        "relaxAt": now + dt.timedelta(seconds=settings.match_relax_seconds),
        "expiresAt": now + dt.timedelta(seconds=settings.match_expire_seconds),
        "sessionId": None,
        "partner": None,
        "endedAt": None,
        "reason": None,
        "reasonMessage": None,
    }
    reference = _requests().document(user.uid)

    @firestore.transactional
    def _write(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        current = snapshot.to_dict() or {} if snapshot.exists else {}
        if current.get("status") == "waiting":
            if current["expiresAt"] + _ORPHAN_GRACE > now:
                raise ApiError(ErrorCode.ALREADY_WAITING, "You are already waiting for a match")
            _log.warning("replacing an orphaned match request", extra={"uid": user.uid})
        if _in_active_session(transaction, user.uid, current):
            raise ApiError(
                ErrorCode.IN_SESSION,
                "You are in an active session: leave it first",
                details=[
                    {
                        "field": "sessionId",
                        "message": str(current["sessionId"]),
                        "type": "in_session",
                    }
                ],
            )
        transaction.set(reference, document)

    _write(client.transaction(max_attempts=_TRANSACTION_ATTEMPTS))
    # The callbacks are the safety net of the publish below: relax publishes again, expiry ends.
    try:
        for stage, run_at in (("relax", document["relaxAt"]), ("expire", document["expiresAt"])):
            enqueue_callback(
                task_id=f"{request_id}-{stage}",
                path=CALLBACK_PATH,
                payload={"uid": user.uid, "requestId": request_id, "stage": stage},
                run_at=run_at,
            )
    except (google_exceptions.GoogleAPICallError, RuntimeError) as exc:
        _log.exception("could not schedule the match callbacks")
        _end_if_current(user.uid, request_id, status="cancelled")
        raise ApiError(ErrorCode.UNAVAILABLE, "Matching is unavailable, retry shortly") from exc
    try:
        publish_request(
            uid=user.uid, request_id=request_id, difficulty=data.difficulty, language=data.language
        )
    except Exception:
        _log.exception("could not publish the match request; the relax callback will")
    _log.info(
        "match requested",
        extra={
            "event": "match_requested",
            "uid": user.uid,
            "matchRequestId": request_id,
            "difficulty": data.difficulty,
            "language": data.language,
            "topics": list(data.topics),
        },
    )
    return _out(document)


def _end_if_current(uid: str, request_id: str, *, status: str) -> None:
    from google.cloud import firestore

    reference = _requests().document(uid)

    @firestore.transactional
    def _end(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        if (
            snapshot.exists
            and snapshot.get("requestId") == request_id
            and snapshot.get("status") == "waiting"
        ):
            transaction.update(reference, {"status": status, "endedAt": _now()})

    _end(firestore_client().transaction(max_attempts=_TRANSACTION_ATTEMPTS))


def get_match(*, uid: str) -> MatchRequestOut:
    """Return the caller's latest match request."""
    snapshot = _requests().document(uid).get()
    if not snapshot.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "You have not asked for a match")
    return _out(snapshot.to_dict() or {})


def cancel_match(*, uid: str) -> MatchRequestOut:
    """Cancel the caller's waiting request (409 with its state if it is no longer waiting)."""
    from google.cloud import firestore

    reference = _requests().document(uid)
    result: dict[str, Any] = {}

    @firestore.transactional
    def _cancel(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            raise ApiError(ErrorCode.NOT_FOUND, "You have not asked for a match")
        current = snapshot.to_dict() or {}
        if current["status"] != "waiting":
            raise ApiError(
                ErrorCode.CONFLICT,
                f"The request is already {current['status']}",
                details=[
                    {
                        "field": "status",
                        "message": current["status"],
                        "type": "request_state",
                        "request": _out(current).to_json_dict(),
                    }
                ],
            )
        update = {"status": "cancelled", "endedAt": _now()}
        transaction.update(reference, update)
        result.update(current, **update)

    _cancel(firestore_client().transaction(max_attempts=_TRANSACTION_ATTEMPTS))
    _log.info(
        "match cancelled",
        extra={
            "event": "match_cancelled",
            "uid": uid,
            "matchRequestId": result["requestId"],
            "waitS": _wait_s(result["createdAt"], result["endedAt"]),
        },
    )
    return _out(result)


def _wait_s(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds(), 3)


# ---- the sweep ----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did."""

    sessions: list[tuple[str, Waiting, Waiting]]
    timed_out: list[Waiting]
    no_question: list[Waiting]


def _session_document(
    a: Waiting, b: Waiting, question: Any, users: dict[str, dict[str, Any]], now: dt.datetime
) -> dict[str, Any]:
    from common.collab import initial_state

    def username(uid: str) -> str:
        return str(users.get(uid, {}).get("username") or uid)

    snapshot = question.model_dump(
        by_alias=True, exclude={"starter_code", "created_at", "updated_at"}
    )
    snapshot["starterCode"] = getattr(question.starter_code, a.language)
    return {
        "participants": [a.uid, b.uid],
        "participantInfo": {
            a.uid: {"username": username(a.uid)},
            b.uid: {"username": username(b.uid)},
        },
        "question": snapshot,
        "language": a.language,
        "status": "active",
        "leftBy": [],
        "createdAt": now,
        "lastActivityAt": now,
        "endedAt": None,
        "matchRequestIds": {a.uid: a.request_id, b.uid: b.request_id},
        # The document starts as the starter code: clients load it, never rebuild it from text.
        "snapshot": initial_state(snapshot["starterCode"]),
        "snapshotAt": now,
        "snapshotVersion": 0,
    }


def sweep_bucket(*, difficulty: str, language: str) -> SweepResult:
    """Pair every compatible waiting couple of the bucket and time out the overdue, atomically."""
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter

    client = firestore_client()
    query = (
        _requests()
        .where(filter=FieldFilter("difficulty", "==", difficulty))
        .where(filter=FieldFilter("language", "==", language))
        .where(filter=FieldFilter("status", "==", "waiting"))
        .order_by("createdAt")
        .limit(_BUCKET_LIMIT)
    )

    @firestore.transactional
    def _sweep(transaction: Transaction) -> SweepResult:
        now = _now()
        waiting = [
            Waiting.from_dict(s.id, s.to_dict() or {}) for s in query.get(transaction=transaction)
        ]
        pairs = pair_up(waiting, now)
        paired = {uid for pair in pairs for uid in (pair[0].uid, pair[1].uid)}
        users: dict[str, dict[str, Any]] = {}
        if paired:
            references = [client.collection("users").document(uid) for uid in paired]
            users = {s.id: s.to_dict() or {} for s in client.get_all(references) if s.exists}
        result = SweepResult(sessions=[], timed_out=[], no_question=[])
        for a, b in pairs:
            avoid = set(users.get(a.uid, {}).get("attemptedQuestionIds") or ()) | set(
                users.get(b.uid, {}).get("attemptedQuestionIds") or ()
            )
            question = None
            for topics in question_topics(a, b, now):
                question = pick_question(difficulty=a.difficulty, topics=topics, avoid_ids=avoid)
                if question is not None:
                    break
            if question is None:
                # No question can ever be found for them: waiting longer would not help.
                for request in (a, b):
                    transaction.update(
                        _requests().document(request.uid),
                        {
                            "status": "timed_out",
                            "endedAt": now,
                            "reason": "no_question",
                            "reasonMessage": _NO_QUESTION,
                        },
                    )
                result.no_question.extend((a, b))
                continue
            session_ref = client.collection("sessions").document()
            transaction.create(session_ref, _session_document(a, b, question, users, now))
            for me, partner in ((a, b), (b, a)):
                transaction.update(
                    _requests().document(me.uid),
                    {
                        "status": "matched",
                        "sessionId": session_ref.id,
                        "partner": {
                            "uid": partner.uid,
                            "username": str(
                                users.get(partner.uid, {}).get("username") or partner.uid
                            ),
                        },
                        "endedAt": now,
                    },
                )
            result.sessions.append((session_ref.id, a, b))
        for request in waiting:
            if request.uid not in paired and request.expires_at <= now:
                transaction.update(
                    _requests().document(request.uid),
                    {
                        "status": "timed_out",
                        "endedAt": now,
                        "reason": "no_partner",
                        "reasonMessage": "Nobody compatible asked for a match in time",
                    },
                )
                result.timed_out.append(request)
        return result

    result: SweepResult = _sweep(client.transaction(max_attempts=_TRANSACTION_ATTEMPTS))
    now = _now()
    for session_id, a, b in result.sessions:
        _log.info(
            "match created",
            extra={
                "event": "match_created",
                "sessionId": session_id,
                "uids": [a.uid, b.uid],
                "difficulty": a.difficulty,
                "language": a.language,
                "waitS": max(_wait_s(a.created_at, now), _wait_s(b.created_at, now)),
                "waitsS": {a.uid: _wait_s(a.created_at, now), b.uid: _wait_s(b.created_at, now)},
            },
        )
    for request in result.timed_out:
        _log.info(
            "match timed out",
            extra={
                "event": "match_timed_out",
                "uid": request.uid,
                "matchRequestId": request.request_id,
                "waitS": _wait_s(request.created_at, now),
                "reason": "no_partner",
            },
        )
    for request in result.no_question:
        _log.error(
            "no question for a matched couple",
            extra={
                "event": "match_timed_out",
                "uid": request.uid,
                "matchRequestId": request.request_id,
                "difficulty": request.difficulty,
                "waitS": _wait_s(request.created_at, now),
                "reason": "no_question",
            },
        )
    return result


# ---- the worker and the callbacks ----------------------------------------------------------------


def _current(uid: str, request_id: str) -> Snapshot | None:
    snapshot: Snapshot = _requests().document(uid).get()
    if not snapshot.exists or snapshot.get("requestId") != request_id:
        return None
    return snapshot


def handle_match_message(*, uid: str, request_id: str) -> str:
    """Sweep the request's bucket if the request still waits; otherwise do nothing."""
    snapshot = _current(uid, request_id)
    if snapshot is None or snapshot.get("status") != "waiting":
        return "stale"
    result = sweep_bucket(difficulty=snapshot.get("difficulty"), language=snapshot.get("language"))
    return f"swept: {len(result.sessions)} sessions, {len(result.timed_out)} timed out"


def handle_timeout(*, uid: str, request_id: str, stage: str) -> str:
    """Relax (and publish again) or expire the request, if it is still the current one."""
    from google.cloud import firestore

    snapshot = _current(uid, request_id)
    if snapshot is None or snapshot.get("status") != "waiting":
        return "stale"
    now = _now()
    due = snapshot.get("relaxAt" if stage == "relax" else "expiresAt")
    if due > now:
        raise NotDueError((due - now).total_seconds())
    difficulty, language = snapshot.get("difficulty"), snapshot.get("language")
    if stage == "expire":
        # The worker's sweep ends it, in the bucket's turn: one sweep at a time per bucket, and a
        # compatible partner that still waits gets paired rather than both timing out.
        publish_request(uid=uid, request_id=request_id, difficulty=difficulty, language=language)
        return "expiring"

    reference = snapshot.reference

    @firestore.transactional
    def _relax(transaction: Transaction) -> bool:
        fresh = reference.get(transaction=transaction)
        if (
            not fresh.exists
            or fresh.get("requestId") != request_id
            or fresh.get("status") != "waiting"
        ):
            return False
        if not fresh.get("relaxed"):
            transaction.update(reference, {"relaxed": True})
        return True

    if not _relax(firestore_client().transaction(max_attempts=_TRANSACTION_ATTEMPTS)):
        return "stale"
    _log.info(
        "match relaxed", extra={"event": "match_relaxed", "uid": uid, "matchRequestId": request_id}
    )
    # Publishing again also rescues a request whose first publish was lost.
    publish_request(uid=uid, request_id=request_id, difficulty=difficulty, language=language)
    return "relaxed"
