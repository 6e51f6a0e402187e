"""Backups on the emulator, the path production takes: export, wipe, restore from the export,
and every document is back exactly; ``jobs.verify_restore`` tells a good restore from a bad one.

The module runs a stack of its own: restarting its Firestore emulator would disturb the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import LocalStack
from devstack.stack import ROOT
from tests.conftest import TEST_ENV
from tests.support import (
    Api,
    AuthEmulator,
    EditorClient,
    FirestoreRest,
    matched_pair,
    run_job,
    unique,
)

Documents = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def own_stack() -> Iterator[LocalStack]:
    """A stack for this module only, started without the question bank (the test adds one)."""
    local = LocalStack(extra_env=TEST_ENV)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def every_document(stack: LocalStack) -> Documents:
    """Read every document of the emulator's database, subcollections included, with the
    server client (which bypasses the rules): path -> the document's full dict."""
    from google.cloud import firestore

    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = stack.host("firestore")  # read when it is built
    try:
        client = firestore.Client(project=stack.project_id)
    finally:
        if saved is None:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved
    documents: Documents = {}

    def walk(collections: Iterable[firestore.CollectionReference]) -> None:
        for collection in collections:
            # Documents deleted under which subcollections remain are listed (and walked) too.
            for reference in collection.list_documents():
                snapshot = reference.get()
                if snapshot.exists:
                    documents[reference.path] = snapshot.to_dict() or {}
                walk(reference.collections())

    walk(client.collections())
    client.close()  # type: ignore[no-untyped-call]
    return documents


def backup_cli(stack: LocalStack, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m devstack.backup`` against the stack, as someone at ``make dev`` does."""
    state_file = tmp_path / "devstack.json"
    state_file.write_text(json.dumps(stack.addresses()))
    return subprocess.run(
        [sys.executable, "-m", "devstack.backup", *args],
        cwd=ROOT,
        env={**os.environ, "PEERPREP_STATE_FILE": str(state_file)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def verify(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    return run_job("verify_restore", "--database", "(default)", *args, env=stack.client_env())


def test_export_wipe_and_import_bring_every_document_back(
    own_stack: LocalStack, tmp_path: Path
) -> None:
    # Arrange: users with profiles, a question, a session with edits and chat, all through the
    # API and the clients' own paths.
    api, auth = Api(own_stack.api_url), AuthEmulator(own_stack)
    admin = auth.make_admin(auth.sign_up())
    question = api.post(
        "/questions",
        json={
            "title": f"Backup {unique('q')} Pairs",
            "description": "Return the number of pairs adding up to `target`.",
            "difficulty": "medium",
            "topics": ["hash-table"],
            "examples": [{"input": "nums = [1, 3], target = 4", "output": "1"}],
            "constraints": ["1 <= nums.length <= 10^4"],
            "starterCode": {
                "python": "def count_pairs(nums, target):\n    pass\n",
                "javascript": "function countPairs(nums, target) {\n}\n",
                "java": "class Solution {\n    int countPairs(int[] nums, int t) {\n    }\n}\n",
                "cpp": "int countPairs(std::vector<int>& nums, int t) { return 0; }\n",
            },
        },
        user=admin,
    )
    assert question.status_code == 201, question.text
    one, two, session_id = matched_pair(
        api, auth, difficulty="medium", topics=["hash-table"], language="python"
    )
    for index, user in enumerate((one, two)):
        editor = EditorClient(own_stack, user, session_id)
        editor.join()
        editor.edit(index=0, insert=f"# edited by {index}\n")
        editor.flush()
        chat = FirestoreRest(own_stack, user.token)
        assert (
            chat.add(
                f"sessions/{session_id}/messages", {"author": user.uid, "text": f"hi {index}"}
            ).status_code
            == 200
        )
    code = api.get(f"/sessions/{session_id}", user=one).json()["code"]
    # The worker lets the sweeper's lease go a moment after pairing: wait for that last write.
    deadline = time.monotonic() + 30
    while any(
        doc.get("lease")
        for path, doc in every_document(own_stack).items()
        if path.startswith("matchSweeper/")
    ):
        assert time.monotonic() < deadline, "the sweeper's lease was never let go"
        time.sleep(0.2)
    before = every_document(own_stack)
    assert {f"users/{one.uid}", f"users/{two.uid}", f"sessions/{session_id}"} <= set(before)
    assert f"questions/{question.json()['id']}" in before
    assert sum(path.startswith(f"sessions/{session_id}/updates/") for path in before) == 2
    assert sum(path.startswith(f"sessions/{session_id}/messages/") for path in before) == 2
    manifest = tmp_path / "counts.json"
    assert verify(own_stack, "--write-manifest", str(manifest)).returncode == 0
    counts = json.loads(manifest.read_text())
    assert (counts["users"], counts["sessions"], counts["updates"], counts["messages"]) == (
        2,
        1,
        2,
        2,
    )

    # Act 1: export (the layout of `gcloud firestore export`), then lose everything.
    exported = backup_cli(own_stack, tmp_path, "export", "--dir", str(tmp_path), "--name", "daily")
    assert exported.returncode == 0, exported.stderr
    export_dir = tmp_path / "daily"
    assert exported.stdout.splitlines()[0] == str(export_dir)
    assert (export_dir / "daily.overall_export_metadata").is_file()
    assert (export_dir / "all_namespaces").is_dir()
    wiped = backup_cli(own_stack, tmp_path, "wipe")
    assert wiped.returncode == 0, wiped.stderr

    # Assert 1: the data is gone, for the API too, and the verification says so.
    assert every_document(own_stack) == {}
    assert api.get("/users/me", user=one).status_code == 404
    failed = verify(own_stack, "--manifest", str(manifest))
    assert failed.returncode == 1
    assert "FAILED users: 0 documents restored, 2 expected" in failed.stdout

    # Act 2: restore: the emulator restarts on its port from the export.
    own_stack.restart_firestore(import_data=export_dir)

    # Assert 2: every document is back exactly, and the functions serve it again.
    assert every_document(own_stack) == before
    restored = verify(own_stack, "--manifest", str(manifest))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "OK: (default) holds every collection" in restored.stdout
    me = api.get("/users/me", user=one)
    assert me.status_code == 200 and me.json()["uid"] == one.uid
    assert api.get(f"/sessions/{session_id}", user=two).json()["code"] == code
