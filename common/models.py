"""The API's core models: the camelCase base, inputs and patches, errors, health, paging.

Each domain keeps its own models beside its code (``common/<domain>/models.py``), built on these,
and named alike: ``Thing`` is what the API answers about a thing, ``ThingCreate`` and
``ThingUpdate`` the bodies that write it, ``ThingPublic`` what others may see of it, ``ThingDoc``
how Firestore stores it, ``ThingQuery`` its filters and ``ThingPage`` a page of a list.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from common.catalogue import TOPICS

T = TypeVar("T")

__all__ = [
    "ApiInput",
    "ApiModel",
    "ApiPatch",
    "Cursor",
    "ErrorBody",
    "ErrorDetail",
    "ErrorResponse",
    "Health",
    "Page",
    "PageLimit",
    "PageQuery",
    "Readiness",
    "TopicSlug",
    "unique_items",
]


class ApiModel(BaseModel):
    """Base of every response and stored model: camelCase on the wire, unknown keys ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_json_dict(self) -> dict[str, Any]:
        """Dump with camelCase keys, as JSON types."""
        return self.model_dump(mode="json", by_alias=True)


class ApiInput(ApiModel):
    """Base of every request body and query: an unknown key is an error, not a silent no-op;
    text is trimmed (code fields opt out)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _patch_schema(schema: dict[str, Any]) -> None:
    """Say in the JSON schema what ``ApiPatch`` checks: a field may be left out, never null, and
    at least one is given (pydantic would publish each optional field as nullable)."""
    schema["minProperties"] = 1
    for field in schema.get("properties", {}).values():
        kinds = [kind for kind in field.pop("anyOf", []) if kind != {"type": "null"}]
        if len(kinds) == 1:
            field.update(kinds[0])
        elif kinds:
            field["anyOf"] = kinds
        if field.get("default", ...) is None:
            del field["default"]


class ApiPatch(ApiInput):
    """Base of partial updates: at least one field, and none of them null."""

    model_config = ConfigDict(json_schema_extra=_patch_schema)

    @model_validator(mode="after")
    def _something_to_change(self) -> ApiPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{to_camel(name)} cannot be null")
        return self


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


class ErrorResponse(ApiModel):
    """The body of every error response."""

    error: ErrorBody
    request_id: str


class Health(ApiModel):
    """Liveness answer."""

    status: Literal["ok"]


class Readiness(ApiModel):
    """Readiness answer: each dependency and whether it answered."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


# ---- shared field types ------------------------------------------------------------------------


def _known_topic(slug: str) -> str:
    if slug not in TOPICS:
        raise ValueError(f"unknown topic {slug!r}; see GET /topics")
    return slug


def unique_items(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


TopicSlug = Annotated[
    str,
    AfterValidator(_known_topic),
    WithJsonSchema({"type": "string", "enum": list(TOPICS)}),
]
PageLimit = Annotated[int, Field(ge=1, le=50)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class PageQuery(ApiInput):
    """Cursor paging: ``?limit=N&cursor=<nextCursor>``."""

    limit: PageLimit = 20
    cursor: Cursor | None = None


class Page(ApiModel, Generic[T]):
    """One page of a list and the cursor of the next (null on the last page)."""

    items: list[T]
    next_cursor: str | None
