"""Abuse limits of the API: per-user fixed windows on match requests and profile changes.

The window logic is driven with explicit timestamps (no sleep races a window's end); the
endpoints are checked through a gateway whose limits are small and whose window is a day long,
so that it does not turn during the test.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.clients import firestore_client
from common.errors import ApiError, ErrorCode
from common.limits import RATE_LIMITS, Window, take
from devstack import LocalStack
from tests.support import Api, AuthEmulator, assert_error, unique, with_profiles

AT = dt.datetime(2099, 1, 1, 12, 0, 15, tzinfo=dt.UTC)  # 45 s before its minute ends
REFUSAL = "{limit} calls; retry in {retry} s"


def _take(key: str, at: dt.datetime, *, limit: int = 3) -> int:
    return take(
        collection=RATE_LIMITS,
        key=key,
        uid=key,
        limit=limit,
        window_s=60,
        refusal=REFUSAL,
        at=at,
    )


def test_the_call_past_the_limit_is_429_until_the_window_ends(stack: LocalStack) -> None:
    key, other = unique("k"), unique("k")
    assert [_take(key, AT + dt.timedelta(seconds=s)) for s in (0, 20, 44)] == [1, 2, 3]

    with pytest.raises(ApiError) as refused:
        _take(key, AT + dt.timedelta(seconds=44, microseconds=500_000))
    assert refused.value.code is ErrorCode.RATE_LIMITED and refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "1"}  # 0.5 s left, rounded up
    assert refused.value.message == "3 calls; retry in 1 s"

    assert _take(other, AT) == 1  # another user (key) has its own counter
    assert _take(key, AT + dt.timedelta(seconds=45)) == 1  # the next minute starts afresh

    counter = firestore_client().collection(RATE_LIMITS).document(f"{key}_20990101120000").get()
    assert counter.to_dict() == {
        "uid": key,
        "count": 3,
        "windowStart": dt.datetime(2099, 1, 1, 12, 0, tzinfo=dt.UTC),
        "expireAt": dt.datetime(2099, 1, 2, 12, 1, tzinfo=dt.UTC),
    }


def test_retry_after_is_the_time_left_in_the_window() -> None:
    assert Window(AT, 60).retry_after == 45
    assert Window(AT, 3600).retry_after == 3600 - 15
    start = Window(dt.datetime(2099, 1, 1, 12, 0, tzinfo=dt.UTC), 60)
    assert (start.start.second, start.retry_after) == (0, 60)


def test_concurrent_calls_of_one_user_never_pass_the_limit_together(stack: LocalStack) -> None:
    key, callers, limit = unique("k"), 8, 5
    barrier = threading.Barrier(callers)

    def call(_: int) -> int | str:
        barrier.wait()
        try:
            return _take(key, AT, limit=limit)
        except ApiError as exc:
            return exc.code.value

    with ThreadPoolExecutor(max_workers=callers) as pool:
        outcomes = list(pool.map(call, range(callers)))

    counts = sorted(outcome for outcome in outcomes if isinstance(outcome, int))
    assert counts == [1, 2, 3, 4, 5]
    assert outcomes.count("rate_limited") == callers - limit


@pytest.fixture(scope="module")
def limited_api(stack: LocalStack) -> Iterator[Api]:
    """A gateway allowing 3 match requests and 2 profile changes a day per user."""
    name = "api-limits"
    stack.start_gateway(
        name=name,
        env={
            "RATE_LIMIT_WINDOW_S": "86400",
            "MATCH_REQUESTS_PER_WINDOW": "3",
            "PROFILE_CHANGES_PER_WINDOW": "2",
        },
    )
    try:
        yield Api(f"http://{stack.host(name)}/api")
    finally:
        stack.stop_service(name)


def _retry_after_bounds() -> tuple[int, int]:
    return Window(dt.datetime.now(dt.UTC), 86400).retry_after, 86400


def test_match_requests_are_limited_per_user(limited_api: Api, auth: AuthEmulator) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(limited_api, one, two)
    criteria = {"difficulty": "hard", "topics": [], "language": "java"}
    statuses = [limited_api.post("/match", json=criteria, user=one).status_code for _ in range(3)]
    low, high = _retry_after_bounds()
    refused = limited_api.post("/match", json=criteria, user=one)
    others = limited_api.post("/match", json={**criteria, "language": "cpp"}, user=two)

    assert statuses == [202, 409, 409]  # refused calls count too: asking is what is limited
    assert_error(refused, 429, "rate_limited")
    assert low - 1 <= int(refused.headers["Retry-After"]) <= high
    assert others.status_code == 202, others.text
    for user in (one, two):  # tidy up (a request relaxed meanwhile may have been matched)
        limited_api.delete("/match", user=user)


def test_profile_changes_are_limited_per_user(limited_api: Api, auth: AuthEmulator) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    created = limited_api.post("/users", json={"username": unique("u").lower()}, user=one)
    changed = limited_api.patch("/users/me", json={"displayName": "One"}, user=one)
    low, high = _retry_after_bounds()
    refused = limited_api.patch("/users/me", json={"displayName": "Again"}, user=one)
    others = limited_api.post("/users", json={"username": unique("u").lower()}, user=two)

    assert (created.status_code, changed.status_code) == (201, 200), changed.text
    body = assert_error(refused, 429, "rate_limited")
    assert body["error"]["message"].startswith("You have changed your profile 2 times")
    assert low - 1 <= int(refused.headers["Retry-After"]) <= high
    assert others.status_code == 201, others.text
    assert limited_api.get("/users/me", user=one).json()["displayName"] == "One"
