"""Matching: ask, look, cancel; the Pub/Sub worker that pairs; the Cloud Tasks callback."""

from __future__ import annotations

import math

import functions_framework

from common.events import pubsub_endpoint
from common.http import Call, Reply, http_endpoint
from common.matching import (
    NotDueError,
    cancel_match,
    get_match,
    handle_match_message,
    handle_timeout,
    request_match,
)
from common.models import MatchIn, MatchMessage, MatchRequestOut, MatchTimeoutIn, MatchTimeoutOut

__all__ = ["match_cancel", "match_request", "match_status", "match_timeout", "match_worker"]


@functions_framework.http
@http_endpoint("match_request")
def match_request(call: Call) -> MatchRequestOut:
    """Start matching; 202 with the waiting request."""
    return request_match(user=call.caller, data=call.body(MatchIn))


@functions_framework.http
@http_endpoint("match_status")
def match_status(call: Call) -> MatchRequestOut:
    """Return the caller's latest match request."""
    return get_match(uid=call.caller.uid)


@functions_framework.http
@http_endpoint("match_cancel")
def match_cancel(call: Call) -> MatchRequestOut:
    """Cancel the caller's waiting request."""
    return cancel_match(uid=call.caller.uid)


@functions_framework.cloud_event
@pubsub_endpoint("match_worker", MatchMessage)
def match_worker(message: MatchMessage) -> str:
    """Pair the bucket of the request the message names, if it still waits."""
    return handle_match_message(uid=message.uid, request_id=message.request_id)


@functions_framework.http
@http_endpoint("match_timeout")
def match_timeout(call: Call) -> MatchTimeoutOut | Reply:
    """Relax or expire a request (Cloud Tasks only); 503 asks Cloud Tasks to retry later."""
    body = call.body(MatchTimeoutIn)
    try:
        outcome = handle_timeout(uid=body.uid, request_id=body.request_id, stage=body.stage)
    except NotDueError as early:
        retry = str(max(1, math.ceil(early.seconds)))
        return Reply({"outcome": "not_due"}, 503, {"Retry-After": retry})
    return MatchTimeoutOut(outcome=outcome)
