"""Per-user limits on AI calls, counted in Firestore so that they hold across instances.

Owns ``aiUsage``: ``{uid}_{yyyymmddhh}`` counts a user's calls in one clock hour (UTC),
``{uid}_{sessionId}_hints`` a user's hints in one session. Over the hourly limit: 429 with
``Retry-After`` (seconds until the hour ends); over the hint limit: 429 without it, since it does
not free with time. The counters carry ``expireAt`` for a Firestore TTL policy.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from typing import Any

from common.ai.models import Mode
from common.clients import firestore_client
from common.config import Settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger

__all__ = ["check_limits", "count_call"]

_RESERVE_ATTEMPTS = 20
_log = get_logger(__name__)


def _refusal(
    settings: Settings, *, used: int, hints_used: int | None, now: dt.datetime
) -> ApiError | None:
    per_hour = settings.ai_requests_per_hour
    per_session = settings.ai_hints_per_session
    if used >= per_hour:
        window_end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        retry_after = max(1, math.ceil((window_end - now).total_seconds()))
        return ApiError(
            ErrorCode.RATE_LIMITED,
            f"You have made {per_hour} AI requests this hour; try again later",
            details=[{"field": None, "message": "requests per hour", "type": "per_hour"}],
            headers={"Retry-After": str(retry_after)},
        )
    if hints_used is not None and hints_used >= per_session:
        return ApiError(
            ErrorCode.RATE_LIMITED,
            f"You have used all {per_session} hints of this session; "
            "ask for an explanation or a review instead",
            details=[{"field": None, "message": "hints per session", "type": "per_session"}],
        )
    return None


def _usage(mode: Mode, *, uid: str, session_id: str, settings: Settings, reserve: bool) -> None:
    """Raise 429 if a limit of the caller is reached; with ``reserve``, count this call too.

    Optimistic concurrency rather than a transaction: read the counters, then write both in
    one batch that holds only if neither changed meanwhile (``create`` for a new counter, an
    update preconditioned on the read's update time otherwise); on a conflict, read again.
    Concurrent requests of one user thus never pass a limit, and never wait on locks.
    """
    from google.api_core import exceptions

    client = firestore_client()
    usage = client.collection("aiUsage")
    for attempt in range(_RESERVE_ATTEMPTS):
        now = dt.datetime.now(dt.UTC)
        window = now.replace(minute=0, second=0, microsecond=0)
        counters = [usage.document(f"{uid}_{window:%Y%m%d%H}")]
        if mode == "hint":
            counters.append(usage.document(f"{uid}_{session_id}_hints"))
        snapshots = [counter.get() for counter in counters]
        counts = [int((snapshot.to_dict() or {}).get("count") or 0) for snapshot in snapshots]
        refused = _refusal(
            settings, used=counts[0], hints_used=counts[1] if len(counts) > 1 else None, now=now
        )
        if refused is not None:
            _log.info(
                "ai request refused by a limit",
                extra={
                    "event": "ai_rate_limited",
                    "uid": uid,
                    "sessionId": session_id,
                    "limit": refused.details[0]["type"],
                },
            )
            raise refused
        if not reserve:
            return
        fields: list[dict[str, Any]] = [
            # expireAt: for a TTL policy on aiUsage; counters are worthless after a day or two.
            {"uid": uid, "windowStart": window, "expireAt": window + dt.timedelta(days=2)},
            {"uid": uid, "sessionId": session_id, "expireAt": now + dt.timedelta(days=2)},
        ]
        batch = client.batch()
        for counter, snapshot, count, base in zip(
            counters, snapshots, counts, fields, strict=False
        ):
            data = {**base, "count": count + 1, "updatedAt": now}
            if snapshot.exists:
                option = client.write_option(last_update_time=snapshot.update_time)
                batch.update(counter, data, option=option)
            else:
                batch.create(counter, data)
        try:
            batch.commit()
            return
        except (exceptions.Conflict, exceptions.FailedPrecondition, exceptions.Aborted):
            time.sleep(secrets.randbelow(20 * (attempt + 1)) / 1000)  # another request won
    raise ApiError(
        ErrorCode.UNAVAILABLE,
        "Too many AI requests at once; try again",
        headers={"Retry-After": "1"},
    )


def check_limits(mode: Mode, *, uid: str, session_id: str, settings: Settings) -> None:
    """Raise 429 if one of the caller's limits is reached (reads only)."""
    _usage(mode, uid=uid, session_id=session_id, settings=settings, reserve=False)


def count_call(mode: Mode, *, uid: str, session_id: str, settings: Settings) -> None:
    """Count this call against the caller's limits, or raise 429 if one is reached."""
    _usage(mode, uid=uid, session_id=session_id, settings=settings, reserve=True)
