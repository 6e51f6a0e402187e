"""firestore.rules as one table: every path of DESIGN.md section 2 and every internal collection
the functions use, for each actor and each operation, plus the bodies and session states the
rules check.

Requests go as browsers send them (REST with the user's ID token to the Firestore emulator); the
server client only arranges data. The run writes the table to ``test-results/rules-matrix.md``
and fails listing every mismatch at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from common.clients import firestore_client
from devstack import LocalStack
from devstack.stack import ROOT
from tests.support import (
    AuthEmulator,
    EmulatorUser,
    FirestoreRest,
    make_session,
    unique,
    waiting_request,
)

ACTORS = ("anonymous", "stranger", "owner", "left", "admin")
OPERATIONS = ("get", "list", "create", "update", "delete")
ACTOR_LEGEND = {
    "anonymous": "no ID token",
    "stranger": "signed in, no part in the data",
    "owner": "the document's owner, or a participant still in the session",
    "left": "the owner's partner, who left the session (uid in `leftBy`)",
    "admin": "custom claim `admin: true`, no part in the data",
}
TABLE = ROOT / "test-results" / "rules-matrix.md"
MAX_UPDATE = 64 * 1024
MAX_POSITION = 1048576

Body = Callable[["World", str], dict[str, Any]]
Seed = Callable[["World"], dict[str, Any]]


@dataclass
class World:
    """The users and documents every case reads or writes, arranged once for the module."""

    stack: LocalStack
    users: dict[str, EmulatorUser]
    ids: dict[str, str]
    update: bytes

    def uid(self, actor: str) -> str:
        """Return the actor's uid; an anonymous client claims to be the owner."""
        return self.users.get(actor, self.users["owner"]).uid

    def new_session(self, *, status: str = "active") -> str:
        """Make a session of the owner and its partner, who has left it."""
        session_id = make_session([self.users["owner"], self.users["left"]])
        firestore_client().collection("sessions").document(session_id).update(
            {"leftBy": [self.uid("left")], "status": status}
        )
        return session_id

    def fill(self, template: str) -> str:
        """Return the template with the world's ids; ``{fresh}`` is a new id, ``{fresh_session}``
        a new session."""
        return template.format_map(_Ids(self))


class _Ids:
    def __init__(self, world: World) -> None:
        self.world = world

    def __getitem__(self, key: str) -> str:
        if key == "fresh":
            return unique("d")
        if key == "fresh_session":
            return self.world.new_session()
        if key in self.world.users:
            return self.world.users[key].uid
        return self.world.ids[key]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _nothing(world: World, uid: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """One request and the answer the rules must give it."""

    path: str  # the path as DESIGN.md section 2 writes it
    actor: str
    operation: str
    allowed: bool
    doc: str  # template of the document touched (a list reads its collection)
    body: Body = _nothing
    server_time: tuple[str, ...] = ()
    seed: Seed | None = None  # data the server writes at ``doc`` first
    acting: str = ""  # whose token goes with the request when not the actor's own
    variant: str = ""

    @property
    def expected(self) -> str:
        return "allowed" if self.allowed else "denied"


@dataclass(frozen=True)
class Target:
    """A path of the data model and who may do what there."""

    path: str
    doc: str  # an existing document
    new_doc: str  # where a create goes
    body: Body
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)
    server_time: tuple[str, ...] = ()
    seed: Seed | None = None  # rewritten before each case but a create, as one may delete it
    create_owner: str = "owner"  # who owns ``new_doc``

    def cases(self) -> Iterator[Case]:
        for actor in ACTORS:
            for operation in OPERATIONS:
                creating = operation == "create"
                acting = ""
                if creating and actor == "owner" and self.create_owner != "owner":
                    acting = self.create_owner
                yield Case(
                    path=self.path,
                    actor=actor,
                    operation=operation,
                    allowed=operation in self.allowed.get(actor, frozenset()),
                    doc=self.new_doc if creating else self.doc,
                    body=self.body,
                    server_time=self.server_time,
                    seed=None if creating else self.seed,
                    acting=acting,
                    variant=_grid_variant(operation, acting),
                )


def _grid_variant(operation: str, acting: str) -> str:
    if operation not in {"create", "update"}:
        return ""
    return f"valid body, as {acting}, who has none yet" if acting else "valid body"


READS = frozenset({"get", "list"})
GET = frozenset({"get"})
SUBTREE_READS = {"owner": READS, "left": READS}


