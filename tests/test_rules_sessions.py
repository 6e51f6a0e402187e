"""firestore.rules for the session subtree, as browsers see them (REST with users' tokens)."""

from __future__ import annotations

from typing import Any

import pytest

from common.clients import firestore_client
from common.sessions.crdt import initial_state
from devstack import LocalStack
from devstack.client import edit
from tests.support import AuthEmulator, EmulatorUser, FirestoreRest, make_session, unique

MAX_UPDATE = 64 * 1024


@pytest.fixture
def trio(auth: AuthEmulator) -> tuple[EmulatorUser, EmulatorUser, EmulatorUser]:
    """Two participants and an outsider."""
    return auth.sign_up(), auth.sign_up(), auth.sign_up()


def _update() -> bytes:
    import pycrdt

    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(initial_state("x = 1\n"))
    return edit(doc, index=0, insert="# hi\n")


def _end(session_id: str) -> None:
    firestore_client().collection("sessions").document(session_id).update({"status": "ended"})


def _client(
    stack: LocalStack, who: str, trio: tuple[EmulatorUser, ...]
) -> tuple[FirestoreRest, str]:
    users = {"participant": trio[0], "other": trio[2]}
    user = users.get(who)
    return FirestoreRest(stack, user.token if user else None), user.uid if user else "anon"


@pytest.mark.parametrize(
    ("who", "allowed"), [("participant", True), ("other", False), ("anonymous", False)]
)
@pytest.mark.parametrize("status", ["active", "ended"])
def test_reading_the_session_and_its_subtree(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], who: str, allowed: bool, status: str
) -> None:
    session_id = make_session(list(trio[:2]))
    owner = FirestoreRest(stack, trio[0].token)
    assert owner.add(
        f"sessions/{session_id}/updates", {"author": trio[0].uid, "update": _update()}
    ).ok
    assert owner.add(f"sessions/{session_id}/messages", {"author": trio[0].uid, "text": "hi"}).ok
    if status == "ended":
        _end(session_id)
    rest, _ = _client(stack, who, trio)
    for path in ("", "/updates", "/messages", "/presence"):
        response = rest.get(f"sessions/{session_id}{path}")
        assert (response.status_code == 200) is allowed, (path, response.text)


@pytest.mark.parametrize(
    ("who", "status", "allowed"),
    [
        ("participant", "active", True),
        ("participant", "ended", False),
        ("other", "active", False),
        ("anonymous", "active", False),
    ],
)
def test_creating_updates_and_messages(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], who: str, status: str, allowed: bool
) -> None:
    session_id = make_session(list(trio[:2]))
    if status == "ended":
        _end(session_id)
    rest, uid = _client(stack, who, trio)
    update = rest.add(f"sessions/{session_id}/updates", {"author": uid, "update": _update()})
    message = rest.add(f"sessions/{session_id}/messages", {"author": uid, "text": "hello"})
    assert update.ok is allowed, update.text
    assert message.ok is allowed, message.text


def test_author_spoofing_is_refused(stack: LocalStack, trio: tuple[EmulatorUser, ...]) -> None:
    session_id = make_session(list(trio[:2]))
    rest = FirestoreRest(stack, trio[0].token)
    for author in (trio[1].uid, "ai"):
        assert (
            rest.add(
                f"sessions/{session_id}/updates", {"author": author, "update": _update()}
            ).status_code
            == 403
        )
        assert (
            rest.add(
                f"sessions/{session_id}/messages", {"author": author, "text": "hi"}
            ).status_code
            == 403
        )


def test_client_chosen_timestamps_and_extra_fields_are_refused(
    stack: LocalStack, trio: tuple[EmulatorUser, ...]
) -> None:
    import datetime as dt

    session_id = make_session(list(trio[:2]))
    rest = FirestoreRest(stack, trio[0].token)
    uid = trio[0].uid
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    forged_time = rest.add(
        f"sessions/{session_id}/messages",
        {"author": uid, "text": "hi", "createdAt": past},
        server_time=(),
    )
    assert forged_time.status_code == 403
    extra = rest.add(
        f"sessions/{session_id}/messages", {"author": uid, "text": "hi", "pinned": True}
    )
    assert extra.status_code == 403
    not_bytes = rest.add(
        f"sessions/{session_id}/updates", {"author": uid, "update": "text, not bytes"}
    )
    assert not_bytes.status_code == 403


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("", False),
        ("a", True),
        ("b" * 1000, True),
        ("c" * 1001, False),
        (" padded ", False),
        ("é" * 1000, True),
    ],
)
def test_message_lengths(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], text: str, allowed: bool
) -> None:
    session_id = make_session(list(trio[:2]))
    response = FirestoreRest(stack, trio[0].token).add(
        f"sessions/{session_id}/messages", {"author": trio[0].uid, "text": text}
    )
    assert response.ok is allowed, response.text


