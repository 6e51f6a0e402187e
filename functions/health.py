"""Liveness, readiness and the API description."""

from __future__ import annotations

import flask

from common.http import Call, endpoint, json_response
from common.models import HealthOut, ReadyOut
from common.openapi import build_openapi
from common.readiness import check_dependencies

__all__ = ["health", "openapi", "ready"]


@endpoint(method="GET", path="/health", access="public", response=HealthOut)
def health(call: Call) -> HealthOut:
    """Liveness: this instance answers."""
    return HealthOut(status="ok")


@endpoint(method="GET", path="/ready", access="public", response=ReadyOut, errors=(503,))
def ready(call: Call) -> ReadyOut:
    """Readiness: Firestore, Pub/Sub and Cloud Tasks answer (503 naming what does not)."""
    return ReadyOut(status="ok", checks=check_dependencies())


@endpoint(method="GET", path="/openapi.json", access="public")
def openapi(call: Call) -> flask.Response:
    """This API's OpenAPI 3 document."""
    return json_response(build_openapi(), headers={"Cache-Control": "public, max-age=300"})
