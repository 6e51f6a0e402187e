"""Matching on Firestore, Pub/Sub and Cloud Tasks: requests, the sweep, relax and expiry.

A bucket is one (difficulty, language): only requests in the same bucket can be compatible
(``policy``). Every change of a request's outcome happens in a sweep: the waiting requests are
read and the pairs and their questions chosen outside any transaction, then written in
transactions that re-read just those requests, pair the couples whose requests still wait as
read (oldest first), create their sessions and time out what is overdue. One sweeper at a time
holds a lease and serves every message that came meanwhile; a duplicate, late or stale message
finds nothing waiting for it and changes nothing.

Invariants (tests/test_matching.py): nobody is in two sessions; every request ends matched,
cancelled or timed_out; two compatible requests never both time out while both waited; a stale
message or callback never changes a newer request.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from common.auth import AuthUser
from common.catalogue import DIFFICULTIES, LANGUAGES, Difficulty, Language
from common.clients import firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.firestore import (
    Collection,
    now,
    pages,
    transaction,
    transactional,
    write_if_unchanged,
)
from common.logs import get_logger
from common.matching.models import MatchCreate, MatchRequest, MatchRequestDoc
from common.matching.policy import Waiting, bucket_key, pair_up, question_topics
from common.pubsub import publish_json
from common.questions import QuestionSampler, has_questions
from common.questions.models import Question
from common.tasks import enqueue_callback
from common.tracing import span
from common.users import MatchProfile, match_profiles, profile_exists
from common.users.models import PartnerRef

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Transaction

__all__ = [
    "CALLBACK_PATH",
    "REQUESTS",
    "NotDueError",
    "SweepResult",
    "cancel_match",
    "forget_request",
    "get_match",
    "handle_match_message",
    "handle_timeout",
    "orphaned_buckets",
    "publish_request",
    "request_match",
    "serve_waiting",
    "sweep_bucket",
    "sweep_waiting",
]

CALLBACK_PATH = "/internal/match-timeout"
REQUESTS = Collection("matchRequests", MatchRequestDoc)
# Most waiting requests one sweep reads (oldest first), in all and per bucket; the holder sweeps
# again for the rest.
_WAITING_LIMIT = 1000
_BUCKET_LIMIT = 400
# Pairs written per transaction (3 writes each, far below Firestore's 500 per commit); a sweep's
# transactions, and its buckets, run side by side, at most this many at once.
_PAIRS_PER_COMMIT = 25
_AT_ONCE = 4
# The sweeper's lease, and how long it holds it without renewing it (each sweep renews it).
# Short: a holder that died (its sweep failed while Firestore was down, and so did letting the
# lease go) blocks every bucket until the lease runs out, and the word messages left for it
# waits for the next message after that (at the latest a relax callback). A sweep longer than
# this lets a second sweeper in, which is safe: each commit re-reads what it pairs.
_SWEEPER = ("matchSweeper", "lease")
_LEASE = dt.timedelta(seconds=3)
# Reads and conditional writes of the lease document before a caller gives up.
_LEASE_ATTEMPTS = 50
# A busy bucket's holder sweeps again after this pause while its last pairing is this recent,
# for at most this long in all.
_BUSY_PAUSE_S = 0.05
_LINGER_S = 1.0
_BUSY_FOR_S = 20.0
# A waiting request this long past its expiry lost its expiry callback: a new request replaces it.
_ORPHAN_GRACE = dt.timedelta(seconds=60)
_NO_PARTNER = "Nobody compatible asked for a match in time"
_NO_QUESTION = (
    "A partner was found, but the question bank has no question for this difficulty any more: "
    "try another difficulty"
)
_log = get_logger(__name__)
_T = TypeVar("_T")


class NotDueError(Exception):
    """A callback came before its time (clock skew): Cloud Tasks should retry it later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not due for {seconds:.1f} s")
        self.seconds = seconds


def publish_request(*, uid: str, request_id: str) -> None:
    """Hand a request to the worker (its bucket's lease keeps the sweeps one at a time)."""
    publish_json(get_settings().match_topic, {"uid": uid, "requestId": request_id})


def _out(request: MatchRequestDoc) -> MatchRequest:
    return MatchRequest.model_validate(request.model_dump())


def _wait_s(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds(), 3)


# ---- the HTTP side ------------------------------------------------------------------------------


