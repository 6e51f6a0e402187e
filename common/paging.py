"""Opaque cursors for list endpoints: the position of the last item, as URL-safe base64 JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from common.errors import ApiError, ErrorCode

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(position: dict[str, Any]) -> str:
    """Encode the position after which the next page starts."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, *, keys: set[str]) -> dict[str, Any]:
    """Decode a cursor made by ``encode_cursor``; 400 if it was not, or lacks ``keys``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        position = None
    if not isinstance(position, dict) or not keys <= set(position):
        raise ApiError(
            ErrorCode.BAD_REQUEST,
            "cursor: not a cursor this list returned",
            details=[{"field": "cursor", "message": "invalid cursor", "type": "invalid_cursor"}],
        )
    return position
