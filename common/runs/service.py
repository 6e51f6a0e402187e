"""Running and submitting a session's code: one run at a time per session, a few a minute per user.

Owns ``sessions/{id}/runs`` (both partners listen to it), ``runLocks/{sessionId}`` (the run in
progress) and ``runUsage/{uid}_{yyyymmddhhmmss}`` (runs per user per minute, counted by
``common.limits``). A run is written ``queued``, then ``running``, then ``done`` with its
verdict and output, so that both partners see it progress; the caller also gets the finished
run as the answer. A submission (``kind: submit``) runs the code through the driver of the
question's signature on its visible, then hidden tests, and keeps its verdict on the session
and on both attempts.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from common.clients import firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.firestore import now, transaction, transactional
from common.judging import drivers
from common.limits import take
from common.logs import get_logger
from common.questions import judging_of
from common.runs.judge import judge
from common.runs.models import Run, RunCreate, RunDoc
from common.runs.runner import run_program, run_tests
from common.sessions import (
    participant_session,
    record_submission,
    require_in_session,
    session_code,
)
from common.users.models import Submission

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Transaction

    from common.sessions.models import SessionDoc

__all__ = ["start_run", "submit_code"]

# A lock older than this belongs to a run whose function died: the next run may take it.
_STALE_LOCK = dt.timedelta(seconds=120)
_log = get_logger(__name__)


def _runs(session_id: str) -> Any:
    return firestore_client().collection("sessions").document(session_id).collection("runs")


def _count(uid: str) -> None:
    """Count a run against the user's minute, or answer 429 with when to retry."""
    take(
        collection="runUsage",
        key=uid,
        uid=uid,
        limit=get_settings().runs_per_minute,
        window_s=60,
        refusal="You have run code {limit} times this minute; try again in {retry} s",
    )


def _lock(session_id: str, run_id: str, uid: str) -> DocumentReference:
    """Take the session's run lock (409 while another run is in progress)."""

    reference = firestore_client().collection("runLocks").document(session_id)
    at = now()

    @transactional("runs.lock.take")
    def _take(transaction: Transaction) -> None:
        held = reference.get(transaction=transaction).to_dict()
        if held and held.get("at") and held["at"] > at - _STALE_LOCK:
            raise ApiError(
                ErrorCode.RUN_IN_PROGRESS,
                "A run of this session is in progress; wait for its result",
                headers={"Retry-After": "2"},
            )
        transaction.set(reference, {"runId": run_id, "uid": uid, "at": at})

    _take(transaction())
    return reference


def _unlock(reference: DocumentReference, run_id: str) -> None:
    @transactional("runs.lock.release")
    def _release(transaction: Transaction) -> None:
        held = reference.get(transaction=transaction).to_dict() or {}
        if held.get("runId") == run_id:
            transaction.delete(reference)

    _release(transaction())