def _update_body(world: World, uid: str) -> dict[str, Any]:
    return {"author": uid, "update": world.update}


def _message_body(world: World, uid: str) -> dict[str, Any]:
    return {"author": uid, "text": "hello"}


def _presence_body(world: World, uid: str) -> dict[str, Any]:
    return {"cursor": 3, "selection": {"anchor": 1, "head": 4}, "online": True}


def _presence_seed(world: World) -> dict[str, Any]:
    return {"online": True, "cursor": 0, "updatedAt": _now()}


def _first_budget(world: World, uid: str) -> dict[str, Any]:
    return {"presence": 1}


def _no_budget_spent(world: World) -> dict[str, Any]:
    return {"presence": 0}


def _budget_body(world: World, uid: str) -> dict[str, Any]:
    return {"updates": 4, "messages": 2, "presence": 8, "lastUpdate": "u4"}


def _budget_seed(world: World) -> dict[str, Any]:
    return {"updates": 3, "messages": 2, "presence": 8, "lastUpdate": "u3"}


BUDGETS = "sessions/{id}/budgets/{uid}"
# A session of its own per case: budget cases must not spend the budget the others write with.
NEW_BUDGET = "sessions/{fresh_session}/budgets/{owner}"


def _data(**fields: Any) -> Body:
    """A body of fixed fields, with ``uid`` set to the writer's uid."""

    def body(world: World, uid: str) -> dict[str, Any]:
        return {**fields, "uid": uid}

    return body


TARGETS = (
    Target(
        "users/{uid}",
        "users/{owner}",
        "users/{newcomer}",
        _data(username="mallory", createdAt=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
        {"owner": GET},
        create_owner="newcomer",
    ),
    Target(
        "usernames/{name}",
        "usernames/{username}",
        "usernames/{fresh}",
        _data(),
    ),
    Target(
        "users/{uid}/attempts/{sessionId}",
        "users/{owner}/attempts/{session}",
        "users/{owner}/attempts/{fresh}",
        _data(language="python", durationS=1),
        {"owner": READS},
    ),
    Target(
        "questions/{id}",
        "questions/{question}",
        "questions/{fresh}",
        _data(title="Injected", difficulty="easy"),
        {actor: READS for actor in ("stranger", "owner", "left", "admin")},
    ),
    Target(
        "matchRequests/{uid}",
        "matchRequests/{owner}",
        "matchRequests/{newcomer}",
        _data(requestId="r1", status="matched", sessionId="s1"),
        {"owner": GET},
        create_owner="newcomer",
    ),
    Target(
        "sessions/{id}",
        "sessions/{session}",
        "sessions/{fresh}",
        _data(participants=["x", "y"], status="ended"),
        {"owner": GET, "left": GET},
    ),
    Target(
        "sessions/{id}/runs/{runId}",
        "sessions/{session}/runs/r0",
        "sessions/{session}/runs/{fresh}",
        _data(kind="submit", status="done", verdict="accepted"),
        SUBTREE_READS,
    ),
    Target(
        "questionTests/{questionId}",
        "questionTests/{question}",
        "questionTests/{fresh}",
        _data(tests=[]),
    ),
    Target(
        "sessions/{id}/updates/{auto}",
        "sessions/{session}/updates/u0",
        "sessions/{session}/updates/{fresh}",
        _update_body,
        {"owner": READS | {"create"}, "left": READS},
        server_time=("createdAt",),
    ),
    Target(
        "sessions/{id}/messages/{auto}",
        "sessions/{session}/messages/m0",
        "sessions/{session}/messages/{fresh}",
        _message_body,
        {"owner": READS | {"create"}, "left": READS},
        server_time=("createdAt",),
    ),
    Target(
        "sessions/{id}/presence/{uid}",
        "sessions/{session}/presence/{owner}",
        "sessions/{fresh_session}/presence/{owner}",
        _presence_body,
        {"owner": frozenset(OPERATIONS), "left": READS},
        server_time=("updatedAt",),
        seed=_presence_seed,
    ),
    Target(
        BUDGETS,
        NEW_BUDGET,
        NEW_BUDGET,
        _first_budget,
        {"owner": frozenset({"get", "create", "update"})},
        seed=_no_budget_spent,
    ),
    # Internal collections of the functions: "Everything not listed is denied".
    Target("questionSlugs/{slug}", "questionSlugs/{slug}", "questionSlugs/{fresh}", _data()),
    Target("meta/topicCounts", "meta/topicCounts", "meta/{fresh}", _data(counts={})),
    Target("runLocks/{sessionId}", "runLocks/{session}", "runLocks/{fresh}", _data(runId="r")),
    Target("runUsage/{uid_minute}", "runUsage/{run_usage}", "runUsage/{fresh}", _data(count=0)),
    Target("aiUsage/{uid_window}", "aiUsage/{ai_usage}", "aiUsage/{fresh}", _data(count=0)),
    Target(
        "matchSweeper/lease",
        "matchSweeper/lease",
        "matchSweeper/{fresh}",
        _data(leaseUntil=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)),
    ),
    Target(
        "rateLimits/{uid_scope_window}",
        "rateLimits/{rate_limit}",
        "rateLimits/{fresh}",
        _data(count=0),
    ),
    Target("_health/ready", "_health/ready", "_health/{fresh}", _data(ok=True)),
)


