"""Test helpers: the browser-side clients of devstack.client, and sessions made directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from devstack.client import AuthEmulator, EditorClient, EmulatorUser, FirestoreRest, unique

__all__ = [
    "AuthEmulator",
    "EditorClient",
    "EmulatorUser",
    "FirestoreRest",
    "make_session",
    "unique",
    "waiting_request",
]


def make_session(
    users: list[EmulatorUser],
    *,
    starter: str = "def solve():\n    pass\n",
    language: str = "python",
) -> str:
    """Create an active session of these users as the matching worker does (server client)."""
    from common.clients import firestore_client
    from common.collab import initial_state

    now = dt.datetime.now(dt.UTC)
    reference = firestore_client().collection("sessions").document()
    reference.set(
        {
            "participants": [user.uid for user in users],
            "participantInfo": {user.uid: {"username": f"user_{user.uid[:6]}"} for user in users},
            "question": {
                "id": unique("q"),
                "title": "Pair With Target Sum",
                "slug": "pair-with-target-sum",
                "description": "Find two numbers.",
                "difficulty": "easy",
                "topics": ["arrays"],
                "examples": [{"input": "1", "output": "2", "explanation": None}],
                "constraints": ["n > 0"],
                "starterCode": starter,
            },
            "language": language,
            "status": "active",
            "leftBy": [],
            "createdAt": now,
            "lastActivityAt": now,
            "endedAt": None,
            "snapshot": initial_state(starter),
            "snapshotAt": now,
            "snapshotVersion": 0,
        }
    )
    return str(reference.id)


def waiting_request(
    uid: str, *, request_id: str, at: dt.datetime, expires_in_s: float = 0, **fields: Any
) -> dict[str, Any]:
    """A ``matchRequests/{uid}`` document as the API writes it, waiting since ``at``."""
    return {
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
        "sessionId": None,
        "partner": None,
        "endedAt": None,
        **fields,
    }
