"""Races that are created, not hoped for: the contended code runs from several threads released
together by a barrier, and the outcomes are exact.

- One bucket, a hundred users asking at once (on a stack of this module's own), while every
  message is also delivered again from two threads of this process, racing the worker's sweeps
  of that bucket: every match's session exists and holds exactly its pair (``match_outcomes``).
  (Duplicated deliveries contending on one bucket are in tests/test_faults.py.) More sweeps of
  one bucket at once livelock the Firestore emulator: its transactions wait on each other's
  locks until they time out, and retry.
- Compaction while clients write, and clients joining while it runs. The clients here honour
  ``snapshotAt`` and ``snapshotVersion`` as the web client does (``SnapshotAwareEditor``): a
  join reads the session, the updates from ``snapshotAt``, and the session again, starting over
  if a compaction moved ``snapshotVersion`` meanwhile; a pull that sees a new version loads the
  new snapshot. Convergence is checked against yjs, fed every update ever sent.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import pycrdt
import pytest
import requests

from common.clients import firestore_client
from common.matching import handle_match_message
from common.sessions import SESSIONS, compact_session, session_code
from common.sessions.crdt import fold, merge
from devstack import LocalStack
from tests.conftest import TEST_ENV
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    EmulatorUser,
    FirestoreRest,
    at_once,
    make_session,
    match_outcomes,
    own_stack,
    random_edit,
    unique,
    wait_for,
    yjs_text,
)

T = TypeVar("T")

# A bucket's burst is over long before anyone may time out.
RACES_ENV = {**TEST_ENV, "MATCH_RELAX_SECONDS": "20", "MATCH_EXPIRE_SECONDS": "90"}
STARTER = "def solve(nums):\n    pass\n"


@pytest.fixture(scope="module")
def races() -> Iterator[LocalStack]:
    with own_stack(RACES_ENV) as local:
        yield local


@pytest.fixture(scope="module")
def api(races: LocalStack) -> Api:
    return Api(races.api_url)


@pytest.fixture(scope="module")
def auth(races: LocalStack) -> AuthEmulator:
    return AuthEmulator(races)


# ---- one hot bucket ------------------------------------------------------------------------------


def test_hundred_users_in_one_bucket_at_once(api: Api, auth: AuthEmulator) -> None:
    def player(_: int) -> EmulatorUser:
        user = auth.sign_up()
        response = api.post("/users", json={"username": unique("r")[:20]}, user=user)
        assert response.status_code == 201, response.text
        return user

    with ThreadPoolExecutor(max_workers=16) as pool:
        users = list(pool.map(player, range(100)))
    body = {"difficulty": "medium", "topics": [], "language": "java"}
    asked = at_once([partial(api.post, "/match", json=body, user=u) for u in users])
    assert [response.status_code for response in asked] == [202] * 100
    ids = {
        user.uid: response.json()["requestId"] for user, response in zip(users, asked, strict=True)
    }

    # Every message delivered again from here, two threads at once, racing the worker.
    def redeliver(chunk: list[EmulatorUser]) -> None:
        for user in chunk:
            for attempt in range(30):
                try:
                    handle_match_message(uid=user.uid, request_id=ids[user.uid])
                    break
                except Exception:  # a nack: delivered again
                    time.sleep(0.05 * (attempt + 1))
            else:
                raise AssertionError(f"never acknowledged: {user.uid}")

    at_once([partial(redeliver, users[i::2]) for i in range(2)])

    uids = [user.uid for user in users]
    client = firestore_client()
    refs = [client.collection("matchRequests").document(uid) for uid in uids]

    def settled() -> bool:
        return all((s.to_dict() or {}).get("status") != "waiting" for s in client.get_all(refs))

    assert wait_for(settled, 60.0)
    outcomes = match_outcomes(uids)
    assert {uid: outcomes[uid]["status"] for uid in uids} == dict.fromkeys(uids, "matched")
    assert {outcomes[uid]["requestId"] for uid in uids} == set(ids.values())
    assert len({outcomes[uid]["sessionId"] for uid in uids}) == 50


# ---- compaction, writers and joiners -------------------------------------------------------------


class SnapshotAwareEditor(EditorClient):
    """A browser's editor that honours ``snapshotAt`` and ``snapshotVersion`` (see the module
    docstring): what a compaction deleted before this client read it is in the new snapshot."""

    def __init__(self, stack: LocalStack, user: EmulatorUser, session_id: str) -> None:
        super().__init__(stack, user, session_id)
        self.session_url = f"{self.rest.base}/sessions/{session_id}"
        self.version: int | None = None
        self.starts = 0  # reads of the session and the log that a join or pull began

    def _session(self) -> dict[str, Any]:
        response = self.rest.get(f"sessions/{self.session_id}")
        response.raise_for_status()
        return FirestoreRest.fields(response)

    def _updates_since(self, at: str) -> dict[str, bytes]:
        query = {
            "structuredQuery": {
                "from": [{"collectionId": "updates"}],
                "where": {
                    "fieldFilter": {
                        "field": {"fieldPath": "createdAt"},
                        "op": "GREATER_THAN_OR_EQUAL",
                        "value": {"timestampValue": at},
                    }
                },
                "orderBy": [{"field": {"fieldPath": "createdAt"}, "direction": "ASCENDING"}],
            }
        }
        response = requests.post(
            f"{self.session_url}:runQuery", json=query, headers=self.rest.headers, timeout=30
        )
        response.raise_for_status()
        found = {}
        for row in response.json():
            document = row.get("document")
            if document:
                encoded = document["fields"]["update"]["bytesValue"]
                found[document["name"].rsplit("/", 1)[-1]] = base64.b64decode(encoded)
        return found

    def join(self, *, between: Callable[[], object] | None = None) -> None:
        """Load the snapshot and the updates from ``snapshotAt``, from scratch."""
        self.version = None
        self.snapshot = b""
        self.updates = {}
        self.doc = pycrdt.Doc(client_id=self.doc.client_id)
        self.pull(between=between)

    def pull(self, *, force: bool = False, between: Callable[[], object] | None = None) -> None:
        """Read the session, the updates from its ``snapshotAt``, the session again (over if a
        compaction ran meanwhile); merge a new snapshot and the unseen updates into the doc."""
        while True:
            self.starts += 1
            session = self._session()
            if between is not None:
                between()
                between = None
            fresh = self._updates_since(str(session["snapshotAt"]))
            again = self._session()
            if again.get("snapshotVersion", 0) == session.get("snapshotVersion", 0):
                break
        version = int(session.get("snapshotVersion", 0))
        parts = [self.doc.get_update()]
        if version != self.version:
            self.snapshot = bytes(session["snapshot"])
            parts.append(self.snapshot)
            self.version = version
        unseen = [update for key, update in fresh.items() if key not in self.updates]
        self.updates.update(fresh)
        doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc(client_id=self.doc.client_id)
        doc.apply_update(fold([*parts, *unseen]).state)
        self.doc = doc

    def state(self) -> bytes:
        """The whole document, as one update."""
        return bytes(self.doc.get_update())


class Log:
    """Every update sent, in the order their writes were acknowledged."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.lock = threading.Lock()

    def send(self, editor: EditorClient) -> None:
        update = merge(editor.pending)
        editor.flush()
        with self.lock:
            self.sent.append(update)

    def acknowledged(self) -> list[bytes]:
        with self.lock:
            return list(self.sent)


