"""The session lifecycle against what users (and hostile clients) really do: leaving frees you,
junk or oversized updates break nothing, compaction counts as activity, the sweeper covers
every session, a couple with no possible question is told why."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pycrdt
import pytest

from common.clients import firestore_client
from common.sessions import SESSIONS, compact_session, session_code
from common.sessions.crdt import MAX_CODE_BYTES, initial_state, text_of
from devstack import LocalStack
from devstack.client import edit
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    EmulatorUser,
    FirestoreRest,
    assert_error,
    make_session,
    matched_pair,
    run_job,
    unique,
    waiting_request,
    with_profiles,
)

STARTER = "def solve(nums):\n    pass\n"
JUNK = b"\xff\x13not a yjs update at all\x00\x01"


def _session(session_id: str) -> dict[str, Any]:
    return firestore_client().collection("sessions").document(session_id).get().to_dict() or {}


def _updates(session_id: str) -> list[Any]:
    reference = firestore_client().collection("sessions").document(session_id)
    return list(reference.collection("updates").stream())


def _presence(user: EmulatorUser, **fields: Any) -> dict[str, Any]:
    return {"online": True, "cursor": 3, **fields}


# ---- leaving frees you -------------------------------------------------------------------------


def test_who_left_can_match_again_at_once_and_is_out_of_the_session(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two, session_id = matched_pair(
        api, auth, difficulty="medium", topics=["graphs"], language="cpp"
    )
    left = api.post(f"/sessions/{session_id}/leave", user=one)
    assert left.status_code == 200, left.text
    assert left.json()["leftBy"] == [one.uid] and left.json()["status"] == "active"

    # Out of the session everywhere...
    assert_error(api.get("/sessions/active", user=one), 404, "not_found")
    gone = FirestoreRest(stack, one.token)
    update = edit(_joined_doc(session_id), index=0, insert="# late\n")
    refused = [
        gone.add(f"sessions/{session_id}/updates", {"author": one.uid, "update": update}),
        gone.add(f"sessions/{session_id}/messages", {"author": one.uid, "text": "hi"}),
    ]
    assert [response.status_code for response in refused] == [403, 403]
    presence = gone.commit_write(
        f"sessions/{session_id}/presence/{one.uid}",
        _presence(one),
        server_time=("updatedAt",),
        must_not_exist=False,
    )
    assert presence.status_code == 403, presence.text
    # ...but it still reads what it took part in (the partner's side stays as it was).
    assert gone.get(f"sessions/{session_id}").status_code == 200

    # The partner stays, sees who left, and still writes.
    stays = FirestoreRest(stack, two.token)
    seen = FirestoreRest.fields(stays.get(f"sessions/{session_id}"))
    assert seen["leftBy"] == [one.uid] and seen["status"] == "active"
    message = {"author": two.uid, "text": "still here"}
    assert stays.add(f"sessions/{session_id}/messages", message).ok
    assert api.get("/sessions/active", user=two).json()["id"] == session_id

    # And the one who left can ask for a match at once.
    again = api.post(
        "/match", json={"difficulty": "easy", "topics": [], "language": "python"}, user=one
    )
    assert again.status_code == 202, again.text
    assert api.delete("/match", user=one).status_code == 200
    # Whereas the one still in the session cannot.
    still = api.post(
        "/match", json={"difficulty": "easy", "topics": [], "language": "python"}, user=two
    )
    assert_error(still, 409, "in_session")


def _joined_doc(session_id: str) -> pycrdt.Doc[pycrdt.Text]:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(session_code(session_id, SESSIONS.parse(_session(session_id))).state)
    return doc


# ---- junk and oversized updates ----------------------------------------------------------------


def test_a_junk_update_changes_nothing_for_either_partner(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    session_id = make_session([one, two], starter=STARTER)
    editor = EditorClient(stack, two, session_id)
    editor.join()
    editor.edit(index=len(STARTER), insert="# before\n")
    editor.flush()
    hostile = FirestoreRest(stack, one.token)
    written = hostile.add(f"sessions/{session_id}/updates", {"author": one.uid, "update": JUNK})
    assert written.ok, written.text  # the rules cannot tell: the server must cope
    editor.edit(index=0, insert="# after\n")
    editor.flush()
    expected = editor.text
    assert expected == "# after\n" + STARTER + "# before\n"

    for user in (one, two):
        response = api.get(f"/sessions/{session_id}", user=user)
        assert response.status_code == 200, response.text
        assert response.json()["code"] == expected

    # Compaction folds the usable updates and keeps the one it could not read.
    result = compact_session(session_id, grace_s=0)
    assert result.merged == 2
    remaining = _updates(session_id)
    assert [bytes(update.get("update")) for update in remaining] == [JUNK]
    assert text_of(bytes(_session(session_id)["snapshot"])) == expected
    assert api.get(f"/sessions/{session_id}", user=two).json()["code"] == expected

    # Leaving records both attempts with the right code.
    for user in (one, two):
        assert api.post(f"/sessions/{session_id}/leave", user=user).status_code == 200
        (attempt,) = api.get("/users/me/attempts", user=user).json()["items"]
        assert attempt["finalCode"] == expected
    assert _session(session_id)["status"] == "ended"
    rejected = [
        json.loads(line)
        for line in stack.services["api"].log_path.read_text().splitlines()
        if '"session_update_set_aside"' in line and session_id in line
    ]
    assert rejected and rejected[0]["reason"] == "undecodable"


def test_code_is_capped_and_the_writer_is_told(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    session_id = make_session([one, two], starter="")
    writer = FirestoreRest(stack, one.token)
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(initial_state(""))
    chunk = "x" * 60_000 + "\n"
    sent = 0
    while sent <= MAX_CODE_BYTES:
        update = edit(doc, index=len(str(doc.get("code", type=pycrdt.Text))), insert=chunk)
        assert writer.add(
            f"sessions/{session_id}/updates", {"author": one.uid, "update": update}
        ).ok
        sent += len(chunk)
    # The merge stops before the cap: the update that would cross it is set aside.
    code = api.get(f"/sessions/{session_id}", user=two).json()["code"]
    assert 0 < len(code.encode()) <= MAX_CODE_BYTES
    assert len(code) == (MAX_CODE_BYTES // len(chunk)) * len(chunk)
    # Compaction still writes a snapshot well under Firestore's 1 MiB limit.
    compact_session(session_id, grace_s=0)
    snapshot = bytes(_session(session_id)["snapshot"])
    assert len(snapshot) < 600_000
    assert text_of(snapshot) == code
    # Leaving still works, and records the code the server kept (the writer is told by the
    # AI: tests/test_ai.py).
    leave = api.post(f"/sessions/{session_id}/leave", user=one)
    assert leave.status_code == 200, leave.text
    (attempt,) = api.get("/users/me/attempts", user=one).json()["items"]
    assert attempt["finalCode"] == code


@pytest.mark.parametrize(
    ("fields", "allowed"),
    [
        ({"selection": {"anchor": 1, "head": 4}}, True),
        ({"selection": {"anchor": 1, "head": 4, "extra": "x" * 5000}}, False),
        ({"selection": {"anchor": "a", "head": 4}}, False),
        ({"cursor": -1}, False),
        ({"cursor": 10_000_000}, False),
        ({"name": "x" * 1000}, False),
    ],
)
def test_presence_fields_are_capped(
    stack: LocalStack, auth: AuthEmulator, fields: dict[str, Any], allowed: bool
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two])
    rest = FirestoreRest(stack, one.token)
    response = rest.commit_write(
        f"sessions/{session_id}/presence/{one.uid}",
        _presence(one, **fields),
        server_time=("updatedAt",),
        must_not_exist=False,
    )
    assert response.ok is allowed, response.text


# ---- hostile requests --------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(api: Api, auth: AuthEmulator) -> None:
    user = auth.sign_up()
    for body in ("[" * 5000, "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000):
        response = api.post(
            "/users", data=body, headers={"Content-Type": "application/json"}, user=user
        )
        assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "NAME", "displayName": "\\ud800 lone surrogate"}',
        '{"username": "NAME", "displayName": "nul \\u0000 inside"}',
        '{"username": "NAME", "proficiency": 1e999}',
        '{"username": "NAME", "proficiency": NaN}',
        '{"username": "NAME", "preferredLanguage": {"$gt": ""}}',
        '{"username": "' + "9" * 5000 + '"}',
        '{"username": ' + "9" * 5000 + "}",
        '"just a string"',
        "[]",
        "null",
    ],
)
def test_hostile_json_is_a_4xx_with_the_error_shape(
    api: Api, auth: AuthEmulator, body: str
) -> None:
    user = auth.sign_up()
    response = api.post(
        "/users",
        data=body.replace("NAME", unique("h")[:20]),
        headers={"Content-Type": "application/json"},
        user=user,
    )
    assert response.status_code in {400, 422}, response.text
    assert_error(response, response.status_code, response.json()["error"]["code"])
    assert api.get("/users/me", user=user).status_code == 404


def test_options_without_preflight_headers_answers_every_path(api: Api) -> None:
    document = api.get("/openapi.json").json()
    for path in document["paths"]:
        concrete = path.replace("{id}", "x1").replace("{uid}", "x1").replace("{username}", "x1")
        response = api.request("OPTIONS", concrete)
        assert response.status_code < 500, (path, response.status_code, response.text[:200])
        assert "OPTIONS" in response.headers.get("Allow", ""), path


# ---- compaction and the sweeper ----------------------------------------------------------------


def _sweeper(*args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    result = run_job("sweeper", *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _age(session_id: str, hours: float) -> dt.datetime:
    then = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    firestore_client().collection("sessions").document(session_id).update(
        {"createdAt": then, "lastActivityAt": then}
    )
    return then


def test_a_compacted_then_paused_session_is_not_idle(auth: AuthEmulator, stack: LocalStack) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    long_ago = _age(session_id, 2)
    editor = EditorClient(stack, one, session_id)
    editor.join()
    editor.edit(index=0, insert="# typed just now\n")
    editor.flush()
    assert compact_session(session_id, grace_s=0).merged == 1
    assert _updates(session_id) == []
    assert _session(session_id)["lastActivityAt"] > long_ago + dt.timedelta(hours=1)
    _sweeper("--idle-minutes", "30", "--compact-over", "1000")
    assert _session(session_id)["status"] == "active"
    # Once really idle for longer than the limit, it ends.
    _sweeper("--idle-minutes", "0", "--compact-over", "1000")
    assert _session(session_id)["status"] == "ended"


def test_the_sweeper_pages_through_every_session_and_survives_a_broken_one(
    api: Api, auth: AuthEmulator
) -> None:
    users = [auth.sign_up() for _ in range(14)]
    with_profiles(api, *users)
    idle = [make_session(users[i : i + 2], starter=STARTER) for i in range(0, 12, 2)]
    for session_id in idle:
        _age(session_id, 3)
    broken = make_session(users[12:14], starter=STARTER)
    _age(broken, 4)  # the oldest: the first one the sweeper meets
    firestore_client().collection("sessions").document(broken).update(
        {"participantInfo": None, "question": "not a question"}
    )
    lines = _sweeper("--idle-minutes", "60", "--compact-over", "1000", "--page-size", "2")
    for session_id in idle:
        assert _session(session_id)["status"] == "ended", session_id
    failures = [line for line in lines if line.get("event") == "sweeper_session_failed"]
    assert [line["sessionId"] for line in failures] == [broken]
    assert failures[0]["severity"] == "ERROR"


def test_a_couple_with_no_possible_question_times_out_with_the_reason(
    stack: LocalStack,
) -> None:
    # Another project on the same emulator: its question bank is empty.
    project = unique("empty-bank").lower()[:30]
    env = {"GOOGLE_CLOUD_PROJECT": project}
    from google.cloud import firestore

    client = firestore.Client(project=project)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    for uid in ("alice", "bob"):
        client.collection("matchRequests").document(uid).set(
            waiting_request(uid, request_id=f"r-{uid}", at=long_ago)
        )
    _sweeper("--orphan-grace-s", "0", "--compact-over", "1000", env=env)
    for uid in ("alice", "bob"):
        request = client.collection("matchRequests").document(uid).get().to_dict() or {}
        assert request["status"] == "timed_out", request
        assert request["reason"] == "no_question"
        assert "question" in request["reasonMessage"]
    assert list(client.collection("sessions").limit(1).stream()) == []


# ---- admin revocation --------------------------------------------------------------------------


def test_revoking_admin_invalidates_the_old_token(api: Api, auth: AuthEmulator) -> None:
    boss = auth.make_admin(auth.sign_up())
    target = auth.sign_up()
    granted = api.put(f"/admin/users/{target.uid}/role", json={"admin": True}, user=boss)
    assert granted.status_code == 200, granted.text
    auth.sign_in(target)
    old_token = target.token
    probe = {"admin": False}
    # With the claim, the target may use admin routes (here: confirm the boss's role).
    assert api.put(f"/admin/users/{boss.uid}/role", json={"admin": True}, user=target).ok
    time.sleep(1.1)  # revocation has a one-second resolution
    revoked = api.put(f"/admin/users/{target.uid}/role", json=probe, user=boss)
    assert revoked.status_code == 200, revoked.text
    target.token = old_token
    refused = api.put(f"/admin/users/{boss.uid}/role", json={"admin": True}, user=target)
    assert refused.status_code == 401, refused.text
