"""Users: profiles, roles and attempt history."""

from __future__ import annotations

from common.errors import ApiError, ErrorCode
from common.http import Call, endpoint
from common.limits import limit_api_call
from common.matching import forget_request
from common.models import PageQuery
from common.users import (
    create_profile,
    delete_account,
    get_profile,
    get_public_profile,
    list_attempts,
    set_admin_role,
    update_profile,
)
from common.users.models import (
    AttemptPage,
    Profile,
    ProfileCreate,
    ProfilePublic,
    ProfileUpdate,
    Role,
    RoleUpdate,
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


@endpoint(
    method="POST",
    path="/users",
    status=201,
    body=ProfileCreate,
    response=Profile,
    errors=(409, 429),
)
def users_create_profile(call: Call, body: ProfileCreate) -> Profile:
    """Create one's profile, with a unique username (429 if done too often)."""
    limit_api_call("profile", uid=call.caller.uid)
    return create_profile(user=call.caller, data=body)


@endpoint(method="GET", path="/users/me", response=Profile, errors=(404,))
def users_get_me(call: Call) -> Profile:
    """One's own profile."""
    return get_profile(uid=call.caller.uid)


@endpoint(
    method="PATCH", path="/users/me", body=ProfileUpdate, response=Profile, errors=(404, 409, 429)
)
def users_update_me(call: Call, body: ProfileUpdate) -> Profile:
    """Change some of one's profile fields (429 if done too often)."""
    limit_api_call("profile", uid=call.caller.uid)
    return update_profile(uid=call.caller.uid, changes=body)


@endpoint(method="DELETE", path="/users/me", status=204, recent_login=True)
def users_delete_me(call: Call) -> None:
    """Delete one's profile, username, attempts, match request and Auth account."""
    forget_request(uid=call.caller.uid)
    delete_account(user=call.caller)


@endpoint(method="GET", path="/users/me/attempts", query=PageQuery, response=AttemptPage)
def users_attempts(call: Call, query: PageQuery) -> AttemptPage:
    """One's attempts, newest first."""
    return list_attempts(uid=call.caller.uid, limit=query.limit, cursor=query.cursor)


@endpoint(method="GET", path="/users/{username}", response=ProfilePublic, errors=(404,))
def users_get_public(call: Call) -> ProfilePublic:
    """Another user's public profile (no email)."""
    return get_public_profile(username=call.params["username"])


@endpoint(
    method="PUT",
    path="/admin/users/{uid}/role",
    access="admin",
    body=RoleUpdate,
    response=Role,
    errors=(404, 409),
)
def admin_set_role(call: Call, body: RoleUpdate) -> Role:
    """Grant or revoke a user's admin role (revoking also revokes its tokens)."""
    uid = call.params["uid"]
    if uid == call.caller.uid and not body.admin:
        raise ApiError(ErrorCode.CONFLICT, "Administrators cannot revoke their own role")
    set_admin_role(uid=uid, admin=body.admin)
    return Role(uid=uid, admin=body.admin)
