"""The one table of endpoints. It feeds main.py's names, the local gateway and the OpenAPI document.

It stays light to import: functions and models are named by dotted path and imported only when
one is resolved, so a cold start pays only for the function it runs.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ENDPOINTS", "Endpoint", "by_name", "http_endpoints", "import_object", "resolve"]

Access = Literal["public", "user", "admin", "tasks", "pubsub"]


@dataclass(frozen=True)
class Endpoint:
    """One function: its name, where it lives, how it is reached, who may call it."""

    name: str
    module: str
    summary: str
    access: Access
    method: str | None = None
    path: str | None = None
    tag: str = "misc"
    request_model: str | None = None
    query_model: str | None = None
    response_model: str | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    streams: bool = False
    topic_setting: str | None = None

    @property
    def is_http(self) -> bool:
        """Tell whether this endpoint answers HTTP requests (else it takes CloudEvents)."""
        return self.method is not None

    @property
    def path_params(self) -> tuple[str, ...]:
        """Return the names of the ``{placeholders}`` in the path."""
        return tuple(re.findall(r"{(\w+)}", self.path or ""))

    def path_regex(self) -> re.Pattern[str]:
        """Return a regex that matches the path at the end of a request path, capturing params."""
        pieces = re.split(r"({\w+})", self.path or "/")
        body = "".join(
            f"(?P<{piece[1:-1]}>[^/]+)" if piece.startswith("{") else re.escape(piece)
            for piece in pieces
        )
        return re.compile(rf"^(?:/[^?#]*?)?{body}/?$")


_USER_ERRORS = (401, 403)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="health",
        module="functions.health",
        summary="Liveness",
        access="public",
        method="GET",
        path="/health",
        tag="health",
        response_model="common.models:HealthOut",
    ),
    Endpoint(
        name="ready",
        module="functions.health",
        summary="Readiness: Firestore, Pub/Sub and Cloud Tasks reachable",
        access="public",
        method="GET",
        path="/ready",
        tag="health",
        response_model="common.models:ReadyOut",
        errors=(503,),
    ),
    Endpoint(
        name="openapi",
        module="functions.health",
        summary="This API's OpenAPI 3 document",
        access="public",
        method="GET",
        path="/openapi.json",
        tag="health",
    ),
    Endpoint(
        name="admin_set_role",
        module="functions.users",
        summary="Grant or revoke the admin role",
        access="admin",
        method="PUT",
        path="/admin/users/{uid}/role",
        tag="users",
        request_model="common.models:RoleIn",
        response_model="common.models:RoleOut",
        errors=(*_USER_ERRORS, 404, 422),
    ),
)

_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def by_name(name: str) -> Endpoint:
    """Return the endpoint registered under ``name`` (KeyError if there is none)."""
    return _BY_NAME[name]


def http_endpoints() -> list[Endpoint]:
    """Return every endpoint reached over HTTP."""
    return [endpoint for endpoint in ENDPOINTS if endpoint.is_http]


def import_object(dotted: str) -> Any:
    """Import ``package.module:Name`` and return the object."""
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def resolve(name: str) -> Any:
    """Import the module of the function ``name`` and return the function."""
    try:
        endpoint = _BY_NAME[name]
    except KeyError:
        raise AttributeError(f"no function named {name!r} is registered") from None
    return getattr(importlib.import_module(endpoint.module), name)
