"""Clients of the local stack as a browser sees it: users of the Auth emulator, Firestore over
REST with their ID tokens (so ``firestore.rules`` applies), and a Yjs editor kept in step with a
session's updates. Used by the tests and by the walkthrough (``make demo``)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from devstack.stack import LocalStack

if TYPE_CHECKING:
    import pycrdt

__all__ = [
    "AuthEmulator",
    "EditorClient",
    "EmulatorUser",
    "FirestoreRest",
    "byte_offset",
    "edit",
    "unique",
]

_API_KEY = "fake-api-key"  # the Auth emulator accepts any key


def unique(prefix: str = "t") -> str:
    """Return an id no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass
class EmulatorUser:
    """A user of the Auth emulator and its current ID token."""

    uid: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header a browser would send."""
        return {"Authorization": f"Bearer {self.token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AuthEmulator:
    """Create users, sign them in, and change their claims through the emulator's REST API."""

    def __init__(self, stack: LocalStack) -> None:
        self.base = f"http://{stack.host('auth')}"
        self.project_id = stack.project_id

    def _post(self, path: str, body: dict[str, Any], *, admin: bool = False) -> dict[str, Any]:
        headers = {"Authorization": "Bearer owner"} if admin else {}
        response = requests.post(
            f"{self.base}/identitytoolkit.googleapis.com/v1/{path}",
            params={"key": _API_KEY},
            json=body,
            headers=headers,
            timeout=10,
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def sign_up(
        self,
        email: str | None = None,
        password: str = "s3cret-pass",  # noqa: S107 - Auth emulator users only
    ) -> EmulatorUser:
        """Create a user with email and password and return it signed in."""
        email = email or f"{unique('u')}@example.test"
        data = self._post(
            "accounts:signUp", {"email": email, "password": password, "returnSecureToken": True}
        )
        return EmulatorUser(
            uid=data["localId"], email=email, password=password, token=data["idToken"]
        )

    def sign_in(self, user: EmulatorUser) -> EmulatorUser:
        """Sign the user in again, so that its token carries the current claims."""
        data = self._post(
            "accounts:signInWithPassword",
            {"email": user.email, "password": user.password, "returnSecureToken": True},
        )
        user.token = data["idToken"]
        return user

    def update(self, user: EmulatorUser, **fields: Any) -> None:
        """Change a user's record as an administrator (customAttributes, disableUser, ...)."""
        self._post(
            f"projects/{self.project_id}/accounts:update",
            {"localId": user.uid, **fields},
            admin=True,
        )

    def make_admin(self, user: EmulatorUser) -> EmulatorUser:
        """Give the user the ``admin`` claim and a fresh token that carries it."""
        self.update(user, customAttributes=json.dumps({"admin": True}))
        return self.sign_in(user)

    def revoke(self, user: EmulatorUser) -> None:
        """Revoke every token issued to the user until now."""
        time.sleep(1.1)  # validSince has a one-second resolution
        self.update(user, validSince=str(int(time.time())))

    @staticmethod
    def with_claims(token: str, **claims: Any) -> str:
        """Return the unsigned emulator token with some claims replaced (e.g. an old ``exp``)."""
        header, payload, _ = token.split(".")
        data = json.loads(_unb64(payload))
        data.update(claims)
        return f"{header}.{_b64(json.dumps(data).encode())}."


def _to_value(value: Any) -> dict[str, Any]:  # noqa: PLR0911 - one return per Firestore type
    if value is None:
        return {"nullValue": None}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, dt.datetime):
        return {"timestampValue": value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_to_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {key: _to_value(item) for key, item in value.items()}}}
    raise TypeError(f"no Firestore REST value for {type(value).__name__}")


def _from_value(value: dict[str, Any]) -> Any:
    kind, inner = next(iter(value.items()))
    if kind == "integerValue":
        return int(inner)
    if kind == "bytesValue":
        return base64.b64decode(inner)
    if kind == "arrayValue":
        return [_from_value(item) for item in inner.get("values", [])]
    if kind == "mapValue":
        return {key: _from_value(item) for key, item in inner.get("fields", {}).items()}
    return inner


# What each write a client makes in a session spends from its budget (firestore.rules):
# the counter it raises, and the field naming the document paid for.
_BUDGETED = {"updates": ("updates", "lastUpdate"), "messages": ("messages", "lastMessage")}
_BUDGETED_PRESENCE = ("presence", None)
_SESSION_WRITE = re.compile(r"^sessions/([^/]+)/(updates|messages|presence)/([^/]+)$")


