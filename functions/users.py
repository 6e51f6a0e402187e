"""Users: profiles, roles and attempt history."""

from __future__ import annotations

import functions_framework

from common.errors import ApiError, ErrorCode
from common.http import Call, http_endpoint
from common.models import (
    AttemptPage,
    PageQuery,
    Profile,
    ProfileCreate,
    ProfileUpdate,
    PublicProfile,
    RoleIn,
    RoleOut,
)
from common.users import (
    create_profile,
    delete_account,
    get_profile,
    get_public_profile,
    list_attempts,
    set_admin_role,
    update_profile,
)

__all__ = [
    "admin_set_role",
    "users_attempts",
    "users_create_profile",
    "users_delete_me",
    "users_get_me",
    "users_get_public",
    "users_update_me",
]


@functions_framework.http
@http_endpoint("users_create_profile")
def users_create_profile(call: Call) -> Profile:
    """Create the caller's profile with a unique username."""
    return create_profile(user=call.caller, data=call.body(ProfileCreate))


@functions_framework.http
@http_endpoint("users_get_me")
def users_get_me(call: Call) -> Profile:
    """Return the caller's profile."""
    return get_profile(uid=call.caller.uid)


@functions_framework.http
@http_endpoint("users_update_me")
def users_update_me(call: Call) -> Profile:
    """Change some of the caller's profile fields."""
    return update_profile(uid=call.caller.uid, changes=call.body(ProfileUpdate))


@functions_framework.http
@http_endpoint("users_delete_me")
def users_delete_me(call: Call) -> None:
    """Delete everything of the caller, its Auth account included."""
    delete_account(user=call.caller)


@functions_framework.http
@http_endpoint("users_attempts")
def users_attempts(call: Call) -> AttemptPage:
    """Return the caller's attempts, newest first."""
    query = call.query(PageQuery)
    return list_attempts(uid=call.caller.uid, limit=query.limit, cursor=query.cursor)


@functions_framework.http
@http_endpoint("users_get_public")
def users_get_public(call: Call) -> PublicProfile:
    """Return another user's public profile."""
    return get_public_profile(username=call.params["username"])


@functions_framework.http
@http_endpoint("admin_set_role")
def admin_set_role(call: Call) -> RoleOut:
    """Grant or revoke the admin custom claim of a user."""
    body = call.body(RoleIn)
    uid = call.params["uid"]
    if uid == call.caller.uid and not body.admin:
        raise ApiError(ErrorCode.CONFLICT, "Administrators cannot revoke their own role")
    set_admin_role(uid=uid, admin=body.admin)
    return RoleOut(uid=uid, admin=body.admin)
