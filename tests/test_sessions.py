"""Sessions: reading with the merged code, concurrent editing through Firestore, compaction,
leaving, attempts, and the sweeper job."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.clients import firestore_client
from common.sessions import SESSIONS, compact_session, session_code
from common.sessions.crdt import merge, text_of
from devstack import LocalStack
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    EmulatorUser,
    assert_error,
    make_session,
    random_edit,
    run_job,
    unique,
    waiting_request,
    with_profiles,
    yjs_text,
)

STARTER = "def solve(nums):\n    pass\n"


def _session(session_id: str) -> dict[str, Any]:
    return firestore_client().collection("sessions").document(session_id).get().to_dict() or {}


def _server_text(session_id: str) -> str:
    return session_code(session_id, SESSIONS.parse(_session(session_id))).text


# ---- reading -----------------------------------------------------------------------------------


def test_get_session_answers_participants_with_the_code(api: Api, auth: AuthEmulator) -> None:
    one, two, other = auth.sign_up(), auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    response = api.get(f"/sessions/{session_id}", user=one)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == session_id and body["code"] == STARTER
    assert body["status"] == "active" and body["leftBy"] == []
    assert body["question"]["starterCode"] == STARTER
    assert "snapshot" not in body
    assert_error(api.get(f"/sessions/{session_id}", user=other), 403, "permission_denied")
    assert_error(api.get(f"/sessions/{unique('nope')}", user=one), 404, "not_found")
    assert_error(api.get(f"/sessions/{session_id}"), 401, "unauthenticated")


def test_a_matched_pair_rejoins_through_sessions_active(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    assert_error(api.get("/sessions/active", user=one), 404, "not_found")
    for user in (one, two):
        body = {"difficulty": "hard", "topics": ["bit-manipulation"], "language": "java"}
        assert api.post("/match", json=body, user=user).status_code == 202
    deadline = time.monotonic() + 5
    while api.get("/match", user=one).json()["status"] == "waiting" and time.monotonic() < deadline:
        time.sleep(0.1)
    active = api.get("/sessions/active", user=one)
    assert active.status_code == 200, active.text
    session = active.json()
    assert session["id"] == api.get("/match", user=two).json()["sessionId"]
    assert session["language"] == "java"
    # The code is the question's Java starter code, from the Yjs snapshot made at match time.
    assert session["code"] == session["question"]["starterCode"] and "class" in session["code"]
    assert api.post(f"/sessions/{session['id']}/leave", user=one).status_code == 200
    assert_error(api.get("/sessions/active", user=one), 404, "not_found")
    assert api.get("/sessions/active", user=two).json()["id"] == session["id"]
    api.post(f"/sessions/{session['id']}/leave", user=two)


# ---- editing through Firestore -------------------------------------------------------------------


@pytest.mark.parametrize("clients", [2, 5])
def test_concurrent_editors_converge(
    api: Api, auth: AuthEmulator, stack: LocalStack, clients: int
) -> None:
    users = [auth.sign_up() for _ in range(clients)]
    session_id = make_session(users, starter=STARTER)
    editors = [EditorClient(stack, user, session_id) for user in users]
    for editor in editors:
        editor.join()
        assert editor.text == STARTER
    errors: list[BaseException] = []

    def work(editor: EditorClient, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for step in range(200):
                random_edit(editor, rng)
                if step % 10 == 9:  # batch ten keystrokes per write
                    editor.flush()
                if step % 40 == 39:
                    editor.pull()
            editor.flush()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(editor, i)) for i, editor in enumerate(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for editor in editors:
        editor.pull()
    texts = {editor.text for editor in editors}
    assert len(texts) == 1
    (text,) = texts
    assert text != STARTER
    assert _server_text(session_id) == text
    assert api.get(f"/sessions/{session_id}", user=users[0]).json()["code"] == text
    late = EditorClient(stack, users[1], session_id)
    late.join()
    assert late.text == text


def test_reading_a_long_log_compacts_it_without_changing_the_code(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    editor = EditorClient(stack, one, session_id)
    editor.join()
    for index in range(30):  # over the test threshold of 20
        editor.edit(index=0, insert=f"# {index}\n")
        editor.flush()
    before = api.get(f"/sessions/{session_id}", user=two).json()
    assert before["code"] == editor.text
    updates = firestore_client().collection("sessions").document(session_id).collection("updates")
    assert len(list(updates.stream())) == 0
    data = _session(session_id)
    assert data["snapshotVersion"] == 1
    assert text_of(bytes(data["snapshot"])) == editor.text
    assert api.get(f"/sessions/{session_id}", user=two).json()["code"] == editor.text


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16), writers=st.integers(1, 3), rounds=st.integers(1, 4))
def test_compaction_while_clients_write_loses_no_update(
    stack: LocalStack, auth: AuthEmulator, seed: int, writers: int, rounds: int
) -> None:
    users = [auth.sign_up() for _ in range(writers)]
    session_id = make_session(users, starter=STARTER)
    initial = bytes(_session(session_id)["snapshot"])
    sent: list[bytes] = []
    sent_lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(user: EmulatorUser, worker: int) -> None:
        rng = random.Random(seed * 10 + worker)
        editor = EditorClient(stack, user, session_id)
        try:
            editor.join()
            while not stop.is_set():
                random_edit(editor, rng)
                update = merge(editor.pending)
                editor.flush()
                with sent_lock:
                    sent.append(update)
                if rng.random() < 0.2:
                    editor.pull()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(user, i)) for i, user in enumerate(users)]
    for thread in threads:
        thread.start()
    rng = random.Random(seed)
    compactions = 0
    for _ in range(rounds):
        time.sleep(rng.uniform(0.05, 0.4))
        compactions += compact_session(session_id, grace_s=0).merged > 0
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors
    # The reference is yjs itself, fed every update ever sent, in any order.
    expected = yjs_text([initial, *sent])
    assert _server_text(session_id) == expected
    joiner = EditorClient(stack, users[0], session_id)
    joiner.join()
    assert joiner.text == expected
    compact_session(session_id, grace_s=0)
    assert text_of(bytes(_session(session_id)["snapshot"])) == expected
    assert compactions >= 1 or not sent


def test_compaction_keeps_young_updates_for_the_grace_period(
    auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    editor = EditorClient(stack, one, session_id)
    editor.join()
    editor.edit(index=0, insert="# young\n")
    editor.flush()
    assert compact_session(session_id, grace_s=60).merged == 0
    assert _session(session_id)["snapshotVersion"] == 0
    assert compact_session(session_id, grace_s=0).merged == 1
    assert _server_text(session_id) == editor.text


# ---- leaving -----------------------------------------------------------------------------------


def test_leave_twice_by_both_records_one_attempt_each_and_ends_once(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    session_id = make_session([one, two], starter=STARTER)
    usernames = {u.uid: api.get("/users/me", user=u).json()["username"] for u in (one, two)}
    firestore_client().collection("sessions").document(session_id).update(
        {f"participantInfo.`{uid}`.username": name for uid, name in usernames.items()}
    )
    editor = EditorClient(stack, one, session_id)
    editor.join()
    editor.edit(index=len(editor.text), insert="    return 42\n")
    editor.flush()
    time.sleep(0.3)
    first = api.post(f"/sessions/{session_id}/leave", user=one)
    assert first.status_code == 200, first.text
    assert first.json()["leftBy"] == [one.uid] and first.json()["status"] == "active"
    # The partner sees it through its listener on the session document.
    seen = EditorClient(stack, two, session_id).rest.get(f"sessions/{session_id}").json()
    assert seen["fields"]["leftBy"]["arrayValue"]["values"] == [{"stringValue": one.uid}]
    again = api.post(f"/sessions/{session_id}/leave", user=one)
    assert again.status_code == 200 and again.json()["status"] == "active"
    ended = api.post(f"/sessions/{session_id}/leave", user=two).json()
    assert ended["status"] == "ended" and sorted(ended["leftBy"]) == sorted([one.uid, two.uid])
    ended_at = ended["endedAt"]
    assert api.post(f"/sessions/{session_id}/leave", user=two).json()["endedAt"] == ended_at
    for me, partner in ((one, two), (two, one)):
        attempts = api.get("/users/me/attempts", user=me).json()["items"]
        assert len(attempts) == 1
        (attempt,) = attempts
        assert attempt["sessionId"] == session_id
        assert attempt["partner"] == {"uid": partner.uid, "username": usernames[partner.uid]}
        assert attempt["finalCode"] == editor.text
        assert 0.3 <= attempt["durationS"] < 60
        assert api.get("/users/me", user=me).json()["stats"]["sessions"] == 1
    ended_events = [
        json.loads(line)
        for line in stack.services["api"].log_path.read_text().splitlines()
        if '"session_ended"' in line and session_id in line
    ]
    assert len(ended_events) == 1
    # Once ended, nobody writes to it any more.
    refused = editor.rest.add(
        f"sessions/{session_id}/messages", {"author": one.uid, "text": "late"}
    )
    assert refused.status_code == 403


def test_leave_refuses_outsiders(api: Api, auth: AuthEmulator) -> None:
    one, two, other = auth.sign_up(), auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two])
    assert_error(api.post(f"/sessions/{session_id}/leave", user=other), 403, "permission_denied")
    assert_error(api.post(f"/sessions/{unique('x')}/leave", user=one), 404, "not_found")
    assert _session(session_id)["leftBy"] == []


# ---- the sweeper -------------------------------------------------------------------------------


def _sweeper(*args: str) -> list[dict[str, Any]]:
    result = run_job("sweeper", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_sweeper_ends_idle_sessions_and_orphaned_requests(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two, three, four, waiter = (auth.sign_up() for _ in range(5))
    with_profiles(api, one, two, three, four, waiter)
    db = firestore_client()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    idle = make_session([one, two], starter=STARTER)
    db.collection("sessions").document(idle).update(
        {"createdAt": long_ago, "lastActivityAt": long_ago}
    )
    busy = make_session([three, four], starter=STARTER)
    db.collection("sessions").document(busy).update(
        {"createdAt": long_ago, "lastActivityAt": long_ago}
    )
    editor = EditorClient(stack, three, busy)
    editor.join()
    editor.edit(index=0, insert="# still typing\n")
    editor.flush()
    db.collection("matchRequests").document(waiter.uid).set(
        waiting_request(
            waiter.uid,
            request_id="lost",
            at=long_ago,
            difficulty="hard",
            topics=["queue"],
            language="cpp",
        )
    )
    lines = _sweeper("--idle-minutes", "30", "--compact-over", "1000")
    assert _session(idle)["status"] == "ended"
    assert _session(busy)["status"] == "active"
    assert _session(busy)["lastActivityAt"] > long_ago
    for user in (one, two):
        attempts = api.get("/users/me/attempts", user=user).json()["items"]
        assert [a["sessionId"] for a in attempts] == [idle]
        assert attempts[0]["durationS"] >= 7000
    assert db.collection("matchRequests").document(waiter.uid).get().get("status") == "timed_out"
    summary = [line for line in lines if line.get("event") == "sweeper_summary"]
    assert summary and summary[0]["count_sessions_ended"] >= 1
    assert summary[0]["count_requests_timed_out"] >= 1


def test_sweeper_compacts_long_logs(auth: AuthEmulator, stack: LocalStack) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    editor = EditorClient(stack, one, session_id)
    editor.join()
    for index in range(8):
        editor.edit(index=0, insert=f"{index}")
        editor.flush()
    time.sleep(0.2)
    os.environ["COMPACTION_GRACE_S"] = "0"
    _sweeper("--compact-over", "5")
    updates = firestore_client().collection("sessions").document(session_id).collection("updates")
    assert list(updates.stream()) == []
    assert _server_text(session_id) == editor.text