def request_match(*, user: AuthUser, data: MatchCreate) -> MatchRequest:
    """Start matching: write the request, schedule relax and expiry, publish it to the worker."""
    from google.api_core import exceptions as google_exceptions

    from common.sessions import in_active_session  # the CRDT code: only when asked

    settings = get_settings()
    if not profile_exists(user.uid):
        raise ApiError(ErrorCode.PROFILE_REQUIRED, "Create your profile (POST /users) first")
    if not has_questions(difficulty=data.difficulty, topics=list(data.topics)):
        raise ApiError(
            ErrorCode.NO_QUESTIONS,
            "No question of this difficulty has any of these topics: nobody could be matched",
        )
    at = now()
    request = MatchRequestDoc(
        uid=user.uid,
        request_id=uuid.uuid4().hex,
        status="waiting",
        difficulty=data.difficulty,
        topics=list(data.topics),
        language=data.language,
        relaxed=False,
        created_at=at,
        relax_at=at + dt.timedelta(seconds=settings.match_relax_seconds),
        expires_at=at + dt.timedelta(seconds=settings.match_expire_seconds),
    )
    reference = REQUESTS.ref(user.uid)

    @transactional("matching.request.write")
    def _write(transaction: Transaction) -> None:
        current = REQUESTS.read(reference.get(transaction=transaction))
        if current is not None and current.status == "waiting":
            if current.expires_at + _ORPHAN_GRACE > at:
                raise ApiError(ErrorCode.ALREADY_WAITING, "You are already waiting for a match")
            _log.warning("replacing an orphaned match request", extra={"uid": user.uid})
        if (
            current is not None
            and current.status == "matched"
            and current.session_id
            and in_active_session(transaction, session_id=current.session_id, uid=user.uid)
        ):
            raise ApiError(
                ErrorCode.IN_SESSION,
                "You are in an active session: leave it first",
                details=[
                    {"field": "sessionId", "message": current.session_id, "type": "in_session"}
                ],
            )
        transaction.set(reference, REQUESTS.dump(request))

    _write(transaction())
    # The callbacks are the safety net of the publish below: relax publishes again, expiry ends.
    try:
        for stage, run_at in (("relax", request.relax_at), ("expire", request.expires_at)):
            enqueue_callback(
                task_id=f"{request.request_id}-{stage}",
                path=CALLBACK_PATH,
                payload={"uid": user.uid, "requestId": request.request_id, "stage": stage},
                run_at=run_at,
            )
    except (google_exceptions.GoogleAPICallError, RuntimeError) as exc:
        _log.exception("could not schedule the match callbacks")
        _end_if_current(user.uid, request.request_id, status="cancelled")
        raise ApiError(ErrorCode.UNAVAILABLE, "Matching is unavailable, retry shortly") from exc
    try:
        publish_request(uid=user.uid, request_id=request.request_id)
    except Exception:
        _log.exception("could not publish the match request; the relax callback will")
    _log.info(
        "match requested",
        extra={
            "event": "match_requested",
            "uid": user.uid,
            "matchRequestId": request.request_id,
            "difficulty": data.difficulty,
            "language": data.language,
            "topics": list(data.topics),
        },
    )
    return _out(request)


def _end_if_current(uid: str, request_id: str, *, status: str) -> None:
    reference = REQUESTS.ref(uid)

    @transactional("matching.request.end")
    def _end(transaction: Transaction) -> None:
        current = REQUESTS.read(reference.get(transaction=transaction))
        if current is not None and current.request_id == request_id and current.status == "waiting":
            transaction.update(reference, {"status": status, "endedAt": now()})

    _end(transaction())


def get_match(*, uid: str) -> MatchRequest:
    """Return the caller's latest match request."""
    request = REQUESTS.read(REQUESTS.ref(uid).get())
    if request is None:
        raise ApiError(ErrorCode.NOT_FOUND, "You have not asked for a match")
    return _out(request)


def cancel_match(*, uid: str) -> MatchRequest:
    """Cancel the caller's waiting request (409 with its state if it is no longer waiting)."""

    reference = REQUESTS.ref(uid)

    @transactional("matching.request.cancel")
    def _cancel(transaction: Transaction) -> MatchRequestDoc:
        current = REQUESTS.read(reference.get(transaction=transaction))
        if current is None:
            raise ApiError(ErrorCode.NOT_FOUND, "You have not asked for a match")
        if current.status != "waiting":
            raise ApiError(
                ErrorCode.CONFLICT,
                f"The request is already {current.status}",
                details=[
                    {
                        "field": "status",
                        "message": current.status,
                        "type": "request_state",
                        "request": _out(current).to_json_dict(),
                    }
                ],
            )
        cancelled = current.model_copy(update={"status": "cancelled", "ended_at": now()})
        transaction.update(reference, {"status": "cancelled", "endedAt": cancelled.ended_at})
        return cancelled

    result: MatchRequestDoc = _cancel(transaction())
    assert result.ended_at is not None
    _log.info(
        "match cancelled",
        extra={
            "event": "match_cancelled",
            "uid": uid,
            "matchRequestId": result.request_id,
            "waitS": _wait_s(result.created_at, result.ended_at),
        },
    )
    return _out(result)


