"""Every function's declaration, made where the function is (``@endpoint`` in ``functions/``).

A declaration says how the function is reached (method and path, or a Pub/Sub topic), who may
call it, what it takes and answers, and which errors it may give. The OpenAPI document, the
local gateway, ``deploy.sh``'s plan and the tests read ``all_endpoints()``, which imports every
module of ``functions/``; a cold start imports only its own function's module (``main.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

__all__ = ["Access", "Endpoint", "all_endpoints", "by_name", "declare", "http_endpoints"]

Access = Literal["public", "user", "admin", "tasks", "pubsub"]
_FUNCTIONS_PACKAGE = "functions"


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
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    message: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    streams: bool = False
    recent_login: bool = False

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


_DECLARED: dict[str, Endpoint] = {}


def declare(endpoint: Endpoint) -> Endpoint:
    """Record a function's declaration (its name is unique across ``functions/``)."""
    known = _DECLARED.get(endpoint.name)
    if known is not None and known.module != endpoint.module:
        raise ValueError(f"{endpoint.name} is declared in {known.module} and {endpoint.module}")
    _DECLARED[endpoint.name] = endpoint
    return endpoint


def all_endpoints() -> tuple[Endpoint, ...]:
    """Import every module of ``functions/`` and return the functions declared there."""
    package = importlib.import_module(_FUNCTIONS_PACKAGE)
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        importlib.import_module(f"{_FUNCTIONS_PACKAGE}.{module.name}")
    prefix = f"{_FUNCTIONS_PACKAGE}."
    return tuple(e for e in _DECLARED.values() if e.module.startswith(prefix))


def by_name(name: str) -> Endpoint:
    """Return the declaration of the function ``name`` (KeyError if there is none)."""
    if name not in _DECLARED:
        all_endpoints()
    return _DECLARED[name]


def http_endpoints() -> list[Endpoint]:
    """Return every endpoint reached over HTTP."""
    return [endpoint for endpoint in all_endpoints() if endpoint.is_http]
