"""Users: profiles, roles and attempt history."""

from __future__ import annotations

import functions_framework

from common.errors import ApiError, ErrorCode
from common.http import Call, http_endpoint
from common.models import RoleIn, RoleOut
from common.users import set_admin_role

__all__ = ["admin_set_role"]


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
