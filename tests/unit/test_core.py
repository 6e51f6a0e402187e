"""Core pieces without I/O: the CRDT fold, paths, cursors, errors, declarations."""

from __future__ import annotations

import pycrdt
import pytest

from common.errors import ApiError, ErrorCode, code_for_status
from common.paging import decode_cursor, encode_cursor
from common.registry import Endpoint
from common.sessions.crdt import MAX_CODE_BYTES, edit, fold, initial_state


def test_fold_sets_junk_and_oversized_updates_aside() -> None:
    start = initial_state("x = 1\n")
    doc: pycrdt.Doc[pycrdt.Text] = pycrdt.Doc()
    doc.apply_update(start)
    small = edit(doc, index=0, insert="# ok\n")
    huge = edit(doc, index=0, insert="y" * (MAX_CODE_BYTES + 1))
    folded = fold([start, b"\xffjunk", small, huge])
    assert folded.text == "# ok\nx = 1\n"
    assert [(item.index, item.reason) for item in folded.set_aside] == [
        (1, "undecodable"),
        (3, "too_large"),
    ]
    assert folded.used == (0, 2)


def test_a_path_matches_with_its_parameters() -> None:
    endpoint = Endpoint(name="x", module="functions.x", summary="", access="user", path="/a/{id}")
    match = endpoint.path_regex().match("/api/a/42")
    assert match is not None and match.groupdict() == {"id": "42"}
    assert endpoint.path_params == ("id",)
    assert endpoint.path_regex().match("/a/42/b") is None


def test_cursors_round_trip_and_refuse_forgeries() -> None:
    cursor = encode_cursor({"id": "q1", "n": 3})
    assert decode_cursor(cursor, keys={"id"}) == {"id": "q1", "n": 3}
    with pytest.raises(ApiError) as refused:
        decode_cursor("not-a-cursor", keys={"id"})
    assert refused.value.status == 400


def test_errors_map_codes_to_statuses() -> None:
    assert ApiError(ErrorCode.SESSION_ENDED, "x").status == 409
    assert code_for_status(405) is ErrorCode.METHOD_NOT_ALLOWED
    assert code_for_status(None) is ErrorCode.BAD_REQUEST