def _variant(
    path: str,
    variant: str,
    doc: str,
    body: Body,
    *,
    actor: str = "owner",
    operation: str = "create",
    allowed: bool = False,
    server_time: tuple[str, ...] = (),
    seed: Seed | None = None,
) -> Case:
    return Case(path, actor, operation, allowed, doc, body, server_time, seed, variant=variant)


def _with(base: Body, **changes: Any) -> Body:
    """The base body with fields changed; a callable value is called with the world."""

    def body(world: World, uid: str) -> dict[str, Any]:
        values = {k: v(world) if callable(v) else v for k, v in changes.items()}
        return {**base(world, uid), **values}

    return body


def _without(base: Body, name: str) -> Body:
    def body(world: World, uid: str) -> dict[str, Any]:
        return {k: v for k, v in base(world, uid).items() if k != name}

    return body


def _partner(world: World) -> str:
    return world.uid("left")


UPDATES = "sessions/{id}/updates/{auto}"
MESSAGES = "sessions/{id}/messages/{auto}"
PRESENCE = "sessions/{id}/presence/{uid}"
NEW_UPDATE = "sessions/{session}/updates/{fresh}"
NEW_MESSAGE = "sessions/{session}/messages/{fresh}"
NEW_PRESENCE = "sessions/{fresh_session}/presence/{owner}"
PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
CREATED = ("createdAt",)
UPDATED = ("updatedAt",)