def _server_text(session_id: str) -> str:
    document = firestore_client().collection("sessions").document(session_id).get().to_dict()
    return session_code(session_id, SESSIONS.parse(document or {})).text


def _log_size(session_id: str) -> int:
    updates = firestore_client().collection("sessions").document(session_id).collection("updates")
    return len(list(updates.select([]).stream()))


def test_a_client_joining_between_its_reads_and_a_compaction_starts_over(
    races: LocalStack, auth: AuthEmulator
) -> None:
    one, two = auth.sign_up(), auth.sign_up()
    session_id = make_session([one, two], starter=STARTER)
    initial = bytes(
        firestore_client().collection("sessions").document(session_id).get().get("snapshot")
    )
    writer = SnapshotAwareEditor(races, one, session_id)
    writer.join()
    log = Log()
    rng = random.Random(7)
    for _ in range(12):
        random_edit(writer, rng)
        log.send(writer)

    # The joiner read the session (version 0); then a compaction folds and deletes the whole log
    # before it reads the updates: the second read of the session shows version 1, it starts over.
    joiner = SnapshotAwareEditor(races, two, session_id)
    joiner.join(between=partial(compact_session, session_id, grace_s=0))
    assert joiner.starts == 2 and joiner.version == 1
    expected = yjs_text([initial, *log.acknowledged()])
    assert joiner.text == expected
    assert yjs_text([joiner.state()]) == expected

    # A compaction that has read the log when a write lands and a client joins: the write is not
    # among what it deletes, the joiner sees it, and the writer's next pull loads the snapshot.
    late_joiner = SnapshotAwareEditor(races, one, session_id)

    def meanwhile() -> None:
        random_edit(joiner, rng)
        log.send(joiner)
        late_joiner.join()

    for _ in range(5):
        random_edit(writer, rng)
        log.send(writer)
    with _during_compaction(meanwhile):
        assert compact_session(session_id, grace_s=0).merged == 5
    assert _log_size(session_id) == 1  # the write made meanwhile
    expected = yjs_text([initial, *log.acknowledged()])
    for editor in (writer, joiner, late_joiner):
        editor.pull()
        assert editor.version == 2
        assert editor.text == expected
        assert yjs_text([editor.state()]) == expected
    assert _server_text(session_id) == expected


