"""Firebase ID token checks, mapped exactly onto the API's errors.

Revocation (and a disabled account) is checked against the Auth backend where it matters: admin
routes and those that need a recent sign-in (``fresh``) ask it on every call. Elsewhere, with
AUTH_CHECK_REVOKED, each instance keeps the user's record for ``REVOCATION_CACHE_S`` seconds, so
a revocation takes effect there within that time, at one Auth lookup per user and minute rather
than one per request (which would also fail once the Identity Toolkit quota runs out).

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
    "REVOCATION_CACHE_S",
    "TASKS_SECRET_HEADER",
    "AuthUser",
    "firebase_app",
    "forget_revocations",
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
# How long an instance trusts its copy of a user's revocation time and disabled flag.
REVOCATION_CACHE_S = 60.0
_revocations_lock = threading.Lock()
# uid -> (monotonic time fetched, tokens valid after (epoch seconds), disabled)
_revocations: dict[str, tuple[float, float, bool]] = {}


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


def _user_state(uid: str, *, refresh: bool = False) -> tuple[float, bool]:
    """Return when the user's tokens start being valid and whether the user is disabled:
    from this instance's cache when fetched less than ``REVOCATION_CACHE_S`` ago, unless
    ``refresh``; a fetched state replaces the cached one."""
    from firebase_admin import auth as firebase_auth

    now = time.monotonic()
    with _revocations_lock:
        cached = _revocations.get(uid)
    if not refresh and cached is not None and now - cached[0] < REVOCATION_CACHE_S:
        return cached[1], cached[2]
    record = firebase_auth.get_user(uid, app=firebase_app())
    valid_after = (record.tokens_valid_after_timestamp or 0) / 1000
    state = (time.monotonic(), float(valid_after), bool(record.disabled))
    with _revocations_lock:
        if len(_revocations) > 10_000:
            _revocations.clear()
        _revocations[uid] = state
    return state[1], state[2]


def _check_revocation(claims: dict[str, Any], *, fresh: bool) -> None:
    """Refuse a revoked token, or one of a disabled user, as ``check_revoked`` would: against
    the Auth backend now when ``fresh``, else against the cached state."""
    from firebase_admin import auth as firebase_auth

    valid_after, disabled = _user_state(str(claims["uid"]), refresh=fresh)
    if disabled:
        raise firebase_auth.UserDisabledError("The user record is disabled.")
    if float(claims.get("iat", 0)) < valid_after:
        raise firebase_auth.RevokedIdTokenError("The Firebase ID token has been revoked.")


def forget_revocations() -> None:
    """Drop this instance's cached revocation states (tests)."""
    with _revocations_lock:
        _revocations.clear()


def verify_bearer(
    authorization: str | None, *, recent_login: bool = False, fresh: bool = False
) -> AuthUser:
    """Verify an ``Authorization: Bearer <Firebase ID token>`` header and return the caller.

    With ``fresh`` (admin routes) revocation is checked against the Auth backend now; else,
    with AUTH_CHECK_REVOKED, against this instance's copy at most ``REVOCATION_CACHE_S`` old.
    With ``recent_login`` the caller must have signed in within the last five minutes with a
    token that is not revoked (checked now, whatever AUTH_CHECK_REVOKED says), else 401
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
    now_check = fresh or recent_login
    try:
        claims: dict[str, Any] = firebase_auth.verify_id_token(
            token, app=firebase_app(), check_revoked=False, clock_skew_seconds=_CLOCK_SKEW_S
        )
        if now_check or settings.auth_check_revoked:
            _check_revocation(claims, fresh=now_check)
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
            audience=settings.tasks_audience or settings.callback_base_url or url,
        )
    except google.auth.exceptions.TransportError:
        _log.exception("could not fetch Google's token keys")
        raise ApiError(ErrorCode.UNAVAILABLE, "Task check is unavailable, retry") from None
    except ValueError:
        raise _unauthenticated("The task credential is invalid") from None
    if claims.get("email") != settings.tasks_service_account or not claims.get("email_verified"):
        raise ApiError(ErrorCode.PERMISSION_DENIED, "This route is for Cloud Tasks")
