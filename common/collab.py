"""The shared editor's document: Yjs state handled with pycrdt.

A session's code is one Yjs text named ``code``. Clients (yjs in browsers) send Yjs v1 updates;
the server only merges them (``merge_updates`` keeps updates whose predecessors are missing,
which ``Doc.get_update()`` would silently drop) and reads the text.

pycrdt 0.14.13 disagrees with yjs on some inputs: ``Doc.apply_update`` given updates out of
causal order, and ``merge_updates`` on concurrent edits even in order (seen in
tests/test_sessions.py, checked against yjs). ``merge`` therefore applies updates in the order
given, which callers make causal: ``createdAt`` order, since a client writes an update only after
reading what it builds on. pycrdt indexes text by UTF-8
bytes where yjs counts UTF-16 units: ``edit`` takes Python character positions and converts.
"""

from __future__ import annotations

from collections.abc import Iterable

import pycrdt

__all__ = [
    "TEXT_NAME",
    "byte_offset",
    "combine",
    "edit",
    "empty_update",
    "initial_state",
    "merge",
    "text_of",
]

TEXT_NAME = "code"


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


def _state_vector(encoded: bytes) -> dict[int, int]:
    """Decode a Yjs v1 state vector: a count, then (client, clock) pairs, all var-uints."""
    values: list[int] = []
    value = shift = 0
    for byte in encoded:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value)
            value = shift = 0
    count, pairs = values[0], values[1:]
    return {pairs[2 * k]: pairs[2 * k + 1] for k in range(count)}


def merge(updates: Iterable[bytes]) -> bytes:
    """Merge updates (and snapshots, which are updates too) into one state.

    Given in causal order (a snapshot first, then updates by ``createdAt``, as the server reads
    them), they are applied one by one to a document, the path on which pycrdt agrees with yjs
    under concurrent edits. Given out of order (an update arrives before one it builds on), they
    are merged with ``merge_updates`` instead, which keeps the waiting ones.
    """
    parts = [bytes(update) for update in updates if update]
    if not parts:
        return empty_update()
    if len(parts) == 1:
        return parts[0]
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    for part in parts:
        doc.apply_update(part)
        have = _state_vector(doc.get_state())
        wanted = _state_vector(pycrdt.get_state(part))
        if any(have.get(client, 0) < clock for client, clock in wanted.items()):
            # Part of this update waits for a predecessor: not causal order.
            return combine(parts)
    return bytes(doc.get_update())


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
