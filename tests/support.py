"""Test helpers, shared by every test module: the gateway client, the error-shape check, jobs run
as Cloud Run runs them, the browser-side clients of devstack.client, and data made directly."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests

from common.catalogue import Language
from devstack.client import AuthEmulator, EditorClient, EmulatorUser, FirestoreRest, unique
from devstack.stack import ROOT, LocalStack

T = TypeVar("T")

__all__ = [
    "EDIT_ALPHABET",
    "Api",
    "AuthEmulator",
    "EditorClient",
    "EmulatorUser",
    "FirestoreRest",
    "assert_error",
    "make_session",
    "match_outcomes",
    "matched_pair",
    "own_stack",
    "random_edit",
    "run_job",
    "unique",
    "wait_for",
    "waiting_request",
    "with_profiles",
    "yjs_text",
]


class Api:
    """HTTP client for the gateway: ``api.get("/health")`` goes to ``…/api/health``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(
        self, method: str, path: str, *, user: EmulatorUser | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send a request, signed in as ``user`` when given."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.setdefault("Authorization", f"Bearer {user.token}")
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    assert body["requestId"] == response.headers["X-Request-Id"]
    return body  # type: ignore[no-any-return]


def run_job(
    module: str, *args: str, env: dict[str, str] | None = None, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m jobs.<module>`` against the test stack, as the Cloud Run job runs."""
    return subprocess.run(
        [sys.executable, "-m", f"jobs.{module}", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def with_profiles(api: Api, *users: EmulatorUser) -> None:
    """Create a profile (a unique username) for each user."""
    for user in users:
        response = api.post("/users", json={"username": unique("p")[:20]}, user=user)
        assert response.status_code == 201, response.text


def matched_pair(
    api: Api, auth: AuthEmulator, *, difficulty: str, topics: list[str], language: str
) -> tuple[EmulatorUser, EmulatorUser, str]:
    """Two new users with profiles who ask for the same match; return them and their session."""
    one, two = auth.sign_up(), auth.sign_up()
    with_profiles(api, one, two)
    body = {"difficulty": difficulty, "topics": topics, "language": language}
    for user in (one, two):
        assert api.post("/match", json=body, user=user).status_code == 202
    deadline = time.monotonic() + 10
    states: list[Any] = []
    while time.monotonic() < deadline:
        states = [api.get("/match", user=user).json() for user in (one, two)]
        if all(state["status"] == "matched" for state in states):
            assert states[0]["sessionId"] == states[1]["sessionId"]
            return one, two, str(states[0]["sessionId"])
        time.sleep(0.1)
    raise AssertionError(f"no match: {states}")


def make_session(
    users: list[EmulatorUser],
    *,
    starter: str = "def solve():\n    pass\n",
    language: Language = "python",
    question_id: str | None = None,
) -> str:
    """Create an active session of these users, shaped as the matching worker makes one."""
    from common.questions.models import QuestionSnapshot
    from common.sessions import SESSIONS
    from common.sessions.crdt import initial_state
    from common.sessions.models import ParticipantInfo, SessionDoc

    now = dt.datetime.now(dt.UTC)
    question = QuestionSnapshot(
        id=question_id or unique("q"),
        title="Pair With Target Sum",
        slug="pair-with-target-sum",
        description="Find two numbers.",
        difficulty="easy",
        topics=["arrays"],
        examples=[{"input": "1", "output": "2", "explanation": None}],
        constraints=["n > 0"],
        starter_code=starter,
    )
    document = SessionDoc(
        participants=[user.uid for user in users],
        participant_info={
            user.uid: ParticipantInfo(username=f"user_{user.uid[:6]}") for user in users
        },
        question=question,
        language=language,
        status="active",
        created_at=now,
        last_activity_at=now,
        snapshot_at=now,
        snapshot=initial_state(starter),
    )
    reference = SESSIONS.collection().document()
    reference.set(SESSIONS.dump(document))
    return str(reference.id)


def waiting_request(
    uid: str, *, request_id: str, at: dt.datetime, expires_in_s: float = 0, **fields: Any
) -> dict[str, Any]:
    """A ``matchRequests/{uid}`` document as the API writes it (``MatchRequestDoc``), waiting
    since ``at``; ``fields`` (camelCase) change it."""
    from common.matching import REQUESTS

    document = {
        "requestId": request_id,
        "uid": uid,
        "difficulty": "easy",
        "topics": [],
        "language": "python",
        "status": "waiting",
        "relaxed": False,
        "createdAt": at,
        "relaxAt": at,
        "expiresAt": at + dt.timedelta(seconds=expires_in_s),
        **fields,
    }
    return REQUESTS.dump(REQUESTS.parse(document))


def _forget_clients() -> None:
    from common.clients import firestore_client, publisher, tasks_client
    from common.config import get_settings

    for cached in (get_settings, firestore_client, publisher, tasks_client):
        cached.cache_clear()


@contextlib.contextmanager
def own_stack(env: dict[str, str]) -> Iterator[LocalStack]:
    """Run a seeded stack of one module's own (faults stop its parts, races fill its buckets),
    with this process's clients pointed at it meanwhile; the session's stack is left alone."""
    local = LocalStack(extra_env=env)
    saved = dict(os.environ)
    try:
        local.start()
        local.seed()
        os.environ.update({**local.client_env(), **env})
        _forget_clients()
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        _forget_clients()


def match_outcomes(uids: list[str]) -> dict[str, dict[str, Any]]:
    """Check that these users' requests are whole, and return them by uid.

    Whole: every request ended (matched, cancelled or timed_out); each matched one names a
    session that exists, is active, holds exactly it and the partner it names, and whose
    ``matchRequestIds`` are the two requests; the partner's request names it back; nobody is in
    any other session. A session without its matched requests, or a matched request whose
    session is missing, fails.
    """
    from google.cloud.firestore_v1.base_query import FieldFilter

    from common.clients import firestore_client

    client = firestore_client()
    requests_by_uid = {
        snapshot.id: snapshot.to_dict() or {}
        for snapshot in client.get_all(
            [client.collection("matchRequests").document(u) for u in uids]
        )
        if snapshot.exists
    }
    assert set(requests_by_uid) == set(uids), set(uids) - set(requests_by_uid)
    for uid in uids:
        request = requests_by_uid[uid]
        assert request["status"] in {"matched", "cancelled", "timed_out"}, (uid, request)
        query = client.collection("sessions").where(
            filter=FieldFilter("participants", "array_contains", uid)
        )
        sessions = {snapshot.id: snapshot.to_dict() or {} for snapshot in query.stream()}
        if request["status"] != "matched":
            assert sessions == {}, (uid, request, sessions)
            continue
        partner = request["partner"]["uid"]
        assert set(sessions) == {request["sessionId"]}, (uid, request, list(sessions))
        session = sessions[request["sessionId"]]
        assert sorted(session["participants"]) == sorted([uid, partner]), session
        assert session["status"] == "active", session
        assert session["matchRequestIds"] == {
            uid: request["requestId"],
            partner: (requests_by_uid.get(partner) or _request(partner))["requestId"],
        }
        other = requests_by_uid.get(partner) or _request(partner)
        assert other["status"] == "matched", other
        assert other["sessionId"] == request["sessionId"] and other["partner"]["uid"] == uid
    return requests_by_uid


def _request(uid: str) -> dict[str, Any]:
    from common.clients import firestore_client

    return firestore_client().collection("matchRequests").document(uid).get().to_dict() or {}


def yjs_text(updates: list[bytes]) -> str:
    """Apply updates in this order with the JavaScript yjs library, as browsers do; return the
    code text (the reference wherever convergence is claimed)."""
    payload = json.dumps({"updates": [base64.b64encode(update).decode() for update in updates]})
    result = subprocess.run(
        ["node", str(ROOT / "tools" / "yjs" / "apply_updates.mjs")],
        input=payload,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return str(json.loads(result.stdout)["text"])


# The Python clients of these tests are pycrdt documents, and pycrdt 0.14.13 can write updates
# that split a surrogate pair (emoji) in yjs's eyes after concurrent edits around one (browsers
# use yjs, which does not): the clients here type from the Basic Multilingual Plane only.
EDIT_ALPHABET = "abcdefghij \n(){}=+é中"


def random_edit(editor: EditorClient, rng: random.Random) -> None:
    """Delete a few characters somewhere, or insert a short word, as a person typing would."""
    length = len(editor.text)
    if length and rng.random() < 0.35:
        editor.edit(index=rng.randrange(length), delete=rng.randint(1, 3))
    else:
        word = "".join(rng.choice(EDIT_ALPHABET) for _ in range(rng.randint(1, 4)))
        editor.edit(index=rng.randint(0, length), insert=word)


def wait_for(predicate: Callable[[], Any], timeout_s: float, interval_s: float = 0.1) -> Any:
    """Poll ``predicate`` until it is true or ``timeout_s`` passes; return its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def at_once(calls: Sequence[Callable[[], T]], *, timeout_s: float = 60) -> list[T]:
    """Run every call in a thread of its own, all released together by a barrier (a race)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=timeout_s)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
