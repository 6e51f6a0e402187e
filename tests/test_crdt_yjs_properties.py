"""The server's CRDT merge against yjs itself, on edit scripts that hypothesis makes up.

Several yjs clients (``node tools/yjs/edit_scripts.mjs``) insert and delete at random UTF-16
positions (inside emoji's surrogate pairs too), with emoji, ZWJ sequences, combining marks and
CJK; they write their edits in merged batches, as the web client does, see each other's written
edits now and then, and sometimes write their whole state again (an update that overlaps).

yjs's own reading of all their updates is the reference. What the server makes of them
(``common.sessions.crdt``: ``fold`` in the order written, compaction into a snapshot at any
cuts, ``combine`` in any order) must load in yjs as exactly that text, and read as that text on
the server too, except where a yjs edit split a surrogate pair (pycrdt keeps the emoji whole
there: see tests/test_yjs_interop.py). Needs node and yjs (``npm install``), not the emulators.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common.sessions.crdt import combine, fold, initial_state, text_of

ROOT = Path(__file__).resolve().parent.parent
EDIT_SCRIPTS = "tools/yjs/edit_scripts.mjs"
CLIENTS = 3
PIECES = ["a", "xy", " ", "\n", "é", "e\u0301", "日本", "😀", "👍🏽", "👩‍💻", "𝄞", "ab😀c", "\t}"]


@dataclass(frozen=True)
class Played:
    updates: tuple[bytes, ...]
    text: str
    length: int


class Yjs:
    """One node process running yjs, asked one JSON line at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", EDIT_SCRIPTS],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="surrogatepass",
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"edit_scripts.mjs stopped (exit {self.process.poll()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def play(self, script: Sequence[tuple[Any, ...]]) -> Played:
        """Run the script in yjs: its updates in the order made, and the text yjs reads."""
        answer = self._ask({"script": [list(step) for step in script]})
        updates = tuple(base64.b64decode(update) for update in answer["updates"])
        return Played(updates, str(answer["text"]), int(answer["length"]))

    def read(self, updates: Sequence[bytes]) -> tuple[str, int]:
        """Apply the updates in this order to a fresh Y.Doc; return its text and length."""
        encoded = [base64.b64encode(update).decode("ascii") for update in updates]
        answer = self._ask({"apply": encoded})
        return str(answer["text"]), int(answer["length"])

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=10)
        self.process.stdout.close()
        assert code == 0


@pytest.fixture(scope="module")
def yjs() -> Iterator[Yjs]:
    runner = Yjs()
    try:
        yield runner
    finally:
        runner.close()


clients = st.integers(0, CLIENTS - 1)
inserts = st.tuples(st.just("insert"), clients, st.integers(0, 10_000), st.sampled_from(PIECES))
steps = st.one_of(
    inserts,
    inserts,  # twice as likely as a delete: the text grows
    st.tuples(st.just("delete"), clients, st.integers(0, 10_000), st.integers(1, 4)),
    st.tuples(st.just("flush"), clients),
    st.tuples(st.just("sync"), clients, clients),
    st.tuples(st.just("resend"), clients),
)
scripts = st.lists(steps, min_size=8, max_size=60)


def _compacted(updates: Sequence[bytes], cuts: Sequence[int]) -> tuple[bytes, str]:
    """The server's compaction: a snapshot, then each batch folded into the next snapshot."""
    state = initial_state("")
    start, text = 0, ""
    for end in [*sorted(set(cuts)), len(updates)]:
        folded = fold([state, *updates[start:end]])
        state, text, start = folded.state, folded.text, max(start, end)
    return state, text


def _splits_a_pair(played: Played) -> bool:
    # yjs writes U+FFFD for each half of a surrogate pair an edit split; no piece has one.
    return "\ufffd" in played.text


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(script=scripts, data=st.data())
def test_the_server_merge_reads_as_yjs_does(yjs: Yjs, script: list[Any], data: Any) -> None:
    played = yjs.play(script)
    want = (played.text, played.length)
    updates = played.updates

    folded = fold(updates)
    assert folded.set_aside == ()
    assert yjs.read([folded.state]) == want

    cuts = data.draw(st.lists(st.integers(0, len(updates)), max_size=3), label="cuts")
    compacted, compacted_text = _compacted(updates, cuts)
    assert yjs.read([compacted]) == want

    shuffled = data.draw(st.permutations(updates), label="order")
    combined = combine(shuffled)
    assert yjs.read([combined]) == want
    # A snapshot then the updates after it, as a client joining loads them.
    assert yjs.read([compacted, *shuffled]) == want

    event("a yjs edit split a surrogate pair" if _splits_a_pair(played) else "no pair split")
    event(f"{len(updates) // 10 * 10}+ updates")
    if not _splits_a_pair(played):
        assert folded.text == played.text
        assert compacted_text == played.text
        assert text_of(combined) == played.text
