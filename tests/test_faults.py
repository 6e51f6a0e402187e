"""Faults, on a stack of this module's own: Pub/Sub deliveries duplicated, concurrent and out of
order; the worker failing midway and retried; the Firestore emulator stopped and restarted;
Cloud Tasks callbacks duplicated, concurrent and late.

Requests that the faults play on are written as the API writes them, with explicit times
(``waiting_request``) rather than sleeps racing the relax and expiry timers, and their messages
go straight to the worker's handler, from threads released together by a barrier so that they
really contend. A handler that raises is called again, as Pub/Sub redelivers a nacked message.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from common.clients import firestore_client
from common.matching import CALLBACK_PATH, handle_match_message, publish_request
from devstack import LocalStack
from tests.conftest import TEST_ENV
from tests.support import (
    Api,
    AuthEmulator,
    EmulatorUser,
    assert_error,
    at_once,
    match_outcomes,
    own_stack,
    unique,
    wait_for,
    waiting_request,
)

T = TypeVar("T")

# Requests made through the API here wait long enough never to expire during a test.
FAULTS_ENV = {
    **TEST_ENV,
    "MATCH_RELAX_SECONDS": "2",
    "MATCH_EXPIRE_SECONDS": "30",
    # Each Firestore call gives up after this long, its retries included (default 10 s).
    "FIRESTORE_CALL_TIMEOUT_S": "4",
}


@pytest.fixture(scope="module")
def faults() -> Iterator[LocalStack]:
    with own_stack(FAULTS_ENV) as local:
        yield local


@pytest.fixture(scope="module")
def api(faults: LocalStack) -> Api:
    return Api(faults.api_url)


@pytest.fixture(scope="module")
def auth(faults: LocalStack) -> AuthEmulator:
    return AuthEmulator(faults)


# ---- helpers -------------------------------------------------------------------------------------


def deliver(uid: str, request_id: str, *, attempts: int = 30) -> int:
    """Deliver one message to the worker's handler as Pub/Sub push does: again while it raises.

    Returns how many deliveries failed before one was acknowledged.
    """
    for failed in range(attempts):
        try:
            handle_match_message(uid=uid, request_id=request_id)
        except Exception:  # a nack: Pub/Sub delivers the message again
            time.sleep(0.05 * (failed + 1))
            continue
        return failed
    raise AssertionError(f"the message for {uid} was never acknowledged")


def players(api: Api, auth: AuthEmulator, count: int) -> list[EmulatorUser]:
    """New signed-in users with profiles."""

    def one(_: int) -> EmulatorUser:
        user = auth.sign_up()
        response = api.post("/users", json={"username": unique("f")[:20]}, user=user)
        assert response.status_code == 201, response.text
        return user

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def write_waiting(
    uids: list[str],
    *,
    difficulty: str,
    language: str,
    start: dt.datetime,
    expires_at: dt.datetime,
    **fields: Any,
) -> dict[str, str]:
    """Write a waiting request per uid, one millisecond apart from ``start`` (the first is the
    oldest), each relaxed from the start and expiring at ``expires_at``; return the request ids."""
    ids = {}
    for index, uid in enumerate(uids):
        at = start + dt.timedelta(milliseconds=index)
        ids[uid] = uuid.uuid4().hex
        document = waiting_request(
            uid,
            request_id=ids[uid],
            at=at,
            difficulty=difficulty,
            language=language,
            expiresAt=expires_at,
            **fields,
        )
        firestore_client().collection("matchRequests").document(uid).set(document)
    return ids


def request_doc(uid: str) -> dict[str, Any]:
    return firestore_client().collection("matchRequests").document(uid).get().to_dict() or {}


def update_times(uids: list[str]) -> dict[str, Any]:
    """When each request document last changed."""
    client = firestore_client()
    refs = [client.collection("matchRequests").document(uid) for uid in uids]
    return {snapshot.id: snapshot.update_time for snapshot in client.get_all(refs)}


def log_records(stack: LocalStack, service: str = "api") -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in stack.services[service].log_path.read_text().splitlines()
        if line.startswith("{")
    ]


def callback(
    stack: LocalStack, uid: str, request_id: str, stage: str, *, trace: str | None = None
) -> requests.Response:
    """A Cloud Tasks callback, with the stack's secret, as the Tasks emulator sends it."""
    headers = {"X-PeerPrep-Tasks-Secret": stack.tasks_secret}
    if trace is not None:
        headers["traceparent"] = f"00-{trace}-{uuid.uuid4().hex[:16]}-01"
    return requests.post(
        f"{stack.api_url}{CALLBACK_PATH}",
        json={"uid": uid, "requestId": request_id, "stage": stage},
        headers=headers,
        timeout=30,
    )


