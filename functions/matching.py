"""Matching: ask, look, cancel; the Pub/Sub worker that pairs; the Cloud Tasks callback."""

from __future__ import annotations

import math

from common.errors import ApiError, ErrorCode
from common.events import event_endpoint
from common.http import Call, endpoint
from common.limits import limit_api_call
from common.matching import (
    CALLBACK_PATH,
    NotDueError,
    cancel_match,
    get_match,
    handle_match_message,
    handle_timeout,
    request_match,
)
from common.matching.models import (
    MatchCreate,
    MatchMessage,
    MatchRequest,
    MatchTimeoutCallback,
    MatchTimeoutResult,
)

__all__ = ["match_cancel", "match_request", "match_status", "match_timeout", "match_worker"]


@endpoint(
    method="POST",
    path="/match",
    status=202,
    body=MatchCreate,
    response=MatchRequest,
    errors=(409, 429, 503),
)
def match_request(call: Call, body: MatchCreate) -> MatchRequest:
    """Ask for a match; 202 with the waiting request (409 if waiting or in a session, 429 if
    asked too often)."""
    limit_api_call("match", uid=call.caller.uid)
    return request_match(user=call.caller, data=body)


@endpoint(method="GET", path="/match", response=MatchRequest, errors=(404,))
def match_status(call: Call) -> MatchRequest:
    """One's latest match request (clients listen to matchRequests/{uid} instead)."""
    return get_match(uid=call.caller.uid)


@endpoint(method="DELETE", path="/match", response=MatchRequest, errors=(404, 409))
def match_cancel(call: Call) -> MatchRequest:
    """Cancel one's waiting request."""
    return cancel_match(uid=call.caller.uid)


@event_endpoint(message=MatchMessage)
def match_worker(message: MatchMessage) -> str:
    """Pair the bucket of the request the message names, if it still waits."""
    return handle_match_message(uid=message.uid, request_id=message.request_id)


@endpoint(
    method="POST",
    path=CALLBACK_PATH,
    access="tasks",
    body=MatchTimeoutCallback,
    response=MatchTimeoutResult,
    errors=(401, 403, 503),
)
def match_timeout(call: Call, body: MatchTimeoutCallback) -> MatchTimeoutResult:
    """Relax or expire a request (Cloud Tasks only); 503 asks Cloud Tasks to retry later."""
    try:
        outcome = handle_timeout(uid=body.uid, request_id=body.request_id, stage=body.stage)
    except NotDueError as early:
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            "The callback came before its time; retry later",
            headers={"Retry-After": str(max(1, math.ceil(early.seconds)))},
        ) from None
    return MatchTimeoutResult(outcome=outcome)
