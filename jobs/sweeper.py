"""Cloud Run job, run on a schedule: the backstop for what no event or callback finished.

    python -m jobs.sweeper [--idle-minutes 30] [--orphan-grace-s 60] [--compact-over 200]
                           [--page-size 200]

- ends sessions idle for longer than the idle limit (no update, message, leave or compaction),
  recording the attempts of those still in them;
- ends waiting match requests whose expiry callback never came, by sweeping their bucket (a
  compatible partner still gets paired, the rest time out);
- compacts the update logs of active sessions (and of sessions ended in the last day) that are
  longer than the threshold, or have anything left once ended.

Every part pages through all its documents (ordered, with a cursor), and each session's or
bucket's work is isolated: one that fails is logged and the run goes on. Logs a line per thing
done and a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from common.config import get_settings
from common.logs import configure_logging, get_logger
from common.matching import orphaned_buckets, sweep_bucket
from common.sessions import (
    compact_session,
    end_session,
    idle_candidates,
    latest_activity,
    sessions_to_compact,
    update_count,
)

__all__ = ["main", "sweep"]

_log = get_logger("jobs.sweeper")


def _isolated(
    kind: str, key: dict[str, Any], totals: Counter[str], work: Callable[[], None]
) -> None:
    """Run one item's work; a failure is logged and counted, and the run goes on."""
    try:
        work()
    except Exception:
        totals[f"{kind}_failed"] += 1
        _log.exception(
            f"sweeping one {kind} failed", extra={"event": f"sweeper_{kind}_failed", **key}
        )


def end_idle_sessions(
    *, now: dt.datetime, idle: dt.timedelta, page_size: int, totals: Counter[str]
) -> None:
    """End sessions with no activity since ``now - idle``."""
    cutoff = now - idle

    def end_if_idle(session_id: str) -> None:
        if latest_activity(session_id) >= cutoff:
            totals["sessions_still_active"] += 1
            return
        if end_session(session_id=session_id, reason="idle"):
            totals["sessions_ended"] += 1
            _log.info(
                "ended an idle session",
                extra={"event": "sweeper_session_ended", "sessionId": session_id},
            )

    for session_id in idle_candidates(before=cutoff, page_size=page_size):
        _isolated("session", {"sessionId": session_id}, totals, partial(end_if_idle, session_id))


def end_orphaned_requests(
    *, now: dt.datetime, grace: dt.timedelta, page_size: int, totals: Counter[str]
) -> None:
    """Sweep the buckets of waiting requests whose expiry is long past."""

    def sweep_one(difficulty: str, language: str) -> None:
        result = sweep_bucket(difficulty=difficulty, language=language)
        totals["requests_timed_out"] += len(result.timed_out) + len(result.no_question)
        totals["sessions_created"] += len(result.sessions)
        _log.info(
            "swept an orphaned bucket",
            extra={
                "event": "sweeper_bucket",
                "difficulty": difficulty,
                "language": language,
                "timedOut": len(result.timed_out),
                "noQuestion": len(result.no_question),
                "paired": len(result.sessions),
            },
        )

    for difficulty, language in orphaned_buckets(before=now - grace, page_size=page_size):
        _isolated(
            "bucket",
            {"difficulty": difficulty, "language": language},
            totals,
            partial(sweep_one, difficulty, language),
        )


def compact_long_logs(
    *, now: dt.datetime, threshold: int, page_size: int, totals: Counter[str]
) -> None:
    """Compact active sessions with long update logs, and ended ones with anything left."""

    def compact_if_long(session_id: str, limit: int) -> None:
        if update_count(session_id) > limit:
            result = compact_session(session_id)
            totals["updates_compacted"] += result.merged
            totals["sessions_compacted"] += 1 if result.merged else 0

    for session_id, limit in sessions_to_compact(
        threshold=threshold, ended_since=now - dt.timedelta(days=1), page_size=page_size
    ):
        _isolated(
            "session",
            {"sessionId": session_id},
            totals,
            partial(compact_if_long, session_id, limit),
        )


def sweep(
    *, idle_minutes: float, orphan_grace_s: float, compact_over: int, page_size: int = 200
) -> Counter[str]:
    """Run every part once and return the counts of what was done."""
    now = dt.datetime.now(dt.UTC)
    totals: Counter[str] = Counter()
    end_idle_sessions(
        now=now, idle=dt.timedelta(minutes=idle_minutes), page_size=page_size, totals=totals
    )
    end_orphaned_requests(
        now=now, grace=dt.timedelta(seconds=orphan_grace_s), page_size=page_size, totals=totals
    )
    compact_long_logs(now=now, threshold=compact_over, page_size=page_size, totals=totals)
    return totals


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, sweep once, log the summary."""
    settings = get_settings()
    parser = argparse.ArgumentParser(
        description="End idle sessions and orphaned requests; compact."
    )
    parser.add_argument("--idle-minutes", type=float, default=settings.session_idle_minutes)
    parser.add_argument("--orphan-grace-s", type=float, default=60.0)
    parser.add_argument("--compact-over", type=int, default=settings.compaction_threshold)
    parser.add_argument("--page-size", type=int, default=200, help="documents read per query")
    args = parser.parse_args(argv)
    configure_logging(project_id=settings.project_id, level=settings.log_level)
    totals = sweep(
        idle_minutes=args.idle_minutes,
        orphan_grace_s=args.orphan_grace_s,
        compact_over=args.compact_over,
        page_size=max(1, args.page_size),
    )
    _log.info(
        "sweep done: %d idle sessions ended, %d orphaned requests timed out, %d sessions compacted",
        totals["sessions_ended"],
        totals["requests_timed_out"],
        totals["sessions_compacted"],
        extra={"event": "sweeper_summary", **{f"count_{k}": v for k, v in totals.items()}},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