class _during_compaction:  # noqa: N801 - used as a context manager, read as a phrase
    """Run ``action`` once, inside the next compaction, after it has read and folded the log and
    before it writes the snapshot and deletes what it folded."""

    def __init__(self, action: Callable[[], None]) -> None:
        from common.sessions import service

        self.service = service
        self.action = action
        self.original = service._fold_log
        self.ran = False

    def _fold_log(self, *args: Any, **kwargs: Any) -> Any:
        result = self.original(*args, **kwargs)
        if not self.ran:
            self.ran = True
            self.action()
        return result

    def __enter__(self) -> None:
        self.service._fold_log = self._fold_log

    def __exit__(self, *exc: object) -> None:
        self.service._fold_log = self.original
        assert self.ran, "the compaction never folded a log"


def test_compaction_while_clients_write_and_join_converges_like_yjs(
    races: LocalStack, auth: AuthEmulator
) -> None:
    users = [auth.sign_up() for _ in range(3)]
    session_id = make_session(users, starter=STARTER)
    initial = bytes(
        firestore_client().collection("sessions").document(session_id).get().get("snapshot")
    )
    log = Log()
    stop = threading.Event()
    writers = [SnapshotAwareEditor(races, user, session_id) for user in users]
    joins: list[tuple[bytes, list[bytes]]] = []  # each join's document, and what was sent before
    compactions: list[int] = []

    def stops_all(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            finally:  # one thread done or failed: the others stop too
                stop.set()

        return run

    def write(editor: SnapshotAwareEditor, seed: int) -> None:
        rng = random.Random(seed)
        editor.join()
        while not stop.is_set():
            random_edit(editor, rng)
            log.send(editor)
            if rng.random() < 0.3:
                editor.pull()

    def compact() -> None:
        for _ in range(4):
            wait_for(lambda: _log_size(session_id) >= 6, 30.0, interval_s=0.05)
            compactions.append(compact_session(session_id, grace_s=0).merged)

    def join() -> None:
        while not stop.is_set():
            before = log.acknowledged()
            joiner = SnapshotAwareEditor(races, users[0], session_id)
            joiner.join()
            joins.append((joiner.state(), before))

    at_once(
        [
            *(stops_all(partial(write, e, i)) for i, e in enumerate(writers)),
            stops_all(compact),
            stops_all(join),
        ]
    )
    assert len(compactions) == 4 and all(merged > 0 for merged in compactions), compactions
    assert joins, "a client joined while the others wrote and compactions ran"
    expected = yjs_text([initial, *log.acknowledged()])
    for editor in writers:
        editor.pull()
        assert editor.version == 4
        assert editor.text == expected
        assert yjs_text([editor.state()]) == expected
    assert _server_text(session_id) == expected
    document = firestore_client().collection("sessions").document(session_id).get().to_dict() or {}
    remaining = [
        bytes(s.get("update"))
        for s in firestore_client()
        .collection("sessions")
        .document(session_id)
        .collection("updates")
        .order_by("createdAt")
        .stream()
    ]
    assert yjs_text([bytes(document["snapshot"]), *remaining]) == expected
    # Each join held everything acknowledged before it began: applying that again changes nothing.
    for state, before in joins[:6]:
        assert yjs_text([state, *before]) == yjs_text([state])