def forget_request(*, uid: str) -> None:
    """Delete the user's match request (its account is being deleted)."""
    REQUESTS.ref(uid).delete()


# ---- the sweep ----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did."""

    sessions: list[tuple[str, Waiting, Waiting]]
    timed_out: list[Waiting]
    no_question: list[Waiting]

    def absorb(self, other: SweepResult) -> None:
        """Add what another sweep (or chunk of one) did."""
        self.sessions.extend(other.sessions)
        self.timed_out.extend(other.timed_out)
        self.no_question.extend(other.no_question)


def _bucket_query(difficulty: str, language: str) -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return (
        REQUESTS.collection()
        .where(filter=FieldFilter("difficulty", "==", difficulty))
        .where(filter=FieldFilter("language", "==", language))
        .where(filter=FieldFilter("status", "==", "waiting"))
        .order_by("createdAt")
        .limit(_BUCKET_LIMIT)
    )


def _end_fields(reason: str, message: str, at: dt.datetime) -> dict[str, Any]:
    return {"status": "timed_out", "endedAt": at, "reason": reason, "reasonMessage": message}


def _plan(
    waiting: list[Waiting], at: dt.datetime, sampler: QuestionSampler | None = None
) -> tuple[list[tuple[Waiting, Waiting, Question | None]], list[Waiting], dict[str, MatchProfile]]:
    """Decide, outside any transaction, who pairs with whom on which question, and who expires."""
    pairs = pair_up(waiting, at)
    paired = {uid for pair in pairs for uid in (pair[0].uid, pair[1].uid)}
    overdue = [w for w in waiting if w.uid not in paired and w.expires_at <= at]
    if not pairs:
        return [], overdue, {}
    profiles = match_profiles(sorted(paired))
    sampler = sampler or QuestionSampler(pairs[0][0].difficulty)
    planned: list[tuple[Waiting, Waiting, Question | None]] = []
    for a, b in pairs:
        if a.uid not in profiles or b.uid not in profiles:
            continue  # a profile deleted meanwhile: its request is forgotten with it
        avoid = set(profiles[a.uid].attempted_question_ids)
        avoid |= profiles[b.uid].attempted_question_ids
        question = None
        for topics in question_topics(a, b, at):
            question = sampler.pick(topics=topics, avoid_ids=avoid)
            if question is not None:
                break
        planned.append((a, b, question))
    return planned, overdue, profiles


def _commit(
    planned: list[tuple[Waiting, Waiting, Question | None]],
    overdue: list[Waiting],
    profiles: dict[str, MatchProfile],
    at: dt.datetime,
) -> SweepResult:
    """Write the plan in one transaction, for the requests that still wait as planned."""

    from common.sessions import Participant, new_session

    involved = [w for a, b, _ in planned for w in (a, b)] + overdue
    references = [REQUESTS.ref(w.uid) for w in involved]

    @transactional("matching.sweep.commit")
    def _write(transaction: Transaction) -> SweepResult:
        current = {s.id: REQUESTS.read(s) for s in transaction.get_all(references)}

        def still(request: Waiting) -> bool:
            fresh = current.get(request.uid)
            return (
                fresh is not None
                and fresh.status == "waiting"
                and fresh.request_id == request.request_id
            )

        result = SweepResult(sessions=[], timed_out=[], no_question=[])
        for a, b, question in planned:
            if not (still(a) and still(b)):
                continue  # cancelled or replaced meanwhile: the next sweep sees the rest
            if question is None:
                # No question can ever be found for them: waiting longer would not help.
                for request in (a, b):
                    transaction.update(
                        REQUESTS.ref(request.uid), _end_fields("no_question", _NO_QUESTION, at)
                    )
                result.no_question.extend((a, b))
                continue
            session_id = new_session(
                transaction,
                pair=(
                    Participant(a.uid, profiles[a.uid].username, a.request_id),
                    Participant(b.uid, profiles[b.uid].username, b.request_id),
                ),
                question=question,
                language=a.language,
                at=at,
            )
            for me, partner in ((a, b), (b, a)):
                transaction.update(
                    REQUESTS.ref(me.uid),
                    {
                        "status": "matched",
                        "sessionId": session_id,
                        "partner": PartnerRef(
                            uid=partner.uid, username=profiles[partner.uid].username
                        ).model_dump(by_alias=True),
                        "endedAt": at,
                    },
                )
            result.sessions.append((session_id, a, b))
        for request in overdue:
            if still(request):
                transaction.update(
                    REQUESTS.ref(request.uid), _end_fields("no_partner", _NO_PARTNER, at)
                )
                result.timed_out.append(request)
        return result

    committed: SweepResult = _write(transaction())
    return committed


