"""How the shared wrapper renders failures that are not ApiErrors (through a real Flask app)."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from google.api_core import exceptions

from common.http import Call, endpoint

# google-api-core's exception constructors are untyped.
google_exceptions: Any = exceptions


def _app(error: BaseException) -> flask.Flask:
    @endpoint(method="GET", path="/", access="public")
    def failing(call: Call) -> None:
        raise error

    app = flask.Flask(__name__)
    app.add_url_rule("/", "run", lambda: failing(flask.request))
    return app


@pytest.mark.parametrize(
    "error",
    [
        google_exceptions.Aborted("Transaction lock timeout"),
        google_exceptions.ServiceUnavailable("connection refused"),
        google_exceptions.DeadlineExceeded("slow"),
        ValueError("Failed to commit transaction in 5 attempts."),
    ],
)
def test_a_passing_dependency_failure_is_503_with_retry_after(error: BaseException) -> None:
    response = _app(error).test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.get_json()
    assert body["error"]["code"] == "unavailable"
    assert "Transaction" not in body["error"]["message"]


@pytest.mark.parametrize(
    "error", [RuntimeError("secret internals"), ValueError("bad"), google_exceptions.NotFound("x")]
)
def test_a_bug_is_a_generic_500_without_internals(error: BaseException) -> None:
    response = _app(error).test_client().get("/")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == {
        "code": "internal",
        "message": "Something went wrong on our side",
        "details": [],
    }
    assert response.headers["X-Request-Id"] == body["requestId"]
