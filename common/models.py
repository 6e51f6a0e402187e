"""Pydantic models shared across the API: the camelCase base, errors, health and roles."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "ApiModel",
    "ErrorDetail",
    "ErrorOut",
    "HealthOut",
    "ReadyOut",
    "RoleIn",
    "RoleOut",
]


class ApiModel(BaseModel):
    """Base of every request, response and stored model: camelCase on the wire, strict extras."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """Dump with camelCase keys, as JSON types."""
        return self.model_dump(mode="json", by_alias=True)


class ErrorDetail(ApiModel):
    """One failing field or item."""

    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str
    type: str | None = None


class ErrorBody(ApiModel):
    """The error itself: a stable code, a message for people, details."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorOut(ApiModel):
    """The body of every error response."""

    error: ErrorBody
    request_id: str


class HealthOut(ApiModel):
    """Liveness answer."""

    status: Literal["ok"]


class ReadyOut(ApiModel):
    """Readiness answer: each dependency and whether it answered."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


class RoleIn(ApiModel):
    """Grant (true) or revoke (false) the admin role."""

    admin: bool


class RoleOut(ApiModel):
    """A user's role after the change."""

    uid: str
    admin: bool