def _outcome(answer: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of a finished run, from the runner's answer."""
    compiled = answer.get("compile") or {}
    result = (answer.get("results") or [{}])[0]
    # The compiler's words matter when it failed; its warnings otherwise are noise.
    failed = bool(compiled) and not compiled.get("ok")
    return {
        "status": "done",
        "verdict": str(answer.get("verdict")),
        "stdout": str(result.get("stdout") or ""),
        "stderr": str(result.get("stderr") or ""),
        "compileOutput": f"{compiled.get('stderr') or ''}{compiled.get('stdout') or ''}"
        if failed
        else "",
        "exitCode": result.get("exitCode"),
        "timeMs": answer.get("timeMs"),
        "memoryKb": answer.get("memoryKb"),
        "finishedAt": now(),
    }


def _perform(
    session: SessionDoc,
    *,
    session_id: str,
    uid: str,
    run: RunDoc,
    execute: Callable[[str], dict[str, Any]],
) -> tuple[str, dict[str, Any]]:
    """Run ``execute`` on the session's current code as one run: under the session's lock and
    the user's count, written ``queued``, ``running``, then ``done`` with the fields it returns
    (``runner_error`` if the runner failed); return the run's id and those fields."""
    run_id = uuid.uuid4().hex
    # The lock first: a run refused because another is in progress uses none of the user's runs.
    lock = _lock(session_id, run_id, uid)
    try:
        _count(uid)
        reference = _runs(session_id).document(run_id)
        reference.set(run.model_dump(by_alias=True))
        code = session_code(session_id, session).text
        reference.update({"status": "running"})
        try:
            outcome = execute(code)
        except ApiError:
            reference.update({"status": "done", "verdict": "runner_error", "finishedAt": now()})
            raise
        reference.update(outcome)
    finally:
        _unlock(lock, run_id)
    return run_id, outcome


def _finished(run: RunDoc, run_id: str, outcome: dict[str, Any]) -> Run:
    return Run.model_validate({**run.model_dump(by_alias=True), **outcome, "id": run_id})


def start_run(*, session_id: str, uid: str, data: RunCreate) -> Run:
    """Run the session's current code with ``data.stdin`` and return the finished run."""
    session = participant_session(session_id, uid)
    require_in_session(session, uid)
    run = RunDoc(
        author=uid, language=session.language, status="queued", stdin=data.stdin, created_at=now()
    )

    def execute(code: str) -> dict[str, Any]:
        return _outcome(run_program(language=session.language, source=code, stdin=data.stdin))

    run_id, outcome = _perform(session, session_id=session_id, uid=uid, run=run, execute=execute)
    _log.info(
        "code run",
        extra={
            "event": "code_run",
            "sessionId": session_id,
            "uid": uid,
            "language": session.language,
            "verdict": outcome["verdict"],
            "timeMs": outcome["timeMs"],
        },
    )
    return _finished(run, run_id, outcome)


def submit_code(*, session_id: str, uid: str) -> Run:
    """Judge the session's current code on its question's tests and return the finished run."""
    session = participant_session(session_id, uid)
    require_in_session(session, uid)
    judging = judging_of(session.question.id)
    if judging is None:
        raise ApiError(
            ErrorCode.CONFLICT,
            "This question has no tests to judge against; use Run to try your code",
        )
    signature = judging.signature
    tests = [(test, False) for test in judging.visible] + [(test, True) for test in judging.hidden]
    run = RunDoc(
        kind="submit",
        author=uid,
        language=session.language,
        status="queued",
        total=len(tests),
        created_at=now(),
    )

    def execute(code: str) -> dict[str, Any]:
        # The driver prints the answer after this mark; what the code prints before it is its own.
        mark = f"@@peerprep-{secrets.token_hex(8)}@@"
        answer = run_tests(
            language=session.language,
            source=drivers.program(session.language, signature, code, mark),
            inputs=[test.args for test, _ in tests],
        )
        judged = judge(answer, tests, compare=signature.compare, mark=mark)
        return {
            "status": "done",
            "verdict": judged.verdict,
            "tests": [test.model_dump(by_alias=True, exclude_none=True) for test in judged.tests],
            "passed": judged.passed,
            "stdout": judged.stdout,
            "stderr": judged.stderr,
            "compileOutput": judged.compile_output,
            "timeMs": judged.time_ms,
            "memoryKb": judged.memory_kb,
            "finishedAt": now(),
        }

    run_id, outcome = _perform(session, session_id=session_id, uid=uid, run=run, execute=execute)
    record_submission(
        session_id=session_id,
        submission=Submission(
            run_id=run_id,
            verdict=outcome["verdict"],
            passed=outcome["passed"],
            total=len(tests),
            language=session.language,
            submitted_by=uid,
            submitted_at=outcome["finishedAt"],
        ),
    )
    _log.info(
        "code submitted",
        extra={
            "event": "code_submit",
            "sessionId": session_id,
            "uid": uid,
            "questionId": session.question.id,
            "language": session.language,
            "verdict": outcome["verdict"],
            "passed": outcome["passed"],
            "total": len(tests),
            "timeMs": outcome["timeMs"],
        },
    )
    return _finished(run, run_id, outcome)