def _token_uid(token: str) -> str:
    """Return the uid an ID token names (read, not verified: the emulator verifies it)."""
    payload = token.split(".")[1]
    claims = json.loads(_unb64(payload))
    return str(claims.get("user_id") or claims["sub"])


class FirestoreRest:
    """Firestore's REST API as a browser uses it: every request carries the user's ID token,
    so the emulator evaluates ``firestore.rules`` (``token=None`` is an anonymous client)."""

    def __init__(self, stack: LocalStack, token: str | None) -> None:
        self.root = f"projects/{stack.project_id}/databases/(default)/documents"
        self.base = f"http://{stack.host('firestore')}/v1/{self.root}"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.uid = _token_uid(token) if token else None

    def get(self, path: str) -> requests.Response:
        """Read one document (or list a collection)."""
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=10)

    def create(
        self, collection: str, data: dict[str, Any], doc_id: str | None = None
    ) -> requests.Response:
        """Create a document in a collection, with an automatic id unless one is given."""
        params = {"documentId": doc_id} if doc_id else {}
        return requests.post(
            f"{self.base}/{collection}",
            params=params,
            json={"fields": {key: _to_value(value) for key, value in data.items()}},
            headers=self.headers,
            timeout=10,
        )

    def patch(self, path: str, data: dict[str, Any]) -> requests.Response:
        """Set the given fields of a document (creating it if missing)."""
        return requests.patch(
            f"{self.base}/{path}",
            params=[("updateMask.fieldPaths", key) for key in data],
            json={"fields": {key: _to_value(value) for key, value in data.items()}},
            headers=self.headers,
            timeout=10,
        )

    def document_write(
        self,
        path: str,
        data: dict[str, Any],
        *,
        server_time: tuple[str, ...] = ("createdAt",),
        must_not_exist: bool = True,
    ) -> dict[str, Any]:
        """Return the write of a whole document, as ``documents:commit`` takes it."""
        write: dict[str, Any] = {
            "update": {
                "name": f"{self.root}/{path}",
                "fields": {key: _to_value(value) for key, value in data.items()},
            },
            "updateTransforms": [
                {"fieldPath": name, "setToServerValue": "REQUEST_TIME"} for name in server_time
            ],
        }
        if must_not_exist:
            write["currentDocument"] = {"exists": False}
        return write

    def budget_write(
        self,
        session_id: str,
        kind: str,
        *,
        paid: str | None = None,
        by: int = 1,
        owner: str | None = None,
    ) -> dict[str, Any]:
        """Return the write raising one's ``kind`` counter in ``sessions/{id}/budgets/{uid}`` by
        ``by`` (the rules want exactly one per write), naming ``paid``, the document it pays
        for (updates and messages); ``owner`` names another user's counter (refused)."""
        counter, last = _BUDGETED.get(kind, _BUDGETED_PRESENCE)
        fields = {last: _to_value(paid)} if last and paid is not None else {}
        return {
            "update": {
                "name": f"{self.root}/sessions/{session_id}/budgets/{owner or self.uid}",
                "fields": fields,
            },
            "updateMask": {"fieldPaths": list(fields)},
            "updateTransforms": [{"fieldPath": counter, "increment": {"integerValue": str(by)}}],
        }

    def commit(self, writes: list[dict[str, Any]]) -> requests.Response:
        """Commit writes atomically (a batched write), through the ``documents:commit`` API."""
        return requests.post(
            f"{self.base}:commit", json={"writes": writes}, headers=self.headers, timeout=10
        )

    def commit_write(
        self,
        path: str,
        data: dict[str, Any],
        *,
        server_time: tuple[str, ...] = ("createdAt",),
        must_not_exist: bool = True,
        budget: bool = True,
    ) -> requests.Response:
        """Write a document as the web SDK does, with ``server_time`` fields set by the server
        (``serverTimestamp()``); a session's update, message or presence goes with the raise of
        one's budget counter in the same batch unless ``budget`` is false."""
        writes = [
            self.document_write(path, data, server_time=server_time, must_not_exist=must_not_exist)
        ]
        session_write = _SESSION_WRITE.match(path)
        if budget and session_write and self.uid is not None:
            session_id, kind, doc_id = session_write.groups()
            writes.append(self.budget_write(session_id, kind, paid=doc_id))
        return self.commit(writes)

    def add(self, collection: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        """Add a document with a new id to a collection (``addDoc`` with server timestamps)."""
        return self.commit_write(f"{collection}/{uuid.uuid4().hex[:20]}", data, **kwargs)

    def list_documents(self, collection: str, order_by: str | None = None) -> list[dict[str, Any]]:
        """Read every document of a collection, optionally ordered (raises on a refusal)."""
        documents: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"pageSize": 300}
            if token:
                params["pageToken"] = token
            if order_by:
                params["orderBy"] = order_by
            response = requests.get(
                f"{self.base}/{collection}", params=params, headers=self.headers, timeout=30
            )
            response.raise_for_status()
            body = response.json()
            for document in body.get("documents", []):
                fields = {k: _from_value(v) for k, v in document.get("fields", {}).items()}
                documents.append({"id": document["name"].rsplit("/", 1)[-1], **fields})
            token = body.get("nextPageToken")
            if not token:
                return documents

    def delete(self, path: str) -> requests.Response:
        """Delete a document."""
        return requests.delete(f"{self.base}/{path}", headers=self.headers, timeout=10)

    @staticmethod
    def fields(response: requests.Response) -> dict[str, Any]:
        """Decode a document response into plain Python values."""
        return {key: _from_value(value) for key, value in response.json().get("fields", {}).items()}


