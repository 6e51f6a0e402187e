"""Walk through a whole practice session against the running local stack: ``make demo``.

Two users sign up in the Auth emulator, create profiles, ask for a match, meet in one session,
edit the code at the same time through Firestore (REST, each with its own ID token, as browsers
do), chat, and leave. Each step is printed; the first step that does not do what it should
stops the walkthrough with exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from devstack.client import AuthEmulator, EditorClient, EmulatorUser, FirestoreRest, unique
from devstack.stack import ROOT, LocalStack

__all__ = ["main"]


class StepFailedError(RuntimeError):
    """A step of the walkthrough did not do what it should."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailedError(message)


def _step(number: int, text: str) -> None:
    print(f"[{number:>2}] {text}", flush=True)


def _wait(predicate: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise StepFailedError(f"timed out waiting for {what}")


def _stack_from(state_file: Path) -> LocalStack:
    try:
        addresses = json.loads(state_file.read_text())
    except FileNotFoundError:
        raise StepFailedError(f"no running stack ({state_file} is missing): run make dev") from None
    stack = LocalStack(project_id=addresses["projectId"], log_dir=Path(os.devnull))
    for part in ("firestore", "auth", "pubsub", "tasks"):
        stack.ports[part] = int(addresses[part].rsplit(":", 1)[1])
    stack.ports["api"] = int(addresses["api"].split(":")[2].split("/")[0])
    return stack


def _api(stack: LocalStack, method: str, path: str, user: EmulatorUser, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{stack.api_url}{path}", headers=user.headers, timeout=30, **kwargs
    )
    if response.status_code >= 400:
        raise StepFailedError(f"{method} {path} answered {response.status_code}: {response.text}")
    return response.json()


def _meet(stack: LocalStack) -> tuple[EmulatorUser, EmulatorUser, dict[str, str], dict[str, Any]]:
    """Steps 1-4: sign up, profiles, match; return both users, their names and the session."""
    auth = AuthEmulator(stack)
    _step(1, "two users sign up in the Auth emulator")
    alice, bob = auth.sign_up(), auth.sign_up()
    names = {alice.uid: unique("alice_")[:16], bob.uid: unique("bob_")[:16]}
    _step(2, f"they create profiles: {names[alice.uid]} and {names[bob.uid]}")
    for user in (alice, bob):
        _api(stack, "POST", "/users", user, json={"username": names[user.uid]})
    _step(3, "both ask for an easy Python question on arrays")
    criteria = {"difficulty": "easy", "topics": ["arrays"], "language": "python"}
    for user in (alice, bob):
        request = _api(stack, "POST", "/match", user, json=criteria)
        _check(request["status"] == "waiting", f"the request is {request['status']}, not waiting")
    match = _wait(
        lambda: (m := _api(stack, "GET", "/match", alice))["status"] != "waiting" and m,
        20,
        "the match",
    )
    _check(match["status"] == "matched", f"alice's request ended {match['status']}")
    session_id = match["sessionId"]
    _check(_api(stack, "GET", "/match", bob)["sessionId"] == session_id, "not the same session")
    _check(match["partner"]["username"] == names[bob.uid], "alice's partner is not bob")
    session: dict[str, Any] = _api(stack, "GET", f"/sessions/{session_id}", alice)
    _step(4, f"matched in session {session_id} on {session['question']['title']!r}")
    return alice, bob, names, session


def _edit_together(
    stack: LocalStack, alice: EmulatorUser, bob: EmulatorUser, session: dict[str, Any]
) -> str:
    """Steps 5-7: both edit at once through Firestore; return the code they agree on."""
    session_id = session["id"]
    _step(5, "both open the editor: the snapshot and the updates, read with their own tokens")
    editors = {user.uid: EditorClient(stack, user, session_id) for user in (alice, bob)}
    for editor in editors.values():
        editor.join()
        _check(editor.text == session["code"], "the editor does not show the starter code")

    _step(6, "they type at the same time: alice at the top, bob at the bottom")
    lines = {
        alice.uid: [f"# alice's idea {n}\n" for n in range(5)],
        bob.uid: [f"# bob's test {n}\n" for n in range(5)],
    }

    def type_lines(user: EmulatorUser) -> None:
        editor = editors[user.uid]
        for line in lines[user.uid]:
            position = 0 if user is alice else len(editor.text)
            editor.edit(index=position, insert=line)
            editor.flush()
            editor.pull()

    threads = [threading.Thread(target=type_lines, args=(user,)) for user in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for editor in editors.values():
        editor.pull()
    texts = {editor.text for editor in editors.values()}
    _check(len(texts) == 1, "the two editors show different code")
    (code,) = texts
    _check(
        all(line in code for user_lines in lines.values() for line in user_lines),
        "an edit is missing from the shared code",
    )
    _check(
        _api(stack, "GET", f"/sessions/{session_id}", bob)["code"] == code,
        "the server's merged code differs from the editors'",
    )
    _step(7, "both editors and the server show the same code")
    return code


def _chat_and_leave(
    stack: LocalStack,
    *,
    alice: EmulatorUser,
    bob: EmulatorUser,
    names: dict[str, str],
    session_id: str,
    code: str,
) -> None:
    """Steps 8-10: chat, leave, and check the attempts."""
    _step(8, "alice writes in the chat; bob reads it")
    sent = FirestoreRest(stack, alice.token).add(
        f"sessions/{session_id}/messages", {"author": alice.uid, "text": "Hash map, one pass?"}
    )
    _check(sent.ok, f"the message was refused: {sent.text}")
    messages = FirestoreRest(stack, bob.token).list_documents(f"sessions/{session_id}/messages")
    _check(any(m["text"] == "Hash map, one pass?" for m in messages), "bob does not see it")

    _step(9, "alice leaves; bob sees it; bob leaves and the session ends")
    _api(stack, "POST", f"/sessions/{session_id}/leave", alice)
    seen = FirestoreRest(stack, bob.token).get(f"sessions/{session_id}")
    _check(
        alice.uid in json.dumps(seen.json().get("fields", {}).get("leftBy", {})),
        "bob does not see that alice left",
    )
    ended = _api(stack, "POST", f"/sessions/{session_id}/leave", bob)
    _check(ended["status"] == "ended", "the session did not end")
    for user in (alice, bob):
        attempts = _api(stack, "GET", "/users/me/attempts", user)["items"]
        _check(
            len(attempts) == 1 and attempts[0]["sessionId"] == session_id,
            f"{names[user.uid]} has no attempt for the session",
        )
        _check(attempts[0]["finalCode"] == code, "the attempt's final code is not the session's")
    _step(10, "each has the attempt in their history, with the final code")


def walkthrough(stack: LocalStack) -> str:
    """Run every step; return the final code."""
    alice, bob, names, session = _meet(stack)
    code = _edit_together(stack, alice, bob, session)
    _chat_and_leave(stack, alice=alice, bob=bob, names=names, session_id=session["id"], code=code)
    return code


def main() -> int:
    """Run the walkthrough against the stack described by ``.devstack.json``."""
    state_file = Path(os.environ.get("PEERPREP_STATE_FILE") or ROOT / ".devstack.json")
    try:
        code = walkthrough(_stack_from(state_file))
    except (StepFailedError, requests.RequestException) as exc:
        print(f"FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    print("\nfinal code:\n" + code, flush=True)
    print("walkthrough complete", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
