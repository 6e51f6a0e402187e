"""The shared editor's document: Yjs state handled with pycrdt.

A session's code is one Yjs text named ``code``. Clients (yjs in browsers) send Yjs v1 updates;
the server reads the text and compacts the log into a snapshot with ``fold``.

``fold`` takes each update on its own: one that does not decode, or that would grow the text
past ``MAX_CODE_BYTES``, is set aside (and reported), and the rest carry on. The text is read by
applying the usable updates in the order given, which callers make causal (``createdAt`` order:
a client writes an update only after reading what it builds on). The state written back
(``Folded.state``, computed only when compaction asks) is a struct-level merge of those updates
(``combine``: ``merge_updates`` of what each adds), which agrees with yjs where pycrdt's
integration does not (a yjs edit inside an emoji's surrogate pair, y-crdt PR #399). Checked
against yjs in tests/test_yjs_interop.py.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pycrdt

__all__ = [
    "MAX_CODE_BYTES",
    "MAX_STATE_BYTES",
    "TEXT_NAME",
    "Folded",
    "SetAside",
    "combine",
    "empty_update",
    "fold",
    "initial_state",
    "merge",
    "replace_text",
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


@dataclass
class Folded:
    """The result of ``fold``: the text, what was used or set aside, and (when asked) the state."""

    text: str
    used: tuple[int, ...]
    set_aside: tuple[SetAside, ...]
    _parts: list[bytes] = field(repr=False)
    _doc: pycrdt.Doc[pycrdt.Text] = field(repr=False)

    @functools.cached_property
    def state(self) -> bytes:
        """Return the merged state of the used updates, as one update yjs loads.

        A struct-level merge (``combine``), right where pycrdt's integration is not (an edit
        inside an emoji's surrogate pair). Past ``MAX_STATE_BYTES`` (the merge keeps deleted
        text) the document's own garbage-collected export is taken instead.
        """
        state = combine(self._parts)
        if len(state) > MAX_STATE_BYTES:
            state = bytes(self._doc.get_update())
        return state


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
    return Folded(
        text=str(code),
        used=tuple(used),
        set_aside=tuple(aside),
        _parts=[parts[i] for i in used],
        _doc=doc,
    )


def merge(updates: Iterable[bytes]) -> bytes:
    """Merge updates given in causal order into one state, without those ``fold`` sets aside."""
    return fold(updates).state


def combine(updates: Iterable[bytes]) -> bytes:
    """Combine updates, in any order, into one (keeping those still waiting for a predecessor).

    Each is first cut down to what the running merge lacks (``get_update`` against its state
    vector): y-crdt's ``merge_updates`` can lose structure when updates overlap, as they do when a
    client re-sends structs it held pending, and yjs then reads the merge differently.
    """
    parts = [bytes(update) for update in updates if update]
    if not parts:
        return empty_update()
    merged = parts[0]
    for part in parts[1:]:
        missing = pycrdt.get_update(part, pycrdt.get_state(merged))
        merged = bytes(pycrdt.merge_updates(merged, missing))
    return merged


def text_of(state: bytes) -> str:
    """Return the code text of a merged state."""
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    if state:
        doc.apply_update(state)
    return str(doc.get(TEXT_NAME, type=pycrdt.Text))


def replace_text(state: bytes, text: str) -> bytes:
    """Return the update that replaces the whole code of ``state`` with ``text``."""
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    code = doc.get(TEXT_NAME, type=pycrdt.Text)
    if state:
        doc.apply_update(state)
    before = doc.get_state()
    with doc.transaction():
        if len(code):
            del code[0 : len(code)]
        if text:
            code.insert(0, text)
    return bytes(doc.get_update(before))
