"""The one error table of the API: codes, their HTTP statuses, and the exception that carries them.

Exception tree::

    Exception
    └── ApiError            a failure the client is told about: code, message, details, headers
        (anything else raised by a function is logged with its traceback and answered as a
         generic 500 ``internal`` with no internals)

Every error body has one shape (DESIGN.md section 3)::

    {"error": {"code": "...", "message": "...", "details": [...]}, "requestId": "..."}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "STATUS_BY_CODE",
    "STATUS_TEXT",
    "ApiError",
    "ErrorCode",
    "code_for_status",
    "error_body",
]


class ErrorCode(StrEnum):
    """Stable machine codes that clients may switch on."""

    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    UNAUTHENTICATED = "unauthenticated"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    REAUTH_REQUIRED = "reauth_required"
    PERMISSION_DENIED = "permission_denied"
    USER_DISABLED = "user_disabled"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    ALREADY_EXISTS = "already_exists"
    USERNAME_TAKEN = "username_taken"
    ALREADY_WAITING = "already_waiting"
    IN_SESSION = "in_session"
    SESSION_ENDED = "session_ended"
    RUN_IN_PROGRESS = "run_in_progress"
    NO_QUESTIONS = "no_questions"
    PROFILE_REQUIRED = "profile_required"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    AI_BLOCKED = "ai_blocked"
    AI_UPSTREAM_ERROR = "ai_upstream_error"
    AI_TIMEOUT = "ai_timeout"
    AI_UNAVAILABLE = "ai_unavailable"
    UPSTREAM_ERROR = "upstream_error"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.TOKEN_REVOKED: 401,
    ErrorCode.REAUTH_REQUIRED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.USER_DISABLED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.ALREADY_EXISTS: 409,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.ALREADY_WAITING: 409,
    ErrorCode.IN_SESSION: 409,
    ErrorCode.SESSION_ENDED: 409,
    ErrorCode.RUN_IN_PROGRESS: 409,
    ErrorCode.NO_QUESTIONS: 409,
    ErrorCode.PROFILE_REQUIRED: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.AI_BLOCKED: 422,
    ErrorCode.AI_UPSTREAM_ERROR: 502,
    ErrorCode.AI_TIMEOUT: 504,
    ErrorCode.AI_UNAVAILABLE: 503,
    ErrorCode.UPSTREAM_ERROR: 502,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


# What each error status means, as the OpenAPI document describes it.
STATUS_TEXT: dict[int, str] = {
    400: "Malformed JSON or bad query",
    401: "Missing, invalid or expired token",
    403: "Not allowed",
    404: "Not found",
    405: "Wrong method",
    409: "Conflict",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Schema validation failed",
    429: "Rate limited (see Retry-After)",
    502: "Upstream error",
    503: "A dependency is down or not configured (see Retry-After)",
    504: "Upstream timeout",
}

# The code of an HTTP error raised below the functions (werkzeug's), by its status.
_CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def code_for_status(status: int | None) -> ErrorCode:
    """Return the code for an HTTP error status that no function chose (400 when unknown)."""
    return _CODE_FOR_STATUS.get(status or 400, ErrorCode.BAD_REQUEST)


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
    """Build the JSON error body every response shares."""
    return {
        "error": {"code": code.value, "message": message, "details": details or []},
        "requestId": request_id,
    }
