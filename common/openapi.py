"""Build the OpenAPI 3.1 document of the HTTP API from the registry and the pydantic models."""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from common.registry import Endpoint, http_endpoints, import_object

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"
_ERROR_MODEL = "common.models:ErrorOut"
_STATUS_TEXT = {
    400: "Malformed JSON or bad query",
    401: "Missing, invalid or expired token",
    403: "Not allowed",
    404: "Not found",
    405: "Wrong method",
    409: "Conflict",
    413: "Body too large",
    422: "Schema validation failed",
    429: "Rate limited (see Retry-After)",
    502: "Upstream error",
    503: "A dependency is down or not configured",
    504: "Upstream timeout",
}


def _models(endpoints: list[Endpoint]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[str, Literal["validation", "serialization"]], None] = {
        (_ERROR_MODEL, "serialization"): None
    }
    for endpoint in endpoints:
        if endpoint.request_model:
            wanted[(endpoint.request_model, "validation")] = None
        if endpoint.query_model:
            wanted[(endpoint.query_model, "validation")] = None
        if endpoint.response_model:
            wanted[(endpoint.response_model, "serialization")] = None
    return [(import_object(dotted), mode) for dotted, mode in wanted]


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(
    endpoint: Endpoint,
    refs: dict[Any, Any],
    schemas: dict[str, Any],
) -> dict[str, Any]:
    def ref(dotted: str, mode: JsonSchemaMode) -> Any:
        return refs[(import_object(dotted), mode)]

    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in endpoint.path_params
    ]
    if endpoint.query_model:
        target = ref(endpoint.query_model, "validation")["$ref"].rsplit("/", 1)[-1]
        parameters.extend(_query_parameters(schemas[target]))
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": {},
    }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.request_model:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(endpoint.request_model, "validation")}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if endpoint.response_model:
        content = {"application/json": {"schema": ref(endpoint.response_model, "serialization")}}
        if endpoint.streams:
            content["text/event-stream"] = {"schema": {"type": "string"}}
        success["content"] = content
    operation["responses"][str(endpoint.status)] = success
    statuses = set(endpoint.errors)
    if endpoint.access in {"user", "admin"}:
        operation["security"] = [{"firebase": []}]
        statuses |= {401}
    if endpoint.access == "admin":
        statuses |= {403}
    if endpoint.request_model:
        statuses |= {400, 413, 422}
    if endpoint.query_model:
        statuses |= {400}
    error_schema = {"application/json": {"schema": ref(_ERROR_MODEL, "serialization")}}
    for status in sorted(statuses):
        operation["responses"][str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": error_schema,
        }
    return operation


@functools.cache
def build_openapi() -> dict[str, Any]:
    """Return the OpenAPI document: every HTTP endpoint of the registry, under ``/api``."""
    endpoints = http_endpoints()
    refs, top = models_json_schema(_models(endpoints), ref_template=_REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        assert endpoint.path is not None and endpoint.method is not None
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, refs, schemas
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PeerPrep API",
            "version": "1.0.0",
            "description": "Match with a peer, solve a question together, ask the AI assistant.",
        },
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "firebase": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