def sweep_bucket(
    *, difficulty: str, language: str, sampler: QuestionSampler | None = None
) -> SweepResult:
    """Pair every compatible waiting couple of the bucket and time out the overdue.

    The bucket is read and the pairs and their questions chosen outside any transaction; then
    each chunk of pairs is written in one transaction that re-reads its requests and skips a pair
    whose request no longer waits as read (cancelled, replaced, or paired by another sweep), so
    nothing slow holds a transaction and a pair is made exactly once. One span
    (``matching.sweep``) holds the chunks' ``matching.sweep.commit`` transactions.
    """
    clock = time.perf_counter()
    at = now()
    waiting = _read(_bucket_query(difficulty, language))
    read_ms = (time.perf_counter() - clock) * 1000
    return _sweep_group(
        bucket_key(difficulty, language), waiting, at=at, sampler=sampler, read_ms=read_ms
    )


def sweep_waiting(*, samplers: dict[str, QuestionSampler] | None = None) -> SweepResult:
    """Sweep every bucket that holds a waiting request, from one read of the oldest of them.

    When that read is full, the buckets are read one by one instead, so that a crowd waiting in
    one bucket (topics nobody shares yet) never hides another bucket's requests. ``samplers``
    keeps one question sampler per difficulty across the sweeps of one sweeper.
    """
    clock = time.perf_counter()
    at = now()
    waiting = _read(_waiting_query())
    groups: dict[tuple[Difficulty, Language], list[Waiting]] = {}
    if len(waiting) < _WAITING_LIMIT:
        for request in waiting:
            groups.setdefault((request.difficulty, request.language), []).append(request)
    else:
        for difficulty in DIFFICULTIES:
            for language in LANGUAGES:
                found = _read(_bucket_query(difficulty, language))
                if found:
                    groups[(difficulty, language)] = found
    read_ms = (time.perf_counter() - clock) * 1000
    samplers = {} if samplers is None else samplers
    for difficulty, _ in groups:
        if difficulty not in samplers:
            samplers[difficulty] = QuestionSampler(difficulty)
    result = SweepResult(sessions=[], timed_out=[], no_question=[])
    parts = _side_by_side(
        [
            functools.partial(
                _sweep_group,
                bucket_key(difficulty, language),
                group,
                at=at,
                sampler=samplers[difficulty],
                read_ms=read_ms,
            )
            for (difficulty, language), group in groups.items()
        ]
    )
    for part in parts:
        result.absorb(part)
    return result