@pytest.mark.parametrize(
    ("size", "allowed"), [(1, True), (MAX_UPDATE, True), (MAX_UPDATE + 1, False)]
)
def test_update_sizes(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], size: int, allowed: bool
) -> None:
    session_id = make_session(list(trio[:2]))
    response = FirestoreRest(stack, trio[0].token).add(
        f"sessions/{session_id}/updates", {"author": trio[0].uid, "update": b"\x01" * size}
    )
    assert response.ok is allowed, response.text[:300]


def test_nobody_changes_or_deletes_updates_and_messages(
    stack: LocalStack, trio: tuple[EmulatorUser, ...]
) -> None:
    session_id = make_session(list(trio[:2]))
    author = FirestoreRest(stack, trio[0].token)
    update_path = f"sessions/{session_id}/updates/u1"
    message_path = f"sessions/{session_id}/messages/m1"
    assert author.commit_write(update_path, {"author": trio[0].uid, "update": _update()}).ok
    assert author.commit_write(message_path, {"author": trio[0].uid, "text": "first"}).ok
    for user in (trio[0], trio[1]):
        rest = FirestoreRest(stack, user.token)
        assert (
            rest.commit_write(
                update_path, {"author": trio[0].uid, "update": b"\x00"}, must_not_exist=False
            ).status_code
            == 403
        )
        assert (
            rest.commit_write(
                message_path, {"author": trio[0].uid, "text": "edited"}, must_not_exist=False
            ).status_code
            == 403
        )
        assert rest.delete(update_path).status_code == 403
        assert rest.delete(message_path).status_code == 403


def test_the_session_document_is_not_writable(
    stack: LocalStack, trio: tuple[EmulatorUser, ...]
) -> None:
    session_id = make_session(list(trio[:2]))
    rest = FirestoreRest(stack, trio[0].token)
    assert rest.patch(f"sessions/{session_id}", {"status": "ended"}).status_code == 403
    assert (
        rest.patch(
            f"sessions/{session_id}", {"participants": [trio[0].uid, trio[2].uid]}
        ).status_code
        == 403
    )
    assert rest.delete(f"sessions/{session_id}").status_code == 403


def test_presence_is_written_only_by_its_owner(
    stack: LocalStack, trio: tuple[EmulatorUser, ...]
) -> None:
    session_id = make_session(list(trio[:2]))
    mine, partner, outsider = (FirestoreRest(stack, user.token) for user in trio)
    own = f"sessions/{session_id}/presence/{trio[0].uid}"
    fields = {"cursor": 3, "selection": {"anchor": 1, "head": 4}, "online": True}
    assert mine.commit_write(own, fields, server_time=("updatedAt",), must_not_exist=False).ok
    assert mine.commit_write(
        own, {"online": False}, server_time=("updatedAt",), must_not_exist=False
    ).ok
    assert partner.get(own).status_code == 200
    assert (
        partner.commit_write(
            own, fields, server_time=("updatedAt",), must_not_exist=False
        ).status_code
        == 403
    )
    theirs = f"sessions/{session_id}/presence/{trio[2].uid}"
    assert (
        outsider.commit_write(
            theirs, fields, server_time=("updatedAt",), must_not_exist=False
        ).status_code
        == 403
    )
    assert (
        mine.commit_write(
            own, {"online": True, "admin": True}, server_time=("updatedAt",), must_not_exist=False
        ).status_code
        == 403
    )
    assert partner.delete(own).status_code == 403
    assert mine.delete(own).status_code == 200


# ---- the write budget: every update, message and presence write raises its counter by one -----

BUDGET_LIMITS = {"updates": 20_000, "messages": 1_000, "presence": 50_000}
LAST = {"updates": "lastUpdate", "messages": "lastMessage", "presence": None}
Write = dict[str, Any]


def _write(rest: FirestoreRest, session_id: str, kind: str, uid: str) -> Write:
    """One valid ``kind`` write of ``uid``, without its counter."""
    if kind == "presence":
        path = f"sessions/{session_id}/presence/{uid}"
        fields = {"online": True, "cursor": 2}
        return rest.document_write(path, fields, server_time=("updatedAt",), must_not_exist=False)
    path = f"sessions/{session_id}/{kind}/{unique('w')}"
    body = (
        {"author": uid, "update": _update()} if kind == "updates" else {"author": uid, "text": "hi"}
    )
    return rest.document_write(path, body)


def _paying(rest: FirestoreRest, session_id: str, kind: str, write: Write, *, by: int = 1) -> Write:
    """The raise of ``kind`` by ``by``, naming the document ``write`` writes."""
    paid = str(write["update"]["name"]).rsplit("/", 1)[1] if LAST[kind] else None
    return rest.budget_write(session_id, kind, paid=paid, by=by)


def _budget(session_id: str, uid: str) -> dict[str, Any]:
    snapshot = firestore_client().document(f"sessions/{session_id}/budgets/{uid}").get()
    return snapshot.to_dict() or {}


