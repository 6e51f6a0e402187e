"""The matching rules, pure: who is compatible with whom, who pairs with whom, which topics the
question comes from. No Firestore, no clock: the caller gives ``now``.

- Compatible: same bucket (difficulty, language), and topics overlap, or either side asked for
  any topic (empty list), or either side is relaxed (``now >= relaxAt``).
- Pairing: each request, oldest first, with the oldest compatible request still unpaired.
- Question topics: the topics both asked for, else either's; the strict side's when only one is
  relaxed; any topic of the difficulty last, so that a couple never waits for want of a topic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from common.catalogue import Difficulty, Language
from common.matching.models import MatchRequestDoc

__all__ = ["Waiting", "bucket_key", "compatible", "pair_up", "question_topics"]


def bucket_key(difficulty: str, language: str) -> str:
    """Return the ordering key of a bucket."""
    return f"{difficulty}:{language}"


@dataclass(frozen=True)
class Waiting:
    """A waiting request as the sweep sees it."""

    uid: str
    request_id: str
    difficulty: Difficulty
    language: Language
    topics: tuple[str, ...]
    relaxed: bool
    created_at: dt.datetime
    relax_at: dt.datetime
    expires_at: dt.datetime

    @classmethod
    def of(cls, uid: str, request: MatchRequestDoc) -> Waiting:
        """Build from a stored ``matchRequests/{uid}`` document."""
        return cls(
            uid=uid,
            request_id=request.request_id,
            difficulty=request.difficulty,
            language=request.language,
            topics=tuple(request.topics),
            relaxed=request.relaxed,
            created_at=request.created_at,
            relax_at=request.relax_at,
            expires_at=request.expires_at,
        )

    def is_relaxed(self, now: dt.datetime) -> bool:
        """Tell whether this request accepts any topic by now."""
        return self.relaxed or now >= self.relax_at


def compatible(a: Waiting, b: Waiting, now: dt.datetime) -> bool:
    """Same bucket, and topics overlap, or either side asked for any, or either is relaxed."""
    if a.uid == b.uid or (a.difficulty, a.language) != (b.difficulty, b.language):
        return False
    if a.is_relaxed(now) or b.is_relaxed(now) or not a.topics or not b.topics:
        return True
    return bool(set(a.topics) & set(b.topics))


def question_topics(a: Waiting, b: Waiting, now: dt.datetime) -> list[list[str]]:
    """Topic sets to pick the question from, most preferred first ([] means any topic)."""
    a_relaxed, b_relaxed = a.is_relaxed(now), b.is_relaxed(now)
    both = sorted(set(a.topics) & set(b.topics))
    either = sorted(set(a.topics) | set(b.topics))
    if a_relaxed != b_relaxed:
        strict = b if a_relaxed else a
        choices = [list(strict.topics)]
    elif a.topics and b.topics:
        choices = [both] if both else []
        choices.append(either)
    else:
        choices = [either]
    # A couple is never left waiting for want of a topic: any question of the difficulty.
    return [*(choice for choice in choices if choice), []]


def pair_up(waiting: list[Waiting], now: dt.datetime) -> list[tuple[Waiting, Waiting]]:
    """Pair each request, oldest first, with the oldest compatible request still unpaired."""
    ordered = sorted(waiting, key=lambda request: (request.created_at, request.uid))
    taken: set[str] = set()
    pairs = []
    for index, first in enumerate(ordered):
        if first.uid in taken:
            continue
        for second in ordered[index + 1 :]:
            if second.uid not in taken and compatible(first, second, now):
                pairs.append((first, second))
                taken.update((first.uid, second.uid))
                break
    return pairs
