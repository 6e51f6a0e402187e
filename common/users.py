"""Domain logic for users: roles (profiles and attempts come with the users issue)."""

from __future__ import annotations

from common.auth import firebase_app
from common.errors import ApiError, ErrorCode
from common.logs import get_logger

__all__ = ["set_admin_role"]

_log = get_logger(__name__)


def set_admin_role(*, uid: str, admin: bool) -> None:
    """Set or clear the ``admin`` custom claim, keeping the user's other claims."""
    from firebase_admin import auth as firebase_auth

    app = firebase_app()
    try:
        user = firebase_auth.get_user(uid, app=app)
    except firebase_auth.UserNotFoundError:
        raise ApiError(ErrorCode.NOT_FOUND, "No user has this uid") from None
    claims = dict(user.custom_claims or {})
    if admin:
        claims["admin"] = True
    else:
        claims.pop("admin", None)
    firebase_auth.set_custom_user_claims(uid, claims or None, app=app)
    _log.info(
        "admin role changed", extra={"event": "admin_role_changed", "uid": uid, "admin": admin}
    )
