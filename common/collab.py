"""The shared editor's document: Yjs state handled with pycrdt.

A session's code is one Yjs text named ``code``. Clients (yjs in browsers) send Yjs v1 updates;
the server only merges them (``merge_updates`` keeps updates whose predecessors are missing,
which ``Doc.get_update()`` would silently drop) and reads the text. pycrdt indexes text by UTF-8
bytes where yjs counts UTF-16 units: ``edit`` takes Python character positions and converts.
"""

from __future__ import annotations

from collections.abc import Iterable

import pycrdt

__all__ = ["TEXT_NAME", "byte_offset", "edit", "empty_update", "initial_state", "merge", "text_of"]

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


def merge(updates: Iterable[bytes]) -> bytes:
    """Merge updates (and snapshots, which are updates too) into one, keeping pending ones."""
    parts = [bytes(update) for update in updates if update]
    if not parts:
        return empty_update()
    if len(parts) == 1:
        return parts[0]
    return bytes(pycrdt.merge_updates(*parts))


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