@pytest.mark.parametrize("kind", ["updates", "messages", "presence"])
def test_each_write_must_raise_its_counter_by_exactly_one(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], kind: str
) -> None:
    session_id = make_session(list(trio[:2]))
    rest, uid = FirestoreRest(stack, trio[0].token), trio[0].uid
    write = _write(rest, session_id, kind, uid)
    wrong_counter = "messages" if kind == "updates" else "updates"

    refused = [
        rest.commit([write]),
        rest.commit([write, rest.budget_write(session_id, wrong_counter)]),
        rest.commit([write, _paying(rest, session_id, kind, write, by=2)]),
    ]
    paid = rest.commit([write, _paying(rest, session_id, kind, write)])
    again = _write(rest, session_id, kind, uid)
    paid_again = rest.commit([again, _paying(rest, session_id, kind, again)])

    assert [response.status_code for response in refused] == [403, 403, 403]
    assert (paid.status_code, paid_again.status_code) == (200, 200), paid.text
    expected: dict[str, Any] = {kind: 2}
    if LAST[kind]:
        expected[str(LAST[kind])] = str(again["update"]["name"]).rsplit("/", 1)[1]
    assert _budget(session_id, uid) == expected


@pytest.mark.parametrize("kind", ["updates", "messages"])
def test_one_increment_pays_for_one_document_only(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], kind: str
) -> None:
    session_id = make_session(list(trio[:2]))
    rest, uid = FirestoreRest(stack, trio[0].token), trio[0].uid
    first, second = _write(rest, session_id, kind, uid), _write(rest, session_id, kind, uid)
    paying = _paying(rest, session_id, kind, first)

    assert rest.commit([first, second, paying]).status_code == 403
    assert rest.commit([first, paying]).status_code == 200
    assert _budget(session_id, uid)[kind] == 1


@pytest.mark.parametrize("kind", ["updates", "messages", "presence"])
def test_the_write_past_the_budget_is_denied(
    stack: LocalStack, trio: tuple[EmulatorUser, ...], kind: str
) -> None:
    session_id = make_session(list(trio[:2]))
    one, two = (FirestoreRest(stack, user.token) for user in trio[:2])
    firestore_client().document(f"sessions/{session_id}/budgets/{trio[0].uid}").set(
        {kind: BUDGET_LIMITS[kind] - 1}
    )
    last, over, partners = (
        _write(one, session_id, kind, trio[0].uid),
        _write(one, session_id, kind, trio[0].uid),
        _write(two, session_id, kind, trio[1].uid),
    )

    spent = one.commit([last, _paying(one, session_id, kind, last)])
    refused = one.commit([over, _paying(one, session_id, kind, over)])
    partner = two.commit([partners, _paying(two, session_id, kind, partners)])

    assert spent.status_code == 200, spent.text
    assert refused.status_code == 403, refused.text
    assert partner.status_code == 200, partner.text  # the budget is per participant
    assert _budget(session_id, trio[0].uid)[kind] == BUDGET_LIMITS[kind]


def test_the_budget_is_ones_own_and_only_goes_up_by_one(
    stack: LocalStack, trio: tuple[EmulatorUser, ...]
) -> None:
    session_id = make_session(list(trio[:2]))
    mine, partner, outsider = (FirestoreRest(stack, user.token) for user in trio)
    uid = trio[0].uid
    own = f"sessions/{session_id}/budgets/{uid}"
    assert mine.commit([mine.budget_write(session_id, "presence")]).ok  # created at 1

    def setting(data: dict[str, Any]) -> int:
        write = mine.document_write(own, data, server_time=(), must_not_exist=False)
        return mine.commit([write]).status_code

    refused = {
        "partner raises it": partner.commit(
            [partner.budget_write(session_id, "presence", owner=uid)]
        ),
        "outsider raises it": outsider.commit(
            [outsider.budget_write(session_id, "presence", owner=uid)]
        ),
        "outsider raises its own": outsider.commit([outsider.budget_write(session_id, "presence")]),
        "partner reads it": partner.get(own),
        "outsider reads it": outsider.get(own),
        "owner lists the budgets": mine.get(f"sessions/{session_id}/budgets"),
        "owner deletes it": mine.delete(own),
    }
    changes = {
        "lowered": setting({"presence": 0, "updates": 1}),
        "raised by 2": setting({"presence": 3}),
        "two counters": setting({"presence": 2, "updates": 1}),
        "extra field": setting({"presence": 2, "bonus": 1}),
        "not a number": setting({"presence": "2"}),
    }

    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    assert changes == dict.fromkeys(changes, 403)
    assert mine.get(own).status_code == 200
    assert setting({"presence": 2}) == 200  # one step, written as a whole document
    assert _budget(session_id, uid) == {"presence": 2}
    _end(session_id)
    assert mine.commit([mine.budget_write(session_id, "presence")]).status_code == 403
