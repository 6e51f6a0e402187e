"""The matching rules, pure: compatibility, pairing order, question topics."""

from __future__ import annotations

import datetime as dt

from common.matching.policy import Waiting, bucket_key, compatible, pair_up, question_topics

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def waiting(
    uid: str,
    *,
    topics: tuple[str, ...] = (),
    at_s: float = 0,
    relax_after_s: float = 10,
    language: str = "python",
    difficulty: str = "easy",
) -> Waiting:
    created = T0 + dt.timedelta(seconds=at_s)
    return Waiting(
        uid=uid,
        request_id=f"r-{uid}",
        difficulty=difficulty,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        topics=topics,
        relaxed=False,
        created_at=created,
        relax_at=created + dt.timedelta(seconds=relax_after_s),
        expires_at=created + dt.timedelta(seconds=30),
    )


def test_compatible_needs_the_same_bucket_and_overlapping_topics() -> None:
    a = waiting("a", topics=("arrays", "graphs"))
    assert compatible(a, waiting("b", topics=("graphs",)), T0)
    assert not compatible(a, waiting("b", topics=("trees",)), T0)
    assert not compatible(a, waiting("b", topics=("graphs",), language="java"), T0)
    assert not compatible(a, waiting("b", topics=("graphs",), difficulty="hard"), T0)
    assert not compatible(a, a, T0)


def test_any_topic_or_a_relaxed_side_is_compatible() -> None:
    a = waiting("a", topics=("arrays",))
    assert compatible(a, waiting("b"), T0)  # b asked for any topic
    strict = waiting("b", topics=("trees",))
    assert not compatible(a, strict, T0)
    assert compatible(a, strict, T0 + dt.timedelta(seconds=10))  # both relaxed by then


def test_pairs_are_made_oldest_first_with_the_oldest_compatible() -> None:
    a = waiting("a", topics=("arrays",), at_s=0)
    b = waiting("b", topics=("trees",), at_s=1)
    c = waiting("c", topics=("arrays",), at_s=2)
    d = waiting("d", topics=("trees",), at_s=3)
    e = waiting("e", topics=("arrays",), at_s=4)
    pairs = pair_up([e, d, c, b, a], T0 + dt.timedelta(seconds=5))
    assert [(x.uid, y.uid) for x, y in pairs] == [("a", "c"), ("b", "d")]


def test_question_topics_prefer_the_common_ones_and_end_with_any() -> None:
    now = T0
    a = waiting("a", topics=("arrays", "graphs"))
    b = waiting("b", topics=("graphs", "trees"))
    assert question_topics(a, b, now) == [["graphs"], ["arrays", "graphs", "trees"], []]
    assert question_topics(a, waiting("b"), now) == [["arrays", "graphs"], []]
    relaxed = waiting("r", topics=("trees",), relax_after_s=0)
    assert question_topics(a, relaxed, now) == [["arrays", "graphs"], []]


def test_bucket_key() -> None:
    assert bucket_key("easy", "python") == "easy:python"
