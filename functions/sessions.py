"""Sessions: rejoin, read with the merged code, leave."""

from __future__ import annotations

import functions_framework

from common.http import Call, http_endpoint
from common.models import SessionOut
from common.sessions import active_session, get_session, leave_session

__all__ = ["sessions_active", "sessions_get", "sessions_leave"]


@functions_framework.http
@http_endpoint("sessions_active")
def sessions_active(call: Call) -> SessionOut:
    """Return the caller's active session."""
    return active_session(uid=call.caller.uid)


@functions_framework.http
@http_endpoint("sessions_get")
def sessions_get(call: Call) -> SessionOut:
    """Return a session with its current code."""
    return get_session(session_id=call.params["id"], uid=call.caller.uid)


@functions_framework.http
@http_endpoint("sessions_leave")
def sessions_leave(call: Call) -> SessionOut:
    """Leave a session."""
    return leave_session(session_id=call.params["id"], uid=call.caller.uid)
