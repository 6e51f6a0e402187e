"""Matching through the real Pub/Sub push subscription and Cloud Tasks callbacks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from common.clients import firestore_client
from common.matching import CALLBACK_PATH
from common.tasks import enqueue_callback
from devstack import LocalStack
from tests.support import (
    Api,
    AuthEmulator,
    EmulatorUser,
    assert_error,
    at_once,
    unique,
    wait_for,
    waiting_request,
)

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def player(api: Api, auth: AuthEmulator) -> EmulatorUser:
    user = auth.sign_up()
    response = api.post("/users", json={"username": unique("m")[:20]}, user=user)
    assert response.status_code == 201, response.text
    return user


def ask(
    api: Api,
    user: EmulatorUser,
    difficulty: str = "easy",
    topics: list[str] | None = None,
    language: str = "python",
    **kwargs: Any,
) -> dict[str, Any]:
    body = {"difficulty": difficulty, "topics": topics or [], "language": language}
    response = api.post("/match", json=body, user=user, **kwargs)
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def request_doc(user: EmulatorUser) -> dict[str, Any]:
    return firestore_client().collection("matchRequests").document(user.uid).get().to_dict() or {}


def settled(*users: EmulatorUser) -> Callable[[], bool]:
    return lambda: all(request_doc(user).get("status") != "waiting" for user in users)


def sessions_of(uid: str) -> list[dict[str, Any]]:
    query = (
        firestore_client()
        .collection("sessions")
        .where(filter=FieldFilter("participants", "array_contains", uid))
    )
    return [snapshot.to_dict() or {} for snapshot in query.stream()]


def callback(stack: LocalStack, body: dict[str, Any], secret: str | None) -> requests.Response:
    headers = {"X-PeerPrep-Tasks-Secret": secret} if secret is not None else {}
    return requests.post(
        f"{stack.api_url}/internal/match-timeout", json=body, headers=headers, timeout=30
    )


def publish(stack: LocalStack, payload: bytes, ordering_key: str = "") -> None:
    message: dict[str, Any] = {"data": base64.b64encode(payload).decode()}
    if ordering_key:
        message["orderingKey"] = ordering_key
    url = f"http://{stack.host('pubsub')}/v1/projects/{stack.project_id}/topics/match-requests:publish"
    response = requests.post(url, json={"messages": [message]}, timeout=10)
    response.raise_for_status()


def log_records(stack: LocalStack, service: str = "api") -> Iterator[dict[str, Any]]:
    for line in stack.services[service].log_path.read_text().splitlines():
        if line.startswith("{"):
            yield json.loads(line)


# ---- pairing -----------------------------------------------------------------------------------


def sweeper_idle() -> Any:
    """Wait until no sweeper holds the lease (one lingers a moment after its last pairing);
    return the lease document's reference."""
    from common.matching.service import _sweeper_ref

    sweeper = _sweeper_ref()
    deadline = time.monotonic() + 30
    while (sweeper.get().to_dict() or {}).get("lease"):
        assert time.monotonic() < deadline, "the sweeper's lease was never let go"
        time.sleep(0.1)
    return sweeper


def test_two_compatible_users_are_matched_within_three_seconds(
    api: Api, auth: AuthEmulator
) -> None:
    alice, bob = player(api, auth), player(api, auth)
    asked = ask(api, alice, "medium", ["arrays", "graphs"], "java")
    assert asked["status"] == "waiting" and asked["relaxed"] is False
    assert asked["relaxAt"] < asked["expiresAt"]
    started = time.monotonic()
    ask(api, bob, "medium", ["graphs"], "java")
    assert wait_for(settled(alice, bob), 3.0), (request_doc(alice), request_doc(bob))
    assert time.monotonic() - started < 3.0
    a, b = api.get("/match", user=alice).json(), api.get("/match", user=bob).json()
    assert a["status"] == b["status"] == "matched"
    assert a["sessionId"] == b["sessionId"]
    assert a["partner"]["uid"] == bob.uid and b["partner"]["uid"] == alice.uid
    session = (
        firestore_client().collection("sessions").document(a["sessionId"]).get().to_dict() or {}
    )
    assert sorted(session["participants"]) == sorted([alice.uid, bob.uid])
    assert session["participantInfo"][bob.uid]["username"] == a["partner"]["username"]
    assert session["status"] == "active" and session["language"] == "java"
    question = session["question"]
    assert question["difficulty"] == "medium" and "graphs" in question["topics"]
    assert question["starterCode"].strip() and "class" in question["starterCode"]
    assert question["description"] and question["examples"]