VARIANTS = (
    # Yjs updates: the author is oneself, bytes of 1 B to 64 KiB, the server's time, no more.
    _variant(
        UPDATES,
        "author is the partner",
        NEW_UPDATE,
        _with(_update_body, author=_partner),
        server_time=CREATED,
    ),
    _variant(
        UPDATES, "author is `ai`", NEW_UPDATE, _with(_update_body, author="ai"), server_time=CREATED
    ),
    _variant(
        UPDATES, "extra field", NEW_UPDATE, _with(_update_body, pinned=True), server_time=CREATED
    ),
    _variant(
        UPDATES,
        "update is a string",
        NEW_UPDATE,
        _with(_update_body, update="x = 1"),
        server_time=CREATED,
    ),
    _variant(
        UPDATES, "update is empty", NEW_UPDATE, _with(_update_body, update=b""), server_time=CREATED
    ),
    _variant(
        UPDATES,
        "update of 64 KiB",
        NEW_UPDATE,
        _with(_update_body, update=b"\x01" * MAX_UPDATE),
        server_time=CREATED,
        allowed=True,
    ),
    _variant(
        UPDATES,
        "update of 64 KiB + 1 B",
        NEW_UPDATE,
        _with(_update_body, update=b"\x01" * (MAX_UPDATE + 1)),
        server_time=CREATED,
    ),
    _variant(UPDATES, "client-chosen createdAt", NEW_UPDATE, _with(_update_body, createdAt=PAST)),
    _variant(UPDATES, "no createdAt", NEW_UPDATE, _update_body),
    _variant(
        UPDATES,
        "session ended",
        "sessions/{ended}/updates/{fresh}",
        _update_body,
        server_time=CREATED,
    ),
    # Chat: the author is oneself (never `ai`), 1 to 1000 trimmed characters.
    _variant(
        MESSAGES,
        "author is the partner",
        NEW_MESSAGE,
        _with(_message_body, author=_partner),
        server_time=CREATED,
    ),
    _variant(
        MESSAGES,
        "author is `ai`",
        NEW_MESSAGE,
        _with(_message_body, author="ai"),
        server_time=CREATED,
    ),
    _variant(
        MESSAGES,
        "text of 1000 characters",
        NEW_MESSAGE,
        _with(_message_body, text="b" * 1000),
        server_time=CREATED,
        allowed=True,
    ),
    _variant(
        MESSAGES,
        "text of 1001 characters",
        NEW_MESSAGE,
        _with(_message_body, text="c" * 1001),
        server_time=CREATED,
    ),
    _variant(
        MESSAGES, "empty text", NEW_MESSAGE, _with(_message_body, text=""), server_time=CREATED
    ),
    _variant(
        MESSAGES,
        "text padded with spaces",
        NEW_MESSAGE,
        _with(_message_body, text=" padded "),
        server_time=CREATED,
    ),
    _variant(
        MESSAGES,
        "text is a number",
        NEW_MESSAGE,
        _with(_message_body, text=42),
        server_time=CREATED,
    ),
    _variant(
        MESSAGES, "extra field", NEW_MESSAGE, _with(_message_body, pinned=True), server_time=CREATED
    ),
    _variant(
        MESSAGES, "client-chosen createdAt", NEW_MESSAGE, _with(_message_body, createdAt=PAST)
    ),
    _variant(
        MESSAGES,
        "session ended",
        "sessions/{ended}/messages/{fresh}",
        _message_body,
        server_time=CREATED,
    ),
    # Presence: one's own document, small fields only, while in an active session.
    _variant(
        PRESENCE,
        "only `online`",
        NEW_PRESENCE,
        lambda world, uid: {"online": False},
        server_time=UPDATED,
        allowed=True,
    ),
    _variant(
        PRESENCE,
        "extra field",
        NEW_PRESENCE,
        _with(_presence_body, admin=True),
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE,
        "no `online`",
        NEW_PRESENCE,
        _without(_presence_body, "online"),
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE,
        "`online` is a string",
        NEW_PRESENCE,
        _with(_presence_body, online="yes"),
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE, "cursor -1", NEW_PRESENCE, _with(_presence_body, cursor=-1), server_time=UPDATED
    ),
    _variant(
        PRESENCE,
        "cursor past 1 MiB",
        NEW_PRESENCE,
        _with(_presence_body, cursor=MAX_POSITION + 1),
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE,
        "selection with an extra key",
        NEW_PRESENCE,
        _with(_presence_body, selection={"anchor": 1, "head": 2, "color": 3}),
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE, "client-chosen updatedAt", NEW_PRESENCE, _with(_presence_body, updatedAt=PAST)
    ),
    _variant(
        PRESENCE,
        "the partner's document",
        "sessions/{session}/presence/{left}",
        _presence_body,
        operation="update",
        server_time=UPDATED,
        seed=_presence_seed,
    ),
    _variant(
        PRESENCE,
        "session ended",
        "sessions/{ended}/presence/{owner}",
        _presence_body,
        server_time=UPDATED,
    ),
    _variant(
        PRESENCE,
        "own document, session ended",
        "sessions/{ended}/presence/{owner}",
        _nothing,
        operation="delete",
        seed=_presence_seed,
    ),
    _variant(
        PRESENCE,
        "own document, after leaving",
        "sessions/{session}/presence/{left}",
        _presence_body,
        actor="left",
        server_time=UPDATED,
        operation="update",
        seed=_presence_seed,
    ),
    _variant(
        PRESENCE,
        "own document, after leaving",
        "sessions/{session}/presence/{left}",
        _nothing,
        actor="left",
        operation="delete",
        seed=_presence_seed,
    ),
    _variant(
        PRESENCE,
        "own document, not a participant",
        "sessions/{session}/presence/{stranger}",
        _presence_body,
        actor="stranger",
        server_time=UPDATED,
    ),
    # The write budget: one's own counters, each write raising exactly one of them by one.
    _variant(
        BUDGETS,
        "one counter up by 1, written whole",
        NEW_BUDGET,
        _budget_body,
        operation="update",
        seed=_budget_seed,
        allowed=True,
    ),
    _variant(
        BUDGETS,
        "first write: one counter at 1",
        NEW_BUDGET,
        lambda world, uid: {"messages": 1, "lastMessage": "m1"},
        allowed=True,
    ),
    _variant(BUDGETS, "first write: all at 0", NEW_BUDGET, lambda world, uid: {"updates": 0}),
    _variant(
        BUDGETS, "first write: a counter at 2", NEW_BUDGET, lambda world, uid: {"presence": 2}
    ),
    *(
        _variant(
            BUDGETS,
            name,
            NEW_BUDGET,
            _with(_budget_body, **change),
            operation="update",
            seed=_budget_seed,
        )
        for name, change in (
            ("a counter up by 2", {"updates": 5}),
            ("two counters up by 1", {"messages": 3}),
            ("a counter lowered", {"presence": 7}),
            ("a counter as a string", {"updates": "4"}),
            ("extra field", {"bonus": 1}),
        )
    ),
    _variant(
        BUDGETS,
        "past the limit (1,000 messages)",
        NEW_BUDGET,
        lambda world, uid: {"messages": 1001},
        operation="update",
        seed=lambda world: {"messages": 1000},
    ),
    _variant(
        BUDGETS,
        "the partner's counter",
        "sessions/{fresh_session}/budgets/{left}",
        _budget_body,
        operation="update",
        seed=_budget_seed,
    ),
    _variant(
        BUDGETS,
        "own counter, after leaving",
        "sessions/{fresh_session}/budgets/{left}",
        _budget_body,
        actor="left",
        operation="update",
        seed=_budget_seed,
    ),
    _variant(
        BUDGETS,
        "own counter, after leaving",
        "sessions/{fresh_session}/budgets/{left}",
        _nothing,
        actor="left",
        operation="get",
        seed=_budget_seed,
        allowed=True,
    ),
    _variant(
        BUDGETS,
        "own counter, not a participant",
        "sessions/{fresh_session}/budgets/{stranger}",
        lambda world, uid: {"presence": 1},
        actor="stranger",
    ),
    _variant(
        BUDGETS,
        "session ended",
        "sessions/{ended}/budgets/{owner}",
        _budget_body,
        operation="update",
        seed=_budget_seed,
    ),
    # Reads of an ended session and of someone else's documents.
    _variant(
        "sessions/{id}",
        "session ended",
        "sessions/{ended}",
        _nothing,
        operation="get",
        allowed=True,
    ),
    _variant(
        MESSAGES,
        "session ended",
        "sessions/{ended}/messages/{fresh}",
        _nothing,
        operation="list",
        allowed=True,
    ),
    _variant(
        "users/{uid}/attempts/{sessionId}",
        "the partner's attempts",
        "users/{left}/attempts/{fresh}",
        _nothing,
        operation="list",
    ),
    _variant(
        "sessions/{id}",
        "forged participants",
        "sessions/{session}",
        _data(participants=["x"]),
        actor="stranger",
        operation="update",
    ),
)