def handled(stack: LocalStack, traces: list[str]) -> Callable[[], bool]:
    """Whether the worker acknowledged a message under each of these traces."""
    wanted = {f"projects/{stack.project_id}/traces/{trace}" for trace in traces}

    def check() -> bool:
        seen = {
            record.get("logging.googleapis.com/trace")
            for record in log_records(stack)
            if record.get("message") == "message handled"
        }
        return wanted <= seen

    return check


def patch_everywhere(monkeypatch: pytest.MonkeyPatch, module: str, name: str, new: Any) -> None:
    """Replace a project function in its module and wherever project code imported it by name."""
    original = getattr(sys.modules[module], name)
    for loaded in list(sys.modules.values()):
        if (loaded.__name__.startswith(("common", "functions"))) and (
            getattr(loaded, name, None) is original
        ):
            monkeypatch.setattr(loaded, name, new)


# ---- Pub/Sub: duplicated, concurrent, out of order ----------------------------------------------


def test_duplicated_concurrent_and_reversed_deliveries_make_one_session_per_pair(
    api: Api, auth: AuthEmulator
) -> None:
    # Six compatible requests pair oldest first: (0, 1), (2, 3), (4, 5). A seventh, the
    # youngest, is overdue and alone: it times out. An eighth was cancelled before any sweep.
    users = [user.uid for user in players(api, auth, 8)]
    waiting, overdue, cancelled = users[:6], users[6], users[7]
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(seconds=10)
    ids = write_waiting(
        waiting,
        difficulty="medium",
        language="cpp",
        start=start,
        expires_at=now + dt.timedelta(seconds=60),
    )
    ids |= write_waiting(
        [overdue],
        difficulty="medium",
        language="cpp",
        start=start + dt.timedelta(seconds=1),
        expires_at=now - dt.timedelta(seconds=1),
    )
    ids |= write_waiting(
        [cancelled], difficulty="medium", language="cpp", start=start, expires_at=now
    )
    firestore_client().collection("matchRequests").document(cancelled).update(
        {"status": "cancelled", "endedAt": now}
    )
    # The newest request's message comes first, twice at once: two sweeps of one bucket contend.
    # (More at once can livelock the Firestore emulator: its transactions wait on each other's
    # locks until they time out, and retry, for minutes.)
    at_once([partial(deliver, overdue, ids[overdue])] * 2)

    outcomes = match_outcomes(users)
    assert [outcomes[uid]["status"] for uid in users] == ["matched"] * 6 + [
        "timed_out",
        "cancelled",
    ]
    pairs = {frozenset((uid, outcomes[uid]["partner"]["uid"])) for uid in waiting}
    assert pairs == {frozenset(waiting[i : i + 2]) for i in range(0, 6, 2)}
    assert outcomes[overdue]["reason"] == "no_partner"
    # Every message, late, newest first, twice: acknowledged at once, nothing changes.
    before = update_times(users)
    for uid in reversed(users):
        for _ in range(2):
            assert deliver(uid, ids[uid]) == 0
    assert update_times(users) == before


# ---- the worker failing midway ------------------------------------------------------------------


