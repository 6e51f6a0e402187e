"""Per-user rate limits: a fixed-window counter in Firestore, so that it holds across instances.

A window is ``window_s`` seconds long and aligned on the epoch (a 60 s window is a clock minute,
UTC). Its counter is one document, ``{collection}/{key}_{yyyymmddhhmmss of its start}``, counted
with optimistic concurrency rather than a transaction: read it, then write the new count only if
nobody changed it meanwhile (``create`` if it was missing, else an update preconditioned on the
read's update time), and read again on a conflict. Concurrent calls of one user thus never pass
the limit together, and never wait on locks (a transaction contended by a burst of one user's
calls gives up after its attempts, and the emulator makes each attempt wait). Over the limit: 429
``rate_limited`` with ``Retry-After``, the seconds until the window ends. Counters carry
``expireAt`` (a day after their window) for a Firestore TTL policy on their collection.

``rateLimits`` holds the counters of the API's per-user limits (match requests, profile
changes); ``runUsage`` those of code runs (``common.runs``).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from typing import Literal

from common.clients import firestore_client
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.firestore import now, write_if_unchanged
from common.logs import get_logger

__all__ = ["RATE_LIMITS", "Window", "limit_api_call", "take"]

RATE_LIMITS = "rateLimits"
_EXPIRE_AFTER = dt.timedelta(days=1)
_ATTEMPTS = 20
_log = get_logger(__name__)


class Window:
    """The fixed window of ``window_s`` seconds that holds ``at``."""

    def __init__(self, at: dt.datetime, window_s: int) -> None:
        epoch = at.timestamp()
        self.start = dt.datetime.fromtimestamp(epoch - epoch % window_s, dt.UTC)
        self.end = self.start + dt.timedelta(seconds=window_s)
        self.retry_after = max(1, math.ceil((self.end - at).total_seconds()))


def take(
    *,
    collection: str,
    key: str,
    uid: str,
    limit: int,
    window_s: int,
    refusal: str,
    at: dt.datetime | None = None,
) -> int:
    """Count one call against ``key``'s current window and return the count, or raise 429.

    ``refusal`` is the message of the 429, formatted with ``limit`` and ``retry`` (seconds).
    """
    if limit < 1 or window_s < 1:
        raise ValueError("a rate limit needs limit >= 1 and window_s >= 1")
    window = Window(at or now(), window_s)
    name = f"{key}_{window.start:%Y%m%d%H%M%S}"
    reference = firestore_client().collection(collection).document(name)
    for attempt in range(_ATTEMPTS):
        snapshot = reference.get()
        used = int((snapshot.to_dict() or {}).get("count") or 0)
        if used >= limit:
            _log.info(
                "call refused by a rate limit",
                extra={"event": "rate_limited", "limit": collection, "key": key, "uid": uid},
            )
            raise ApiError(
                ErrorCode.RATE_LIMITED,
                refusal.format(limit=limit, retry=window.retry_after),
                headers={"Retry-After": str(window.retry_after)},
            )
        counter = {
            "uid": uid,
            "count": used + 1,
            "windowStart": window.start,
            "expireAt": window.end + _EXPIRE_AFTER,
        }
        if write_if_unchanged(reference, snapshot, counter):
            return used + 1
        time.sleep(secrets.randbelow(20 * (attempt + 1)) / 1000)  # another call won: read again
    raise ApiError(
        ErrorCode.UNAVAILABLE, "Too many requests at once; try again", headers={"Retry-After": "1"}
    )


_API_LIMITS = {
    "match": "You have asked for a match {limit} times in a short while; try again in {retry} s",
    "profile": "You have changed your profile {limit} times in a short while; "
    "try again in {retry} s",
}


def limit_api_call(scope: Literal["match", "profile"], *, uid: str) -> None:
    """Count a match request or a profile change of ``uid``, or raise 429 with Retry-After."""
    settings = get_settings()
    limits = {
        "match": settings.match_requests_per_window,
        "profile": settings.profile_changes_per_window,
    }
    take(
        collection=RATE_LIMITS,
        key=f"{uid}_{scope}",
        uid=uid,
        limit=limits[scope],
        window_s=settings.rate_limit_window_s,
        refusal=_API_LIMITS[scope],
    )
