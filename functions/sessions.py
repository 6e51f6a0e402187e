"""Sessions: rejoin, read with the merged code, leave, run and submit the code."""

from __future__ import annotations

from common.http import Call, endpoint
from common.runs import start_run, submit_code
from common.runs.models import Run, RunCreate
from common.sessions import active_session, get_session, leave_session, set_language
from common.sessions.models import LanguageUpdate, Session

__all__ = [
    "code_run",
    "code_submit",
    "sessions_active",
    "sessions_get",
    "sessions_leave",
    "sessions_set_language",
]


@endpoint(method="GET", path="/sessions/active", response=Session, errors=(404,))
def sessions_active(call: Call) -> Session:
    """One's active session, for rejoining after a reload."""
    return active_session(uid=call.caller.uid)


@endpoint(method="GET", path="/sessions/{id}", response=Session, errors=(403, 404))
def sessions_get(call: Call) -> Session:
    """A session one takes part in, with its current code."""
    return get_session(session_id=call.params["id"], uid=call.caller.uid)


@endpoint(method="POST", path="/sessions/{id}/leave", response=Session, errors=(403, 404))
def sessions_leave(call: Call) -> Session:
    """Leave a session (the last one out ends it; attempts are recorded)."""
    return leave_session(session_id=call.params["id"], uid=call.caller.uid)


@endpoint(
    method="POST",
    path="/sessions/{id}/run",
    body=RunCreate,
    response=Run,
    errors=(403, 404, 409, 429, 502, 503),
)
def code_run(call: Call, body: RunCreate) -> Run:
    """Run the session's current code with the given stdin (both partners see the run)."""
    return start_run(session_id=call.params["id"], uid=call.caller.uid, data=body)


@endpoint(
    method="POST",
    path="/sessions/{id}/submit",
    response=Run,
    errors=(403, 404, 409, 429, 502, 503),
)
def code_submit(call: Call) -> Run:
    """Judge the session's current code on its question's tests (both partners see the run)."""
    return submit_code(session_id=call.params["id"], uid=call.caller.uid)


@endpoint(
    method="PATCH",
    path="/sessions/{id}/language",
    body=LanguageUpdate,
    response=Session,
    errors=(403, 404),
)
def sessions_set_language(call: Call, body: LanguageUpdate) -> Session:
    """Switch the session's language for both partners (the starter code follows if untouched)."""
    return set_language(session_id=call.params["id"], uid=call.caller.uid, language=body.language)