def test_different_languages_both_time_out(api: Api, auth: AuthEmulator) -> None:
    py, js = player(api, auth), player(api, auth)
    ask(api, py, "hard", ["strings"], "python")
    ask(api, js, "hard", ["strings"], "cpp")
    assert wait_for(settled(py, js), 20.0)
    assert request_doc(py)["status"] == request_doc(js)["status"] == "timed_out"
    assert sessions_of(py.uid) == sessions_of(js.uid) == []


def test_timeouts_cancels_and_relaxes_are_logged_as_events(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    waiting, leaving = player(api, auth), player(api, auth)
    ask(api, waiting, "hard", ["matrix"], "javascript")
    ask(api, leaving, "hard", ["matrix"], "python")
    api.delete("/match", user=leaving)
    assert wait_for(settled(waiting), 20.0)

    def events(uid: str) -> dict[str, dict[str, Any]]:
        return {
            str(r["event"]): r for r in log_records(stack) if r.get("uid") == uid and "event" in r
        }

    assert wait_for(lambda: {"match_relaxed", "match_timed_out"} <= set(events(waiting.uid)), 5.0)
    timed_out = events(waiting.uid)["match_timed_out"]
    assert timed_out["waitS"] >= 4.0 and timed_out["matchRequestId"]
    cancelled = events(leaving.uid)["match_cancelled"]
    assert cancelled["waitS"] >= 0


def test_disjoint_topics_match_after_relax_with_the_strict_sides_topic(
    api: Api, auth: AuthEmulator
) -> None:
    early, late = player(api, auth), player(api, auth)
    first = ask(api, early, "easy", ["strings"], "javascript")
    time.sleep(1.2)  # the late request relaxes later: it is the strict side when the early relaxes
    ask(api, late, "easy", ["graphs"], "javascript")
    time.sleep(0.5)
    assert request_doc(early)["status"] == "waiting"  # no overlap, nobody relaxed yet
    assert wait_for(settled(early, late), 10.0)
    doc = request_doc(early)
    assert doc["status"] == "matched", doc
    matched_after = (doc["endedAt"] - doc["createdAt"]).total_seconds()
    relax_delay = (doc["relaxAt"] - doc["createdAt"]).total_seconds()
    assert matched_after >= relax_delay
    assert doc["relaxed"] is True
    session = (
        firestore_client().collection("sessions").document(doc["sessionId"]).get().to_dict() or {}
    )
    assert "graphs" in session["question"]["topics"], first


def test_empty_topics_mean_any(api: Api, auth: AuthEmulator) -> None:
    anything, specific = player(api, auth), player(api, auth)
    ask(api, anything, "hard", [], "cpp")
    ask(api, specific, "hard", ["dynamic-programming"], "cpp")
    assert wait_for(settled(anything, specific), 3.0)
    doc = request_doc(specific)
    assert doc["status"] == "matched" and doc["relaxed"] is False
    session = (
        firestore_client().collection("sessions").document(doc["sessionId"]).get().to_dict() or {}
    )
    assert "dynamic-programming" in session["question"]["topics"]


# ---- the HTTP answers --------------------------------------------------------------------------


def test_cancel_then_cancel_again(api: Api, auth: AuthEmulator) -> None:
    user = player(api, auth)
    assert_error(api.delete("/match", user=user), 404, "not_found")
    asked = ask(api, user, "hard", ["trie"], "java")
    cancelled = api.delete("/match", user=user)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["requestId"] == asked["requestId"]
    again = assert_error(api.delete("/match", user=user), 409, "conflict")
    assert again["error"]["details"][0]["request"]["status"] == "cancelled"
    assert api.get("/match", user=user).json()["status"] == "cancelled"


def test_double_request_is_409(api: Api, auth: AuthEmulator) -> None:
    user = player(api, auth)
    ask(api, user, "hard", ["union-find"], "javascript")
    response = api.post(
        "/match", json={"difficulty": "hard", "topics": [], "language": "javascript"}, user=user
    )
    assert_error(response, 409, "already_waiting")
    api.delete("/match", user=user)


def test_request_while_in_a_session_is_409(api: Api, auth: AuthEmulator) -> None:
    one, two = player(api, auth), player(api, auth)
    ask(api, one, "easy", ["math"], "cpp")
    ask(api, two, "easy", ["math"], "cpp")
    assert wait_for(settled(one, two), 3.0)
    body = assert_error(
        api.post("/match", json={"difficulty": "easy", "language": "cpp"}, user=one),
        409,
        "in_session",
    )
    assert body["error"]["details"][0]["message"] == request_doc(one)["sessionId"]


def test_no_questions_is_409(api: Api, auth: AuthEmulator) -> None:
    user = player(api, auth)
    topics = api.get("/topics", user=user).json()["items"]
    empty = [(t["slug"], d) for t in topics for d, n in t["counts"].items() if n == 0]
    assert empty, "the seeded bank covers every topic at every difficulty"
    topic, difficulty = random.choice(empty)
    response = api.post(
        "/match",
        json={"difficulty": difficulty, "topics": [topic], "language": "python"},
        user=user,
    )
    assert_error(response, 409, "no_questions")
    assert not firestore_client().collection("matchRequests").document(user.uid).get().exists


def test_a_profile_is_needed(api: Api, auth: AuthEmulator) -> None:
    nobody = auth.sign_up()
    response = api.post("/match", json={"difficulty": "easy", "language": "python"}, user=nobody)
    assert_error(response, 409, "profile_required")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"difficulty": "extreme", "language": "python"}, "difficulty"),
        ({"difficulty": "easy", "language": "rust"}, "language"),
        ({"difficulty": "easy", "language": "python", "topics": ["cooking"]}, "topics.0"),
        ({"difficulty": "easy", "language": "python", "topics": ["arrays"] * 2}, "topics"),
        (
            {
                "difficulty": "easy",
                "language": "python",
                "topics": ["arrays", "strings", "math", "heap", "trie", "stack"],
            },
            "topics",
        ),
    ],
)
def test_bad_match_request_is_422(
    api: Api, user: EmulatorUser, body: dict[str, Any], field: str
) -> None:
    error = assert_error(api.post("/match", json=body, user=user), 422, "validation_error")
    assert error["error"]["details"][0]["field"] == field


