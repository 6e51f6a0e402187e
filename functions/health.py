"""Liveness, readiness and the API description."""

from __future__ import annotations

import flask

from common.http import Call, endpoint, json_response
from common.models import Health, Readiness
from common.openapi import build_openapi
from common.readiness import check_dependencies

__all__ = ["health", "openapi", "ready"]


@endpoint(method="GET", path="/health", access="public", response=Health)
def health(call: Call) -> Health:
    """Liveness: this instance answers."""
    return Health(status="ok")


@endpoint(method="GET", path="/ready", access="public", response=Readiness, errors=(503,))
def ready(call: Call) -> Readiness:
    """Readiness: Firestore, Pub/Sub and Cloud Tasks answer (503 naming what does not)."""
    return Readiness(status="ok", checks=check_dependencies())


@endpoint(method="GET", path="/openapi.json", access="public")
def openapi(call: Call) -> flask.Response:
    """This API's OpenAPI 3 document."""
    return json_response(build_openapi(), headers={"Cache-Control": "public, max-age=300"})