def _side_by_side(calls: list[Callable[[], _T]]) -> list[_T]:
    """Run the calls in threads (each in a copy of the caller's context, so its spans nest under
    the caller's); return their results in order, or raise the first failure."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(_AT_ONCE, len(calls))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [future.result() for future in futures]


def _read(query: Any) -> list[Waiting]:
    return [Waiting.of(s.id, REQUESTS.parse(s.to_dict() or {})) for s in query.get()]


def _waiting_query() -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return (
        REQUESTS.collection()
        .where(filter=FieldFilter("status", "==", "waiting"))
        .order_by("createdAt")
        .limit(_WAITING_LIMIT)
    )


def _sweep_group(
    bucket: str,
    waiting: list[Waiting],
    *,
    at: dt.datetime,
    sampler: QuestionSampler | None,
    read_ms: float,
) -> SweepResult:
    with span("matching.sweep", attributes={"peerprep.bucket": bucket}) as current:
        clock = time.perf_counter()
        planned, overdue, profiles = _plan(waiting, at, sampler)
        plan = time.perf_counter()
        result = SweepResult(sessions=[], timed_out=[], no_question=[])
        chunks = [
            slice(index, index + _PAIRS_PER_COMMIT)
            for index in range(0, max(len(planned), len(overdue)), _PAIRS_PER_COMMIT)
        ]
        parts = _side_by_side(
            [
                functools.partial(_commit, planned[chunk], overdue[chunk], profiles, at)
                for chunk in chunks
            ]
        )
        for part in parts:
            result.absorb(part)
        done = time.perf_counter()
        current.set_attributes(
            {
                "peerprep.pairs": len(result.sessions),
                "peerprep.timed_out": len(result.timed_out) + len(result.no_question),
            }
        )
    _log.info(
        "bucket swept",
        extra={
            "event": "bucket_swept",
            "bucket": bucket,
            "waiting": len(waiting),
            "pairs": len(result.sessions),
            "skipped": len(planned) - len(result.sessions) - len(result.no_question) // 2,
            "readMs": round(read_ms, 1),
            "planMs": round((plan - clock) * 1000, 1),
            "commitMs": round((done - plan) * 1000, 1),
        },
    )
    _log_sweep(result)
    return result


# ---- one sweeper at a time, serving every message that came meanwhile --------------------------


def _sweeper_ref() -> DocumentReference:
    return firestore_client().collection(_SWEEPER[0]).document(_SWEEPER[1])


def _held(data: dict[str, Any], at: dt.datetime) -> bool:
    until = data.get("leaseUntil")
    return bool(data.get("lease")) and until is not None and until > at


def _claim(reference: DocumentReference) -> str | None:
    """Take the sweeper's lease, or leave word for its holder to sweep again; the lease or None.

    The lease document is written optimistically (``write_if_unchanged``), never in a
    transaction: the messages of a burst all touch it, and contended transactions on one
    document wait for each other.
    """
    for _ in range(_LEASE_ATTEMPTS):
        read = reference.get()
        data = read.to_dict() or {}
        at = now()
        if _held(data, at):
            if data.get("dirty") or write_if_unchanged(reference, read, {"dirty": True}):
                return None  # its holder sweeps again after its sweep: it will see this request
            continue
        lease = uuid.uuid4().hex
        if write_if_unchanged(
            reference, read, {"lease": lease, "leaseUntil": at + _LEASE, "dirty": False}
        ):
            return lease
    raise RuntimeError("the sweeper's lease is too contended: the message comes again")


def _again(reference: DocumentReference, lease: str, *, busy: bool = False) -> str:
    """After a sweep: ``"word"`` (word came meanwhile) or ``"busy"`` (the sweep paired someone)
    keep the lease for another sweep; otherwise ``"done"``, and the lease is let go."""
    for _ in range(_LEASE_ATTEMPTS):
        read = reference.get()
        data = read.to_dict() or {}
        if data.get("lease") != lease:
            return "done"  # it expired and another took it: that one sweeps now
        if data.get("dirty") or busy:
            renewed = {"dirty": False, "leaseUntil": now() + _LEASE}
            if write_if_unchanged(reference, read, renewed):
                return "word" if data.get("dirty") else "busy"
        elif write_if_unchanged(reference, read, {"lease": None, "leaseUntil": None}):
            return "done"
    return "word"  # word keeps coming while the holder tries to let go: sweep again


def _let_go(reference: DocumentReference, lease: str) -> None:
    """Give the lease back after a failed sweep, keeping the word that a sweep is due."""
    for _ in range(_LEASE_ATTEMPTS):
        read = reference.get()
        if (read.to_dict() or {}).get("lease") != lease:
            return
        if write_if_unchanged(reference, read, {"lease": None, "leaseUntil": None}):
            return


def serve_waiting() -> int:
    """Sweep every waiting request, and again while requests came during the sweep; the number
    of sweeps.

    One sweeper at a time (the lease ``matchSweeper/lease``): a message that finds the lease held
    leaves word (``dirty``) and returns at once, and the holder sweeps again before letting the
    lease go, so every request written before a sweep began is seen by one, and a burst of
    messages costs a few sweeps rather than one each. While matching is busy (a sweep paired
    people in the last ``_LINGER_S``), the holder also sweeps again after a short pause without
    waiting for word: in a burst the messages trail the requests (push delivery lags behind
    publishing), and the requests they name are found by the sweep's read anyway. A single
    sweeper for every bucket keeps it to one push held open, however many buckets are busy,
    and the others answer at once. A holder that dies loses its lease after ``_LEASE``; one
    holds it at most ``_BUSY_FOR_S`` before the next message takes over.
    """
    reference = _sweeper_ref()
    lease = _claim(reference)
    if lease is None:
        return 0
    sweeps = 0
    started = time.monotonic()
    samplers: dict[str, QuestionSampler] = {}  # one sample of questions per topic set
    paired_at = started - _LINGER_S  # no lingering before a sweep pairs someone
    try:
        while True:
            result = sweep_waiting(samplers=samplers)
            sweeps += 1
            clock = time.monotonic()
            if result.sessions:
                paired_at = clock
            busy = clock - paired_at < _LINGER_S and clock - started < _BUSY_FOR_S
            outcome = _again(reference, lease, busy=busy)
            if outcome == "done":
                return sweeps
            if outcome == "busy":
                time.sleep(_BUSY_PAUSE_S)
    except BaseException:
        # Pub/Sub delivers the message again: let that delivery sweep rather than wait out
        # the lease.
        with contextlib.suppress(Exception):
            _let_go(reference, lease)
        raise


def _log_sweep(result: SweepResult) -> None:
    at = now()
    for session_id, a, b in result.sessions:
        _log.info(
            "match created",
            extra={
                "event": "match_created",
                "sessionId": session_id,
                "uids": [a.uid, b.uid],
                "difficulty": a.difficulty,
                "language": a.language,
                "waitS": max(_wait_s(a.created_at, at), _wait_s(b.created_at, at)),
                "waitsS": {a.uid: _wait_s(a.created_at, at), b.uid: _wait_s(b.created_at, at)},
            },
        )
    for reason, requests in (("no_partner", result.timed_out), ("no_question", result.no_question)):
        for request in requests:
            (_log.info if reason == "no_partner" else _log.error)(
                "match timed out",
                extra={
                    "event": "match_timed_out",
                    "uid": request.uid,
                    "matchRequestId": request.request_id,
                    "difficulty": request.difficulty,
                    "waitS": _wait_s(request.created_at, at),
                    "reason": reason,
                },
            )


def orphaned_buckets(*, before: dt.datetime, page_size: int) -> Iterator[tuple[str, str]]:
    """Yield each bucket (difficulty, language) holding a request waiting past ``before``."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = (
        REQUESTS.collection()
        .where(filter=FieldFilter("status", "==", "waiting"))
        .where(filter=FieldFilter("expiresAt", "<", before))
    )
    buckets = {
        (str(s.get("difficulty")), str(s.get("language")))
        for s in pages(query, order_by="expiresAt", page_size=page_size)
    }
    yield from sorted(buckets)


