"""Build the OpenAPI 3.1 document of the HTTP API from the functions' declarations."""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from common.errors import STATUS_TEXT
from common.models import ErrorResponse
from common.registry import Endpoint, http_endpoints

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"


def _models(endpoints: list[Endpoint]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], Literal["validation", "serialization"]], None] = {
        (ErrorResponse, "serialization"): None
    }
    for endpoint in endpoints:
        if endpoint.body:
            wanted[(endpoint.body, "validation")] = None
        if endpoint.query:
            wanted[(endpoint.query, "validation")] = None
        if endpoint.response:
            wanted[(endpoint.response, "serialization")] = None
    return list(wanted)


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
    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> Any:
        return refs[(model, mode)]

    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in endpoint.path_params
    ]
    if endpoint.query:
        target = ref(endpoint.query, "validation")["$ref"].rsplit("/", 1)[-1]
        parameters.extend(_query_parameters(schemas[target]))
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": {},
    }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(endpoint.body, "validation")}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if endpoint.response:
        content = {"application/json": {"schema": ref(endpoint.response, "serialization")}}
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
    if endpoint.body:
        statuses |= {400, 413, 422}
    if endpoint.query:
        statuses |= {400}
    error_schema = {"application/json": {"schema": ref(ErrorResponse, "serialization")}}
    for status in sorted(statuses):
        operation["responses"][str(status)] = {
            "description": STATUS_TEXT.get(status, "Error"),
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
