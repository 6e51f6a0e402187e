"""The shared editor's document: Yjs state handled with pycrdt.

A session's code is one Yjs text named ``code``. Clients (yjs in browsers) send Yjs v1 updates;
the server reads the text and compacts the log into a snapshot with ``fold``.

``fold`` takes each update on its own: one that does not decode, or that would grow the text
past ``MAX_CODE_BYTES``, is set aside (and reported), and the rest carry on. The text is read by
applying the usable updates in the order given, which callers make causal (``createdAt`` order:
a client writes an update only after reading what it builds on). The state written back is
``merge_updates`` of those same updates: a struct-level merge that integrates nothing, and so
agrees with yjs where pycrdt's integration does not (a yjs edit inside an emoji's surrogate pair,
y-crdt PR #399; checked against yjs in tests/test_yjs_interop.py). pycrdt indexes text by UTF-8
bytes where yjs counts UTF-16 units: ``edit`` takes Python character positions and converts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import pycrdt

__all__ = [
    "MAX_CODE_BYTES",
    "MAX_STATE_BYTES",
    "TEXT_NAME",
    "Folded",
    "SetAside",
    "byte_offset",
    "combine",
    "edit",
    "empty_update",
    "fold",
    "initial_state",
    "merge",
    "text_of",
]

TEXT_NAME = "code"
# The longest code a session holds, in UTF-8 bytes: snapshots stay far below Firestore's 1 MiB.
MAX_CODE_BYTES = 256 * 1024
# The largest merged state written as a snapshot before falling back to the compact form.
MAX_STATE_BYTES = 900 * 1024


def initial_state(text: str) -> bytes:
    """Return the first state of a session's document: its text set to ``text``."""
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    code = doc.get(TEXT_NAME, type=pycrdt.Text)
    if text:
        code.insert(0, text)
    return bytes(doc.get_update())


def empty_update() -> bytes:
    """Return the update of an empty document (merging it changes nothing)."""
    return bytes(pycrdt.Doc().get_update())


@dataclass(frozen=True)
class SetAside:
    """An update ``fold`` could not use: its position among the parts, and why."""

    index: int
    reason: Literal["undecodable", "too_large"]


@dataclass(frozen=True)
class Folded:
    """The result of ``fold``: the merged state, its text, and what was used or set aside."""

    state: bytes
    text: str
    used: tuple[int, ...]
    set_aside: tuple[SetAside, ...]


def _fatal(exc: BaseException) -> bool:
    # pycrdt reports a Rust panic as pyo3's PanicException, a BaseException: catch it too.
    return isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit)


def _doc_of(parts: Sequence[bytes]) -> tuple[pycrdt.Doc[pycrdt.Text], pycrdt.Text]:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    code = doc.get(TEXT_NAME, type=pycrdt.Text)
    for part in parts:
        doc.apply_update(part)
    return doc, code


def fold(updates: Iterable[bytes], *, max_bytes: int = MAX_CODE_BYTES) -> Folded:
    """Merge updates given in causal order (a snapshot first, then updates by ``createdAt``).

    Each is decoded on its own; one that does not decode, or that would grow the text past
    ``max_bytes`` (UTF-8), is set aside and the others are merged without it.
    """
    parts = [bytes(update) for update in updates]
    doc, code = _doc_of([])
    used: list[int] = []
    aside: list[SetAside] = []
    size = 0
    for index, part in enumerate(parts):
        if not part:
            continue
        try:
            pycrdt.get_state(part)  # decodes the whole update: junk stops here, doc untouched
            doc.apply_update(part)
            grown = len(code)
        except BaseException as exc:
            if _fatal(exc):
                raise
            aside.append(SetAside(index, "undecodable"))
            doc, code = _doc_of([parts[i] for i in used])
            continue
        if grown > max_bytes and grown > size:
            aside.append(SetAside(index, "too_large"))
            doc, code = _doc_of([parts[i] for i in used])
            continue
        used.append(index)
        size = grown
    state = combine(parts[i] for i in used)
    if len(state) > MAX_STATE_BYTES:
        # merge_updates keeps deleted text; past this size only the document's own
        # (garbage-collected) state fits in a Firestore document.
        state = bytes(doc.get_update())
    return Folded(state=state, text=str(code), used=tuple(used), set_aside=tuple(aside))


def merge(updates: Iterable[bytes]) -> bytes:
    """Merge updates given in causal order into one state, without those ``fold`` sets aside."""
    return fold(updates).state


def combine(updates: Iterable[bytes]) -> bytes:
    """Combine updates in any order with ``merge_updates`` (keeps waiting ones); for batching a
    client's own consecutive edits, or updates whose order is unknown."""
    parts = [bytes(update) for update in updates if update]
    if not parts:
        return empty_update()
    return parts[0] if len(parts) == 1 else bytes(pycrdt.merge_updates(*parts))


def text_of(state: bytes) -> str:
    """Return the code text of a merged state."""
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    if state:
        doc.apply_update(state)
    return str(doc.get(TEXT_NAME, type=pycrdt.Text))


def byte_offset(text: str, index: int) -> int:
    """Convert a character position in ``text`` into pycrdt's UTF-8 byte position."""
    return len(text[:index].encode("utf-8"))


def edit(doc: pycrdt.Doc[pycrdt.Text], *, index: int, delete: int = 0, insert: str = "") -> bytes:
    """Apply one edit at a character position of the doc's text and return its update."""
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