# ---- the worker and the callbacks ----------------------------------------------------------------


def _current(uid: str, request_id: str) -> MatchRequestDoc | None:
    request = REQUESTS.read(REQUESTS.ref(uid).get())
    if request is None or request.request_id != request_id:
        return None
    return request


def handle_match_message(*, uid: str, request_id: str) -> str:
    """Sweep (or leave word for the sweeper) if the request still waits; otherwise do nothing."""
    request = _current(uid, request_id)
    if request is None or request.status != "waiting":
        return "stale"
    sweeps = serve_waiting()
    return f"swept {sweeps} times" if sweeps else "left to the sweep in progress"


def handle_timeout(*, uid: str, request_id: str, stage: str) -> str:
    """Relax (and publish again) or expire the request, if it is still the current one."""

    request = _current(uid, request_id)
    if request is None or request.status != "waiting":
        return "stale"
    at = now()
    due = request.relax_at if stage == "relax" else request.expires_at
    if due > at:
        raise NotDueError((due - at).total_seconds())
    if stage == "expire":
        # The worker's sweep ends it, in the bucket's turn: one sweep at a time per bucket, and a
        # compatible partner that still waits gets paired rather than both timing out.
        publish_request(uid=uid, request_id=request_id)
        return "expiring"

    reference = REQUESTS.ref(uid)

    @transactional("matching.request.relax")
    def _relax(transaction: Transaction) -> bool:
        fresh = REQUESTS.read(reference.get(transaction=transaction))
        if fresh is None or fresh.request_id != request_id or fresh.status != "waiting":
            return False
        if not fresh.relaxed:
            transaction.update(reference, {"relaxed": True})
        return True

    if not _relax(transaction()):
        return "stale"
    _log.info(
        "match relaxed", extra={"event": "match_relaxed", "uid": uid, "matchRequestId": request_id}
    )
    # Publishing again also rescues a request whose first publish was lost.
    publish_request(uid=uid, request_id=request_id)
    return "relaxed"
