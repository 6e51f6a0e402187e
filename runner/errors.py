"""The runner's error table: codes, their HTTP statuses, and the exception that carries them.

Exception tree::

    Exception
    └── ApiError      a failure the caller is told about (code, message, details, headers);
                      anything else is logged with its traceback and answered as a bare 500

Bodies have the project's one shape: ``{"error": {"code", "message", "details"}, "requestId"}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["STATUS_BY_CODE", "ApiError", "ErrorCode", "error_body"]


class ErrorCode(StrEnum):
    """Stable machine codes (the same names as the functions' API)."""

    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class ApiError(Exception):
    """A failure with a stable code, a message safe to show, and optional details and headers."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    @property
    def status(self) -> int:
        """Return the HTTP status of this error's code."""
        return STATUS_BY_CODE[self.code]


def error_body(
    code: ErrorCode, message: str, request_id: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Build the JSON error body."""
    return {
        "error": {"code": code.value, "message": message, "details": details or []},
        "requestId": request_id,
    }
