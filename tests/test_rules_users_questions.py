"""firestore.rules for users, usernames, attempts, questions and match requests, as browsers
see them: Firestore REST requests carrying each user's ID token (or none)."""

from __future__ import annotations

import datetime as dt

import pytest

from common.clients import firestore_client
from devstack import LocalStack
from tests.support import AuthEmulator, EmulatorUser, FirestoreRest, unique


@pytest.fixture
def owner_with_docs(auth: AuthEmulator) -> EmulatorUser:
    """A user whose profile, attempt, match request and username exist (written by the server)."""
    owner = auth.sign_up()
    db = firestore_client()
    now = dt.datetime.now(dt.UTC)
    db.collection("users").document(owner.uid).set({"username": "x", "createdAt": now})
    db.collection("users").document(owner.uid).collection("attempts").document("s1").set(
        {"endedAt": now}
    )
    db.collection("matchRequests").document(owner.uid).set({"status": "waiting"})
    db.collection("usernames").document(unique("n")).set({"uid": owner.uid})
    return owner


def _question_id() -> str:
    snapshot = next(iter(firestore_client().collection("questions").limit(1).stream()))
    return str(snapshot.id)


@pytest.mark.parametrize("path", ["users/{uid}", "users/{uid}/attempts/s1", "matchRequests/{uid}"])
def test_owner_reads_its_own_documents(
    stack: LocalStack, owner_with_docs: EmulatorUser, path: str
) -> None:
    response = FirestoreRest(stack, owner_with_docs.token).get(path.format(uid=owner_with_docs.uid))
    assert response.status_code == 200, response.text


def test_owner_lists_its_attempts(stack: LocalStack, owner_with_docs: EmulatorUser) -> None:
    response = FirestoreRest(stack, owner_with_docs.token).get(
        f"users/{owner_with_docs.uid}/attempts"
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["documents"]) == 1


@pytest.mark.parametrize(
    "path",
    ["users/{uid}", "users/{uid}/attempts/s1", "users/{uid}/attempts", "matchRequests/{uid}"],
)
@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_others_cannot_read_a_users_documents(
    stack: LocalStack, auth: AuthEmulator, owner_with_docs: EmulatorUser, path: str, who: str
) -> None:
    token = auth.sign_up().token if who == "other" else None
    response = FirestoreRest(stack, token).get(path.format(uid=owner_with_docs.uid))
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("collection", "doc"),
    [
        ("users", "{uid}"),
        ("usernames", "somename"),
        ("users/{uid}/attempts", "s2"),
        ("questions", "q-from-client"),
        ("matchRequests", "{uid}"),
    ],
)
def test_no_client_writes_server_owned_collections(
    stack: LocalStack, auth: AuthEmulator, owner_with_docs: EmulatorUser, collection: str, doc: str
) -> None:
    admin = auth.make_admin(auth.sign_up())
    for user in (owner_with_docs, admin):
        rest = FirestoreRest(stack, user.token)
        target = collection.format(uid=owner_with_docs.uid)
        created = rest.create(
            target, {"uid": user.uid, "status": "matched"}, doc_id=doc.format(uid=unique())
        )
        assert created.status_code == 403, created.text
        patched = rest.patch(
            f"{target}/{doc.format(uid=owner_with_docs.uid)}", {"status": "matched"}
        )
        assert patched.status_code == 403, patched.text
    assert (
        FirestoreRest(stack, owner_with_docs.token)
        .delete(f"users/{owner_with_docs.uid}")
        .status_code
        == 403
    )
    assert firestore_client().collection("users").document(owner_with_docs.uid).get().exists


def test_nobody_reads_username_reservations(
    stack: LocalStack, owner_with_docs: EmulatorUser
) -> None:
    response = FirestoreRest(stack, owner_with_docs.token).get("usernames")
    assert response.status_code == 403


def test_signed_in_users_read_questions_and_anonymous_clients_do_not(
    stack: LocalStack, user: EmulatorUser
) -> None:
    question_id = _question_id()
    signed_in = FirestoreRest(stack, user.token)
    assert signed_in.get(f"questions/{question_id}").status_code == 200
    assert signed_in.get("questions").status_code == 200
    anonymous = FirestoreRest(stack, None)
    assert anonymous.get(f"questions/{question_id}").status_code == 403
    assert anonymous.get("questions").status_code == 403


def test_question_changes_by_clients_are_refused(stack: LocalStack, auth: AuthEmulator) -> None:
    admin = auth.make_admin(auth.sign_up())
    question_id = _question_id()
    rest = FirestoreRest(stack, admin.token)
    assert rest.patch(f"questions/{question_id}", {"title": "Hijacked"}).status_code == 403
    assert rest.delete(f"questions/{question_id}").status_code == 403


@pytest.mark.parametrize("path", ["meta/topicCounts", "questionSlugs/anything", "unknown/doc"])
def test_everything_else_is_denied(stack: LocalStack, user: EmulatorUser, path: str) -> None:
    assert FirestoreRest(stack, user.token).get(path).status_code == 403
