"""firestore.rules for the session subtree, as browsers see them (REST with users' tokens)."""

from __future__ import annotations

import pytest

from common.clients import firestore_client
from common.sessions.crdt import edit, initial_state
from devstack import LocalStack
from tests.support import AuthEmulator, EmulatorUser, FirestoreRest, make_session

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
