"""Liveness, readiness and the API description."""

from __future__ import annotations

import flask
import functions_framework

from common.health import check_dependencies
from common.http import Call, http_endpoint, json_response
from common.models import HealthOut, ReadyOut
from common.openapi import build_openapi

__all__ = ["health", "openapi", "ready"]


@functions_framework.http
@http_endpoint("health")
def health(call: Call) -> HealthOut:
    """Answer that this instance is alive."""
    return HealthOut(status="ok")


@functions_framework.http
@http_endpoint("ready")
def ready(call: Call) -> ReadyOut:
    """Answer 200 when Firestore, Pub/Sub and Cloud Tasks answer, else 503 naming what failed."""
    return ReadyOut(status="ok", checks=check_dependencies())


@functions_framework.http
@http_endpoint("openapi")
def openapi(call: Call) -> flask.Response:
    """Serve the OpenAPI 3 document built from the registry."""
    return json_response(build_openapi(), headers={"Cache-Control": "public, max-age=300"})