CASES = tuple(case for target in TARGETS for case in target.cases()) + VARIANTS


def _collection(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _send(world: World, case: Case) -> requests.Response:
    """Send the case's request as a browser would, after arranging what it touches."""
    acting = case.acting or case.actor
    token = world.users[acting].token if acting in world.users else None
    rest = FirestoreRest(world.stack, token)
    path = world.fill(case.doc)
    if case.seed is not None:
        firestore_client().document(path).set(case.seed(world))
    if case.operation == "get":
        return rest.get(path)
    if case.operation == "list":
        return rest.get(f"{_collection(path)}?pageSize=5")
    if case.operation == "delete":
        return rest.delete(path)
    body = case.body(world, world.uid(acting))
    return rest.commit_write(
        path, body, server_time=case.server_time, must_not_exist=case.operation == "create"
    )


def _outcome(response: requests.Response) -> str:
    if response.status_code == 200:
        return "allowed"
    if response.status_code == 403 and "PERMISSION_DENIED" in response.text:
        return "denied"
    return f"HTTP {response.status_code}: {response.text[:200]}"


def _arrange(stack: LocalStack, auth: AuthEmulator) -> World:
    """Sign the actors up and write, as the functions do, a document at every path."""
    db = firestore_client()
    users = {actor: auth.sign_up() for actor in ("stranger", "owner", "left", "newcomer")}
    users["admin"] = auth.make_admin(auth.sign_up())
    owner, left = users["owner"].uid, users["left"].uid
    tests = next(iter(db.collection("questionTests").limit(1).stream()))
    question = db.collection("questions").document(tests.id).get()
    import pycrdt

    from common.sessions.crdt import initial_state
    from devstack.client import edit

    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(initial_state("x = 1\n"))
    ids = {
        "question": tests.id,
        "slug": str(question.get("slug")),
        "username": unique("n").lower(),
        "run_usage": f"{owner}_209901010000",
        "ai_usage": f"{owner}_2099010100",
        "rate_limit": f"{owner}_match_20990101000000",
    }
    world = World(stack, users, ids, edit(doc, index=0, insert="# hi\n"))
    ids["session"] = world.new_session()
    ids["ended"] = world.new_session(status="ended")
    now = _now()
    session = db.collection("sessions").document(ids["session"])
    writes: dict[str, dict[str, Any]] = {
        f"users/{owner}": {"username": ids["username"], "createdAt": now},
        f"usernames/{ids['username']}": {"uid": owner},
        f"users/{owner}/attempts/{ids['session']}": {"endedAt": now},
        f"users/{left}/attempts/{ids['session']}": {"endedAt": now},
        f"matchRequests/{owner}": waiting_request(
            owner, request_id=unique("r"), at=now, status="cancelled"
        ),
        f"runLocks/{ids['session']}": {"runId": "r0", "uid": owner, "at": now},
        f"runUsage/{ids['run_usage']}": {"uid": owner, "count": 1},
        f"aiUsage/{ids['ai_usage']}": {"uid": owner, "count": 1},
        f"rateLimits/{ids['rate_limit']}": {"uid": owner, "count": 1},
    }
    for path, data in writes.items():
        db.document(path).set(data)
    session.collection("updates").document("u0").set(
        {"author": owner, "update": world.update, "createdAt": now}
    )
    session.collection("messages").document("m0").set(
        {"author": owner, "text": "hi", "createdAt": now}
    )
    session.collection("runs").document("r0").set(
        {"kind": "run", "author": owner, "language": "python", "status": "done", "createdAt": now}
    )
    for uid in (owner, left):
        session.collection("presence").document(uid).set(_presence_seed(world))
    return world


def _write_table(rows: list[tuple[Case, str]], mismatches: int) -> None:
    lines = [
        "# Firestore rules matrix",
        "",
        f"Written by `tests/test_rules_matrix.py` at {_now():%Y-%m-%d %H:%M} UTC: "
        f"{len(rows)} cases, {mismatches} mismatches. Requests go to the Firestore emulator "
        "over REST with each actor's ID token, as browsers send them.",
        "",
        *(f"- **{actor}**: {meaning}" for actor, meaning in ACTOR_LEGEND.items()),
        "",
        "| # | path | actor | operation | case | expected | actual | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, (case, actual) in enumerate(rows, 1):
        mark = "ok" if actual == case.expected else "**MISMATCH**"
        shown = actual.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {number} | `{case.path}` | {case.actor} | {case.operation} | {case.variant} "
            f"| {case.expected} | {shown} | {mark} |"
        )
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text("\n".join(lines) + "\n")


def test_every_path_actor_and_operation_is_in_the_table() -> None:
    grid = {(case.path, case.actor, case.operation) for case in CASES}
    for target in TARGETS:
        for actor in ACTORS:
            for operation in OPERATIONS:
                assert (target.path, actor, operation) in grid
    assert len(CASES) >= 120
    assert {case.actor for case in CASES} == set(ACTORS)


def test_every_collection_the_code_uses_is_in_the_table() -> None:
    pattern = re.compile(r"""[cC]ollection\(\s*["']([^"']+)["']""")
    used = {
        name
        for folder in ("common", "functions", "jobs")
        for source in (ROOT / folder).rglob("*.py")
        for name in pattern.findall(source.read_text())
    }
    in_table = {segment for target in TARGETS for segment in target.path.split("/")[::2]}
    assert used, "no collection found in the code"
    assert used <= in_table, sorted(used - in_table)


@pytest.fixture(scope="module")
def world(stack: LocalStack, auth: AuthEmulator) -> World:
    return _arrange(stack, auth)


def _answers(world: World) -> list[str]:
    """Send every case: the cases of one path in order (one may delete what the next reads),
    different paths side by side."""
    answers = [""] * len(CASES)
    by_path: dict[str, list[int]] = {}
    for index, case in enumerate(CASES):
        by_path.setdefault(case.path, []).append(index)

    def send(indices: list[int]) -> None:
        for index in indices:
            answers[index] = _outcome(_send(world, CASES[index]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(send, by_path.values()))
    return answers


def test_the_rules_answer_every_case_as_designed(world: World) -> None:
    rows = list(zip(CASES, _answers(world), strict=True))
    mismatches = [
        f"{case.path} {case.actor} {case.operation} {case.variant}: "
        f"expected {case.expected}, got {actual}"
        for case, actual in rows
        if actual != case.expected
    ]
    _write_table(rows, len(mismatches))
    assert not mismatches, "\n".join(mismatches)