def test_match_status_without_request_is_404(api: Api, user: EmulatorUser) -> None:
    assert_error(api.get("/match", user=user), 404, "not_found")


# ---- duplicates, stale messages and callbacks --------------------------------------------------


def test_the_same_message_three_times_makes_one_session(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = player(api, auth), player(api, auth)
    first = ask(api, one, "medium", ["heap"], "cpp")
    second = ask(api, two, "medium", ["heap"], "cpp")
    for asked, user in ((first, one), (second, two)):
        for _ in range(3):
            publish(
                stack,
                json.dumps({"uid": user.uid, "requestId": asked["requestId"]}).encode(),
                "medium:cpp",
            )
    assert wait_for(settled(one, two), 5.0)
    time.sleep(1.0)  # let the duplicates arrive
    assert len(sessions_of(one.uid)) == 1 and len(sessions_of(two.uid)) == 1
    assert request_doc(one)["sessionId"] == request_doc(two)["sessionId"]


def test_callbacks_after_the_match_or_for_an_older_request_change_nothing(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two, three = player(api, auth), player(api, auth), player(api, auth)
    matched = ask(api, one, "hard", ["greedy"], "python")
    ask(api, two, "hard", ["greedy"], "python")
    assert wait_for(settled(one, two), 3.0)
    before = request_doc(one)
    for stage in ("relax", "expire"):
        response = callback(
            stack,
            {"uid": one.uid, "requestId": matched["requestId"], "stage": stage},
            stack.tasks_secret,
        )
        assert response.status_code == 200 and response.json() == {"outcome": "stale"}
    assert request_doc(one) == before
    # An older request's callbacks do not touch the newer request of the same user.
    old = ask(api, three, "hard", ["graphs"], "java")
    api.delete("/match", user=three)
    new = ask(api, three, "hard", ["graphs"], "java")
    for stage in ("relax", "expire"):
        response = callback(
            stack,
            {"uid": three.uid, "requestId": old["requestId"], "stage": stage},
            stack.tasks_secret,
        )
        assert response.json() == {"outcome": "stale"}
    current = request_doc(three)
    assert current["requestId"] == new["requestId"] and current["status"] == "waiting"
    assert current["relaxed"] is False
    api.delete("/match", user=three)


def test_a_callback_before_its_time_asks_for_a_retry(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    user = player(api, auth)
    asked = ask(api, user, "hard", ["trie"], "javascript")
    response = callback(
        stack,
        {"uid": user.uid, "requestId": asked["requestId"], "stage": "expire"},
        stack.tasks_secret,
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert request_doc(user)["status"] == "waiting"
    api.delete("/match", user=user)


def test_match_timeout_refuses_anything_but_cloud_tasks(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    user = player(api, auth)
    asked = ask(api, user, "hard", ["trie"], "python")
    body = {"uid": user.uid, "requestId": asked["requestId"], "stage": "expire"}
    assert_error(callback(stack, body, None), 401, "unauthenticated")
    assert_error(callback(stack, body, "guess"), 403, "permission_denied")
    with_user_token = requests.post(
        f"{stack.api_url}/internal/match-timeout", json=body, headers=user.headers, timeout=30
    )
    assert_error(with_user_token, 401, "unauthenticated")
    assert request_doc(user)["status"] == "waiting"
    api.delete("/match", user=user)


def test_a_malformed_message_is_dropped(stack: LocalStack) -> None:
    marker = unique("bad")
    publish(stack, b"not json " + marker.encode())
    publish(stack, json.dumps({"uid": marker}).encode())
    dropped = wait_for(
        lambda: (
            sum(1 for r in log_records(stack) if r["message"] == "dropped a malformed message") >= 2
        ),
        5.0,
    )
    assert dropped


def test_a_lost_publish_is_rescued_by_the_relax_callback(api: Api, auth: AuthEmulator) -> None:
    # Two compatible requests as a crash right after writing them would leave them: written and
    # their callbacks scheduled, but never published. The relax callback publishes them. (Any
    # sweep would find them too: wait until no sweeper works for an earlier test.)
    one, two = player(api, auth), player(api, auth)
    sweeper_idle()
    now = dt.datetime.now(dt.UTC)
    for user in (one, two):
        request_id = uuid.uuid4().hex
        firestore_client().collection("matchRequests").document(user.uid).set(
            waiting_request(
                user.uid,
                request_id=request_id,
                at=now,
                expires_in_s=30,
                difficulty="medium",
                topics=["stack"],
                relaxAt=now + dt.timedelta(seconds=1),
            )
        )
        enqueue_callback(
            task_id=f"{request_id}-relax",
            path=CALLBACK_PATH,
            payload={"uid": user.uid, "requestId": request_id, "stage": "relax"},
            run_at=now + dt.timedelta(seconds=1),
        )
    time.sleep(0.8)
    assert request_doc(one)["status"] == "waiting"  # nothing was published
    assert wait_for(settled(one, two), 8.0)
    assert request_doc(one)["status"] == "matched"
    assert request_doc(one)["sessionId"] == request_doc(two)["sessionId"]


def test_an_orphaned_request_does_not_block_a_new_one(api: Api, auth: AuthEmulator) -> None:
    user = player(api, auth)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    firestore_client().collection("matchRequests").document(user.uid).set(
        waiting_request(user.uid, request_id="orphan", at=long_ago)
    )
    fresh = ask(api, user, "hard", ["trie"], "java")
    assert fresh["requestId"] != "orphan"
    api.delete("/match", user=user)


# ---- observability -----------------------------------------------------------------------------


def test_the_trace_follows_the_match_and_events_are_logged(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = player(api, auth), player(api, auth)
    traceparent = f"00-{TRACE_ID}-b7ad6b7169203331-01"
    ask(api, one, "easy", ["sorting"], "java", headers={"traceparent": traceparent})
    ask(api, two, "easy", ["sorting"], "java")
    assert wait_for(settled(one, two), 3.0)
    trace = f"projects/{stack.project_id}/traces/{TRACE_ID}"

    def traced() -> set[str]:
        return {
            str(r.get("function") or r.get("event"))
            for r in log_records(stack)
            if r.get("logging.googleapis.com/trace") == trace
        }

    # The POST itself, the worker (from the Pub/Sub attributes) and the relax callback (from the
    # Cloud Tasks headers) all log under the trace of the POST.
    assert wait_for(lambda: {"match_request", "match_worker", "match_timeout"} <= traced(), 6.0), (
        traced()
    )
    events = [
        r
        for r in log_records(stack)
        if r.get("event") == "match_created" and one.uid in r.get("uids", [])
    ]
    assert len(events) == 1 and events[0]["waitS"] >= 0
    requested = [
        r
        for r in log_records(stack)
        if r.get("event") == "match_requested" and r.get("uid") == one.uid
    ]
    assert requested and requested[0]["difficulty"] == "easy"


# ---- load --------------------------------------------------------------------------------------


GROUPS = [  # (difficulty, language, topic sets cycled over the group's users, size)
    ("easy", "python", [["arrays"], ["arrays", "strings"], []], 11),
    ("easy", "java", [["strings"], ["hash-table"]], 9),
    ("easy", "cpp", [["arrays"]], 10),
    ("medium", "python", [["graphs"], ["trees"], ["graphs", "trees"]], 12),
    ("medium", "javascript", [["dynamic-programming"]], 7),
    ("medium", "java", [["sorting"], []], 10),
    ("hard", "python", [["strings"], ["dynamic-programming"]], 8),
    ("hard", "javascript", [["graphs"]], 13),
    ("hard", "cpp", [["arrays"], ["strings"]], 10),
    ("easy", "javascript", [["math"], ["recursion"]], 10),
]


def test_hundred_users_in_ten_groups_at_once(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    # A gateway of its own gives these requests a longer expiry, so that the burst of requests
    # is over well before anyone may time out; the worker and callbacks are the shared ones.
    stack.start_gateway(
        name="api-load", env={"MATCH_RELAX_SECONDS": "3", "MATCH_EXPIRE_SECONDS": "15"}
    )
    try:
        load_api = Api(f"http://{stack.host('api-load')}/api")
        assert sum(size for *_, size in GROUPS) == 100
        with ThreadPoolExecutor(max_workers=16) as pool:
            users = list(pool.map(lambda _: player(load_api, auth), range(100)))
        plan = []
        iterator = iter(users)
        for difficulty, language, topic_sets, size in GROUPS:
            for index in range(size):
                plan.append(
                    (next(iterator), difficulty, language, topic_sets[index % len(topic_sets)])
                )

        def go(entry: tuple[EmulatorUser, str, str, list[str]]) -> dict[str, Any]:
            user, difficulty, language, topics = entry
            return ask(load_api, user, difficulty, topics, language)

        with ThreadPoolExecutor(max_workers=25) as pool:
            list(pool.map(go, plan))
        assert wait_for(settled(*users), 40.0, interval_s=0.5)
    finally:
        service = stack.services.pop("api-load")
        service.stop()
    outcomes = Counter(request_doc(user)["status"] for user in users)
    expected_sessions = sum(size // 2 for *_, size in GROUPS)
    expected_timeouts = sum(size % 2 for *_, size in GROUPS)
    assert outcomes == {"matched": 2 * expected_sessions, "timed_out": expected_timeouts}
    sessions: dict[str, list[str]] = {}
    for user in users:
        found = sessions_of(user.uid)
        assert len(found) <= 1, f"{user.uid} is in {len(found)} sessions"
        doc = request_doc(user)
        if doc["status"] == "matched":
            sessions.setdefault(doc["sessionId"], []).append(user.uid)
    assert len(sessions) == expected_sessions
    assert all(len(members) == 2 for members in sessions.values())
    # Each group's leftover is the only one of its group to time out, and partners share criteria.
    criteria = {user.uid: (difficulty, language) for user, difficulty, language, _ in plan}
    for members in sessions.values():
        assert criteria[members[0]] == criteria[members[1]]
    timed_out_groups = Counter(
        criteria[user.uid] for user in users if request_doc(user)["status"] == "timed_out"
    )
    assert all(count == 1 for count in timed_out_groups.values())


def test_a_message_finding_the_sweeper_busy_leaves_word_and_the_holder_sweeps_again(
    api: Api, auth: AuthEmulator
) -> None:
    from common.matching import REQUESTS, handle_match_message
    from common.matching.service import _again

    one, two = player(api, auth), player(api, auth)
    sweeper = sweeper_idle()
    at = dt.datetime.now(dt.UTC)
    ids = {user.uid: uuid.uuid4().hex for user in (one, two)}
    for user in (one, two):
        REQUESTS.ref(user.uid).set(
            waiting_request(
                user.uid,
                request_id=ids[user.uid],
                at=at,
                expires_in_s=60,
                difficulty="hard",
                language="java",
            )
        )
    sweeper.set(
        {"lease": "another-sweeper", "leaseUntil": at + dt.timedelta(seconds=30), "dirty": False}
    )

    # Another sweeper holds the lease: the message returns at once and leaves word.
    assert handle_match_message(uid=one.uid, request_id=ids[one.uid]) == (
        "left to the sweep in progress"
    )
    assert sweeper.get().get("dirty") is True
    assert request_doc(one)["status"] == "waiting"
    # That holder, done with its sweep, is told to sweep again (and the word is taken).
    assert _again(sweeper, "another-sweeper") == "word"
    assert sweeper.get().get("dirty") is False
    # Each word costs the holder one more sweep; without word, it lets go.
    assert handle_match_message(uid=one.uid, request_id=ids[one.uid]) == (
        "left to the sweep in progress"
    )
    assert _again(sweeper, "another-sweeper") == "word"
    assert _again(sweeper, "another-sweeper") == "done"
    assert sweeper.get().get("lease") is None

    # A holder that died: its lease runs out and the next message takes the sweeper over.
    sweeper.set(
        {"lease": "a-dead-sweeper", "leaseUntil": at - dt.timedelta(seconds=1), "dirty": True}
    )
    # It pairs them, and keeps sweeping for a moment as matching was busy, then lets go.
    outcome = handle_match_message(uid=two.uid, request_id=ids[two.uid])
    assert outcome.startswith("swept ") and outcome != "swept 1 times", outcome
    assert request_doc(one)["status"] == request_doc(two)["status"] == "matched"
    assert request_doc(one)["sessionId"] == request_doc(two)["sessionId"]
    assert sweeper.get().get("lease") is None


def test_the_lease_goes_to_exactly_one_of_many_messages_at_once(
    api: Api, auth: AuthEmulator
) -> None:
    """Concurrent claims on the lease: one takes it, every other leaves word, none waits."""
    from common.matching.service import _claim

    sweeper = sweeper_idle()
    sweeper.set({"lease": None, "leaseUntil": None, "dirty": False})
    started = time.monotonic()
    leases = at_once([lambda: _claim(sweeper)] * 8)
    elapsed = time.monotonic() - started
    taken = [lease for lease in leases if lease is not None]
    assert len(taken) == 1, leases
    stored = sweeper.get().to_dict() or {}
    assert stored["lease"] == taken[0]
    assert stored["dirty"] is True
    # Optimistic writes: nobody waited on a lock (contended transactions wait ~2 s each here).
    assert elapsed < 2.0, elapsed
    sweeper.set({"lease": None, "leaseUntil": None}, merge=True)


@pytest.mark.usefixtures("stack")
def test_a_crowd_waiting_in_one_bucket_never_hides_another_bucket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the sweep's one read of the oldest waiting requests is full, it reads each bucket on
    its own: here three old requests nobody can pair fill it, and two overdue requests of
    another bucket still end (without the per-bucket reads they would wait on)."""
    from common.matching import REQUESTS, service

    monkeypatch.setattr(service, "_WAITING_LIMIT", 3)
    sweeper_idle()
    now = dt.datetime.now(dt.UTC)
    crowd = [unique("crowd") for _ in range(3)]
    late = [unique("late") for _ in range(2)]
    for uid in crowd:  # older than anything else waiting; topics nobody shares; not relaxed
        REQUESTS.ref(uid).set(
            waiting_request(
                uid,
                request_id=uuid.uuid4().hex,
                at=now - dt.timedelta(days=2),
                expires_in_s=3 * 86400,
                difficulty="medium",
                language="cpp",
                topics=[unique("topic")],
                relaxAt=now + dt.timedelta(hours=1),
            )
        )
    for uid in late:  # overdue in another bucket: the sweep that reads them ends them
        REQUESTS.ref(uid).set(
            waiting_request(
                uid,
                request_id=uuid.uuid4().hex,
                at=now - dt.timedelta(seconds=40),
                expires_in_s=10,
                difficulty="hard",
                language="javascript",
                topics=[unique("topic")],
            )
        )
    try:
        service.sweep_waiting()
        statuses = {uid: (REQUESTS.ref(uid).get().to_dict() or {})["status"] for uid in late}
        assert "waiting" not in statuses.values(), statuses
        assert all(
            (REQUESTS.ref(uid).get().to_dict() or {})["status"] == "waiting" for uid in crowd
        )
    finally:
        for uid in crowd + late:
            REQUESTS.ref(uid).delete()


def test_a_burst_in_one_bucket_costs_a_few_sweeps_not_one_per_request(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    users = [player(api, auth) for _ in range(30)]
    already = sum(1 for r in log_records(stack) if r.get("event") == "bucket_swept")
    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(lambda u: ask(api, u, "medium", [], "javascript"), users))
    assert wait_for(settled(*users), 15.0)
    sessions = {request_doc(u)["sessionId"] for u in users}
    assert len(sessions) == 15
    sweeps = sum(1 for r in log_records(stack) if r.get("event") == "bucket_swept") - already
    # One sweep per message would be 15 or more (a message finding its request matched is
    # stale); here messages that come during a sweep wait for the holder's next one.
    assert sweeps <= 10, sweeps
