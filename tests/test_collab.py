"""The server's Yjs handling: merging in causal order, snapshots of prefixes, positions."""

from __future__ import annotations

import random

import pycrdt
from hypothesis import given, settings
from hypothesis import strategies as st

from common.sessions.crdt import byte_offset, edit, initial_state, merge, text_of

TEXTS = st.text(alphabet="ab \néé中😀", max_size=4)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), TEXTS), min_size=1, max_size=40),
)
def test_merge_in_causal_order_gives_the_author_text_however_grouped(
    seed: int, steps: list[tuple[float, int, str]]
) -> None:
    start = initial_state("def f():\n    return 1\n")
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(start)
    updates = []
    for where, delete, insert in steps:
        current = str(doc.get("code", type=pycrdt.Text))
        updates.append(edit(doc, index=int(where * len(current)), delete=delete, insert=insert))
    truth = str(doc.get("code", type=pycrdt.Text))
    ordered = [start, *updates]
    assert text_of(merge(ordered)) == truth
    # A snapshot of any prefix, then the rest: what compaction does, at any cut.
    cut = random.Random(seed).randint(1, len(ordered))
    assert text_of(merge([merge(ordered[:cut]), *ordered[cut:]])) == truth


def test_edit_positions_are_characters_even_after_emoji() -> None:
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(initial_state("a😀b中c"))
    edit(doc, index=2, insert="X")  # after the emoji, before "b"
    edit(doc, index=4, delete=1)  # deletes "中"
    assert str(doc.get("code", type=pycrdt.Text)) == "a😀Xbc"
    assert byte_offset("a😀b", 2) == 5


def test_merge_of_nothing_is_an_empty_document() -> None:
    assert text_of(merge([])) == ""
    assert text_of(merge([b"", initial_state("x")])) == "x"
