"""Who may call the runner: in production, the functions' service account; locally, the stack.

Production (``K_SERVICE`` set): ``Authorization: Bearer <Google-signed OIDC ID token>`` whose
audience is the runner's URL and whose verified email is in ``RUNNER_ALLOWED_INVOKERS``. Cloud
Run's IAM check (``roles/run.invoker``) runs first; this is the second lock on the same door.
Locally: the header ``X-Runner-Secret`` must equal ``RUNNER_SECRET``.

Missing or invalid credentials: 401; a valid token of another account: 403; Google's keys
unreachable: 503. Exception text is never echoed.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests

from runner.config import Settings
from runner.errors import ApiError, ErrorCode
from runner.logs import get_logger

__all__ = ["Authenticator"]

_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
_CERTS_TTL_S = 3600.0
_log = get_logger("runner.auth")


class Authenticator:
    """Check a request's credentials; built once per process (it caches Google's keys)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._certs_url = settings.oidc_certs_url
        self._certs: dict[str, str] = {}
        self._certs_at = 0.0
        self._lock = threading.Lock()
        self._http = requests.Session()

    def check(self, headers: Mapping[str, str]) -> str:
        """Return who is calling, or raise ``ApiError``."""
        if self._settings.production:
            return self._check_token(headers.get("Authorization", ""))
        expected = self._settings.secret
        given = headers.get("X-Runner-Secret", "")
        if expected is None or not hmac.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            raise ApiError(ErrorCode.UNAUTHENTICATED, "missing or wrong X-Runner-Secret")
        return "local"

    def _check_token(self, header: str) -> str:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(ErrorCode.UNAUTHENTICATED, "an OIDC ID token is required")
        claims = self._verify(token.strip())
        email = str(claims.get("email", "")).lower()
        if claims.get("iss") not in _ISSUERS or not claims.get("email_verified"):
            raise ApiError(ErrorCode.UNAUTHENTICATED, "the token is not a Google ID token")
        if email not in self._settings.invokers():
            _log.warning("caller not allowed", extra={"event": "runner_denied", "email": email})
            raise ApiError(ErrorCode.PERMISSION_DENIED, "this account may not call the runner")
        return email

    def _verify(self, token: str) -> Mapping[str, Any]:
        from google.auth import jwt

        audience = self._settings.audience
        for refresh in (False, True):
            certs = self._google_certs(refresh=refresh)
            try:
                claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
                    token, certs=certs, audience=audience
                )
            except ValueError as exc:
                # A key rotated since the last fetch: fetch once more before refusing.
                if not refresh and "Certificate for key id" in str(exc):
                    continue
                raise ApiError(ErrorCode.UNAUTHENTICATED, "invalid or expired token") from exc
            return claims
        raise ApiError(ErrorCode.UNAUTHENTICATED, "invalid or expired token")

    def _google_certs(self, *, refresh: bool) -> dict[str, str]:
        with self._lock:
            fresh = time.monotonic() - self._certs_at < _CERTS_TTL_S
            if self._certs and fresh and not refresh:
                return self._certs
            try:
                response = self._http.get(self._certs_url, timeout=5)
                response.raise_for_status()
                certs = response.json()
            except (requests.RequestException, ValueError) as exc:
                _log.error("could not fetch Google's keys", extra={"error": type(exc).__name__})
                raise ApiError(
                    ErrorCode.UNAVAILABLE,
                    "cannot verify tokens right now",
                    headers={"Retry-After": "5"},
                ) from exc
            self._certs = {str(k): str(v) for k, v in certs.items()}
            self._certs_at = time.monotonic()
            return self._certs
