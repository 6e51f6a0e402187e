"""Grant (or revoke) the admin role by email: how the first administrator is made.

    python -m jobs.grant_admin --email alice@example.com [--revoke]

Runs with the project's credentials (Application Default Credentials in production, the Auth
emulator when FIREBASE_AUTH_EMULATOR_HOST is set). The user must sign in again (or refresh its
token) before the new claim shows in its ID token.
"""

from __future__ import annotations

import argparse
import sys

from common.auth import firebase_app
from common.config import get_settings
from common.errors import ApiError
from common.logs import configure_logging, get_logger
from common.users import set_admin_role

__all__ = ["main"]

_log = get_logger("jobs.grant_admin")


def main(argv: list[str] | None = None) -> int:
    """Set the admin claim of the user with the given email; exit 1 if there is none."""
    from firebase_admin import auth as firebase_auth

    parser = argparse.ArgumentParser(description="Grant or revoke the admin role by email.")
    parser.add_argument("--email", required=True)
    parser.add_argument("--revoke", action="store_true", help="remove the role instead")
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(project_id=settings.project_id, level=settings.log_level)
    try:
        user = firebase_auth.get_user_by_email(args.email, app=firebase_app())
        set_admin_role(uid=user.uid, admin=not args.revoke)
    except (firebase_auth.UserNotFoundError, ApiError):
        _log.error("no user has the email %s", args.email, extra={"event": "grant_admin_failed"})
        return 1
    _log.info(
        "%s the admin role of %s (uid %s)",
        "revoked" if args.revoke else "granted",
        args.email,
        user.uid,
        extra={"event": "grant_admin", "uid": user.uid, "admin": not args.revoke},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
