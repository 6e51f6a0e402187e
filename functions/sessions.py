"""Sessions: rejoin, read with the merged code, leave."""

from __future__ import annotations

from common.http import Call, endpoint
from common.sessions import active_session, get_session, leave_session
from common.sessions.models import Session

__all__ = ["sessions_active", "sessions_get", "sessions_leave"]


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