class EditorClient:
    """A browser's editor: a Yjs document kept in step with ``sessions/{id}/updates`` over REST,
    writing its own edits there with its user's token.

    pycrdt's ``Doc.apply_update`` and ``merge_updates`` can go wrong when updates come out of
    causal order (yjs does not), so updates are kept in ``createdAt`` order, which is causal
    (an update is written only after what it builds on was read), and on every pull the
    document is rebuilt from their merge, under the same client id.
    """

    def __init__(self, stack: LocalStack, user: EmulatorUser, session_id: str) -> None:
        import pycrdt

        self.user = user
        self.session_id = session_id
        self.rest = FirestoreRest(stack, user.token)
        self.doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
        self.snapshot = b""
        self.updates: dict[str, bytes] = {}
        self.pending: list[bytes] = []

    def join(self) -> None:
        """Load the snapshot, then every update, as a client joining late does."""
        session = self.rest.get(f"sessions/{self.session_id}")
        session.raise_for_status()
        self.snapshot = FirestoreRest.fields(session).get("snapshot") or b""
        self.pull(force=True)

    def pull(self, *, force: bool = False) -> None:
        """Fetch the updates not seen yet and rebuild the document with them."""
        import pycrdt

        from common.sessions.crdt import merge

        fresh = {
            update["id"]: update["update"]
            for update in self.rest.list_documents(
                f"sessions/{self.session_id}/updates", order_by="createdAt"
            )
            if update["id"] not in self.updates
        }
        if not fresh and not force:
            return
        self.updates.update(fresh)
        doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc(client_id=self.doc.client_id)
        doc.apply_update(merge([self.snapshot, *self.updates.values(), *self.pending]))
        self.doc = doc

    @property
    def text(self) -> str:
        import pycrdt

        return str(self.doc.get("code", type=pycrdt.Text))

    def edit(self, *, index: int, delete: int = 0, insert: str = "") -> None:
        """Edit locally; the update is sent with the next flush (clients batch keystrokes)."""
        self.pending.append(edit(self.doc, index=index, delete=delete, insert=insert))

    def flush(self) -> requests.Response | None:
        """Send the batched edits as one update."""
        from common.sessions.crdt import merge

        if not self.pending:
            return None
        update = merge(self.pending)
        response = self.rest.add(
            f"sessions/{self.session_id}/updates", {"author": self.user.uid, "update": update}
        )
        response.raise_for_status()
        self.pending = []
        return response


# ---- editing a pycrdt document as a browser edits its yjs one -------------------------------


def byte_offset(text: str, index: int) -> int:
    """Convert a character position in ``text`` into pycrdt's UTF-8 byte position."""
    return len(text[:index].encode("utf-8"))


def edit(doc: pycrdt.Doc[pycrdt.Text], *, index: int, delete: int = 0, insert: str = "") -> bytes:
    """Apply one edit at a character position of the doc's text and return its update."""
    import pycrdt

    from common.sessions.crdt import TEXT_NAME

    code = doc.get(TEXT_NAME, type=pycrdt.Text)
    before = doc.get_state()
    current = str(code)
    index = max(0, min(index, len(current)))
    delete = max(0, min(delete, len(current) - index))
    start = byte_offset(current, index)
    with doc.transaction():
        if delete:
            end = byte_offset(current, index + delete)
            del code[start:end]
        if insert:
            code.insert(start, insert)
    return bytes(doc.get_update(before))