def test_a_sweep_that_fails_midway_leaves_nothing_and_its_retry_makes_one_session_per_pair(
    api: Api, auth: AuthEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import common.sessions

    users = [user.uid for user in players(api, auth, 4)]
    now = dt.datetime.now(dt.UTC)
    ids = write_waiting(
        users,
        difficulty="hard",
        language="java",
        start=now - dt.timedelta(seconds=5),
        expires_at=now + dt.timedelta(seconds=60),
    )
    real = common.sessions.new_session
    calls: list[str] = []

    def fails_on_the_second_pair(*args: Any, **kwargs: Any) -> str:
        # The first pair's session is made, then the worker dies making the second pair's.
        session_id = real(*args, **kwargs)
        calls.append(session_id)
        if len(calls) == 2:
            raise RuntimeError("injected: the worker died midway through the sweep")
        return session_id

    patch_everywhere(monkeypatch, "common.sessions", "new_session", fails_on_the_second_pair)
    with pytest.raises(RuntimeError, match="injected"):
        handle_match_message(uid=users[0], request_id=ids[users[0]])
    assert len(calls) == 2, "the fault was injected where the sweep makes sessions"
    # All or nothing: no session exists, every request still waits, untouched.
    outcomes = {uid: request_doc(uid) for uid in users}
    assert {doc["status"] for doc in outcomes.values()} == {"waiting"}
    for session_id in calls:
        assert not firestore_client().collection("sessions").document(session_id).get().exists
    # Pub/Sub delivers the message again, and another user's message at the same time.
    at_once([partial(deliver, uid, ids[uid]) for uid in (users[0], users[3])])
    done = match_outcomes(users)
    assert {uid: done[uid]["status"] for uid in users} == dict.fromkeys(users, "matched")
    assert {frozenset((uid, done[uid]["partner"]["uid"])) for uid in users} == {
        frozenset(users[:2]),
        frozenset(users[2:]),
    }
    assert len(calls) >= 4  # the retries made both sessions through the same function


# ---- Cloud Tasks: duplicated, concurrent, late --------------------------------------------------


def test_an_expiry_callback_twice_at_once_pairs_a_compatible_partner_once(
    faults: LocalStack, api: Api, auth: AuthEmulator
) -> None:
    # The older request is past its expiry, a compatible one waits: its expiry, delivered
    # twice at once, must pair them (never time both out) and make one session.
    old, young = (user.uid for user in players(api, auth, 2))
    now = dt.datetime.now(dt.UTC)
    ids = write_waiting(
        [old],
        difficulty="easy",
        language="javascript",
        start=now - dt.timedelta(seconds=40),
        expires_at=now - dt.timedelta(seconds=1),
    )
    ids |= write_waiting(
        [young],
        difficulty="easy",
        language="javascript",
        start=now - dt.timedelta(seconds=1),
        expires_at=now + dt.timedelta(seconds=60),
    )
    answers = at_once([lambda: callback(faults, old, ids[old], "expire")] * 3)
    assert [answer.status_code for answer in answers] == [200] * 3, [a.text for a in answers]
    assert wait_for(lambda: request_doc(old)["status"] != "waiting", 10.0)
    assert wait_for(lambda: request_doc(young)["status"] != "waiting", 10.0)
    outcomes = match_outcomes([old, young])
    assert outcomes[old]["status"] == outcomes[young]["status"] == "matched"
    # Late copies of both callbacks, at once: 200 and stale, nothing changes.
    before = update_times([old, young])
    late = at_once([partial(callback, faults, old, ids[old], s) for s in ("relax", "expire")] * 2)
    assert [(a.status_code, a.json()) for a in late] == [(200, {"outcome": "stale"})] * 4
    assert update_times([old, young]) == before


def test_an_expiry_callback_twice_at_once_times_out_a_lone_request_once(
    faults: LocalStack, api: Api, auth: AuthEmulator
) -> None:
    (lone,) = (user.uid for user in players(api, auth, 1))
    now = dt.datetime.now(dt.UTC)
    ids = write_waiting(
        [lone],
        difficulty="hard",
        language="python",
        start=now - dt.timedelta(seconds=30),
        expires_at=now - dt.timedelta(seconds=1),
        topics=["trie"],
    )
    traces = [uuid.uuid4().hex, uuid.uuid4().hex]
    answers = at_once(
        [partial(callback, faults, lone, ids[lone], "expire", trace=t) for t in traces]
    )
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    # Each callback hands the request to the worker; both messages are handled.
    assert wait_for(handled(faults, traces), 15.0)
    assert request_doc(lone)["status"] == "timed_out"
    match_outcomes([lone])

    def timed_out_events() -> list[dict[str, Any]]:
        return [
            record
            for record in log_records(faults)
            if record.get("event") == "match_timed_out" and record.get("uid") == lone
        ]

    assert len(timed_out_events()) == 1, timed_out_events()
    before = update_times([lone])
    late = at_once([partial(callback, faults, lone, ids[lone], s) for s in ("relax", "expire")])
    assert [(a.status_code, a.json()) for a in late] == [(200, {"outcome": "stale"})] * 2
    assert update_times([lone]) == before


def test_a_relax_callback_twice_at_once_relaxes_once_and_early_ones_ask_for_a_retry(
    faults: LocalStack, api: Api, auth: AuthEmulator
) -> None:
    (user,) = players(api, auth, 1)
    now = dt.datetime.now(dt.UTC)
    ids = write_waiting(
        [user.uid],
        difficulty="medium",
        language="python",
        start=now - dt.timedelta(seconds=5),
        expires_at=now + dt.timedelta(seconds=60),
        topics=["graphs"],
    )
    # Its relax time is past (it is the creation time), its expiry is a minute away.
    early = at_once([lambda: callback(faults, user.uid, ids[user.uid], "expire")] * 2)
    for answer in early:
        assert_error(answer, 503, "unavailable")
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    answers = at_once([lambda: callback(faults, user.uid, ids[user.uid], "relax")] * 2)
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    doc = request_doc(user.uid)
    assert doc["status"] == "waiting" and doc["relaxed"] is True
    # Cancelled, then late callbacks of both stages: stale, the request stays cancelled.
    assert api.delete("/match", user=user).status_code == 200
    before = update_times([user.uid])
    late = at_once(
        [partial(callback, faults, user.uid, ids[user.uid], s) for s in ("relax", "expire")] * 2
    )
    assert [(a.status_code, a.json()) for a in late] == [(200, {"outcome": "stale"})] * 4
    assert update_times([user.uid]) == before
    match_outcomes([user.uid])


# ---- the Firestore emulator stopped and restarted -----------------------------------------------


def _ready(stack: LocalStack) -> requests.Response:
    return requests.get(f"{stack.api_url}/ready", timeout=30)


def test_firestore_stopped_and_restarted_during_a_run(
    faults: LocalStack, api: Api, auth: AuthEmulator, tmp_path: Path
) -> None:
    """While Firestore is down, /ready answers 503 naming it, and the worker cannot handle the
    messages published meanwhile (its reads wait, or fail and the message comes again).
    Restarted with the data it held (the emulator keeps data in memory: it is exported just
    before the stop, as Firestore keeps it through an outage), everything resumes: the messages
    published during the outage pair their requests, new requests work, and no match is half
    made."""
    one, two, three, four = players(api, auth, 4)
    assert _ready(faults).status_code == 200
    now = dt.datetime.now(dt.UTC)
    ids = write_waiting(
        [one.uid, two.uid],
        difficulty="easy",
        language="cpp",
        start=now - dt.timedelta(seconds=2),
        expires_at=now + dt.timedelta(seconds=60),
    )
    export = faults.export_firestore(tmp_path / "export", "outage")
    faults.services["firestore"].stop()
    try:
        # Down: the requests' messages are published now, and fail at the worker.
        for user in (one, two):
            publish_request(uid=user.uid, request_id=ids[user.uid])
        started = time.monotonic()
        ready = _ready(faults)
        assert time.monotonic() - started < 10
        assert_error(ready, 503, "unavailable")
        assert [detail["field"] for detail in ready.json()["error"]["details"]] == ["firestore"]
        # The API answers promptly too: each Firestore call gives up after its bound (4 s
        # here) rather than the client library's minutes of retries, and the answer is 503.
        for method, path, body in (
            ("GET", "/users/me", None),
            ("POST", "/match", {"difficulty": "easy", "topics": [], "language": "python"}),
        ):
            started = time.monotonic()
            answer = api.request(method, path, json=body, user=three)
            assert time.monotonic() - started < 4 + 6, (path, time.monotonic() - started)
            assert_error(answer, 503, "unavailable")
            assert answer.headers["Retry-After"] == "1"
    finally:
        faults.start_firestore(import_data=export)
        faults.wait_http("firestore", f"http://{faults.host('firestore')}/")
    # Back: ready again within a few probes (clients reconnect), and the work resumes.
    assert wait_for(lambda: _ready(faults).status_code == 200, 30.0, interval_s=0.5)
    assert wait_for(lambda: request_doc(one.uid).get("status") == "matched", 30.0)
    for user in (three, four):
        body = {"difficulty": "easy", "topics": ["arrays"], "language": "python"}
        response = api.post("/match", json=body, user=user)
        assert response.status_code == 202, response.text
    assert wait_for(lambda: request_doc(four.uid).get("status") == "matched", 15.0)
    outcomes = match_outcomes([user.uid for user in (one, two, three, four)])
    assert outcomes[one.uid]["partner"]["uid"] == two.uid
    assert outcomes[three.uid]["partner"]["uid"] == four.uid
    assert outcomes[one.uid]["requestId"] == ids[one.uid]
