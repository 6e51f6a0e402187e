"""Firebase ID token checks, mapped exactly onto the API's errors.

No header, a malformed, invalid, expired or revoked token: 401. A disabled user: 403. The key
certificates or the Auth backend unreachable: 503. Exception text from firebase-admin is logged,
never echoed to the client.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger

if TYPE_CHECKING:
    import firebase_admin

__all__ = [
    "RECENT_LOGIN_S",
    "TASKS_SECRET_HEADER",
    "AuthUser",
    "firebase_app",
    "require_admin",
    "verify_bearer",
    "verify_tasks_caller",
]

_log = get_logger(__name__)
_app_lock = threading.Lock()
_apps: list[firebase_admin.App] = []
# Tolerated clock difference between this instance and the token issuer.
_CLOCK_SKEW_S = 5
# The header that carries the shared secret of local Cloud Tasks callbacks.
TASKS_SECRET_HEADER = "X-PeerPrep-Tasks-Secret"  # noqa: S105 - a header name
# How recent a sign-in must be for sensitive actions such as deleting the account.
RECENT_LOGIN_S = 300


@dataclass(frozen=True)
class AuthUser:
    """The caller, as its verified ID token describes it."""

    uid: str
    email: str | None
    email_verified: bool
    admin: bool
    auth_time: int
    issued_at: int
    claims: dict[str, Any] = field(repr=False, compare=False)


def firebase_app() -> firebase_admin.App:
    """Return this instance's firebase-admin app, created on first use."""
    if _apps:
        return _apps[0]
    with _app_lock:
        if not _apps:
            import firebase_admin

            settings = get_settings()
            _apps.append(
                firebase_admin.initialize_app(
                    options={"projectId": settings.project_id}, name="peerprep"
                )
            )
    return _apps[0]


def _unauthenticated(message: str, code: ErrorCode = ErrorCode.UNAUTHENTICATED) -> ApiError:
    return ApiError(code, message, headers={"WWW-Authenticate": 'Bearer realm="peerprep"'})


def _reauth_required() -> ApiError:
    return _unauthenticated(
        "Sign in again: this action needs a sign-in from the last five minutes",
        ErrorCode.REAUTH_REQUIRED,
    )


def _refuse_expired(token: str) -> None:
    from google.auth import jwt

    try:
        expires = jwt.decode(token, verify=False).get("exp")  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        raise _unauthenticated("The ID token is invalid") from None
    if not isinstance(expires, int | float) or expires + _CLOCK_SKEW_S <= time.time():
        raise _unauthenticated("The ID token has expired", ErrorCode.TOKEN_EXPIRED)


def verify_bearer(authorization: str | None, *, recent_login: bool = False) -> AuthUser:
    """Verify an ``Authorization: Bearer <Firebase ID token>`` header and return the caller.

    With ``recent_login`` the caller must have signed in within the last five minutes with a
    token that is not revoked (checked whatever AUTH_CHECK_REVOKED says), else 401
    ``reauth_required``.
    """
    from firebase_admin import auth as firebase_auth
    from firebase_admin import exceptions as firebase_exceptions

    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated("Missing bearer token: send Authorization: Bearer <ID token>")
    # With the Auth emulator firebase-admin checks neither signature nor expiry: check exp here
    # first, so that local runs refuse what production refuses, and say why.
    _refuse_expired(token)
    settings = get_settings()
    try:
        claims: dict[str, Any] = firebase_auth.verify_id_token(
            token,
            app=firebase_app(),
            check_revoked=settings.auth_check_revoked or recent_login,
            clock_skew_seconds=_CLOCK_SKEW_S,
        )
    except firebase_auth.ExpiredIdTokenError:
        raise _unauthenticated("The ID token has expired", ErrorCode.TOKEN_EXPIRED) from None
    except firebase_auth.RevokedIdTokenError:
        if recent_login:
            raise _reauth_required() from None
        raise _unauthenticated("The ID token has been revoked", ErrorCode.TOKEN_REVOKED) from None
    except firebase_auth.UserDisabledError:
        raise ApiError(ErrorCode.USER_DISABLED, "This account is disabled") from None
    except firebase_auth.CertificateFetchError:
        _log.exception("could not fetch the token signing keys")
        raise ApiError(ErrorCode.UNAVAILABLE, "Sign-in check is unavailable, retry") from None
    except (firebase_auth.InvalidIdTokenError, firebase_auth.UserNotFoundError, ValueError):
        _log.info("rejected an invalid ID token", exc_info=True)
        raise _unauthenticated("The ID token is invalid") from None
    except firebase_exceptions.FirebaseError:
        _log.exception("the Auth backend failed while checking a token")
        raise ApiError(ErrorCode.UNAVAILABLE, "Sign-in check is unavailable, retry") from None
    if recent_login and time.time() - float(claims.get("auth_time", 0)) > RECENT_LOGIN_S:
        raise _reauth_required()
    return AuthUser(
        uid=str(claims["uid"]),
        email=claims.get("email"),
        email_verified=bool(claims.get("email_verified", False)),
        admin=claims.get("admin") is True,
        auth_time=int(claims.get("auth_time", 0)),
        issued_at=int(claims.get("iat", 0)),
        claims=claims,
    )


def require_admin(user: AuthUser) -> None:
    """Refuse a caller without the ``admin`` custom claim."""
    if not user.admin:
        raise ApiError(ErrorCode.PERMISSION_DENIED, "This route is for administrators")


def verify_tasks_caller(headers: Any, url: str) -> None:
    """Accept only Cloud Tasks: the local shared secret, or in production the OIDC token of
    the tasks service account for this function's audience. 401 without a credential, 403
    with a wrong one, 503 when neither is configured."""
    settings = get_settings()
    if settings.tasks_callback_secret is not None:
        given = headers.get(TASKS_SECRET_HEADER) or ""
        if not given:
            raise _unauthenticated("Missing the task credential")
        expected = settings.tasks_callback_secret.get_secret_value()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(ErrorCode.PERMISSION_DENIED, "This route is for Cloud Tasks")
        return
    if not settings.tasks_service_account:
        raise ApiError(ErrorCode.UNAVAILABLE, "Task callbacks are not configured")
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("Missing the task credential")
    import google.auth.exceptions
    import google.auth.transport.requests
    from google.oauth2 import id_token

    try:
        claims = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token.strip(),
            google.auth.transport.requests.Request(),
            audience=settings.tasks_audience or url,
        )
    except google.auth.exceptions.TransportError:
        _log.exception("could not fetch Google's token keys")
        raise ApiError(ErrorCode.UNAVAILABLE, "Task check is unavailable, retry") from None
    except ValueError:
        raise _unauthenticated("The task credential is invalid") from None
    if claims.get("email") != settings.tasks_service_account or not claims.get("email_verified"):
        raise ApiError(ErrorCode.PERMISSION_DENIED, "This route is for Cloud Tasks")
