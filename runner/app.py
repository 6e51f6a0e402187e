"""The runner's HTTP interface: ``POST /run`` and ``GET /health``, JSON in and out."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from runner.auth import Authenticator
from runner.config import Settings, get_settings
from runner.errors import ApiError, ErrorCode, error_body
from runner.judge import BusyError, Runner
from runner.logs import bind_request, get_logger
from runner.models import RunRequest

__all__ = ["create_app"]

_log = get_logger("runner.app")
_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def _request_id() -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if 0 < len(given) <= 128 and given.isprintable() else secrets.token_hex(8)


def _trace() -> str | None:
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    trace_id = request.headers.get("X-Cloud-Trace-Context", "").split("/", 1)[0]
    return f"projects/{project}/traces/{trace_id}" if project and len(trace_id) == 32 else None


def _error(exc: ApiError, request_id: str) -> Response:
    response = jsonify(error_body(exc.code, exc.message, request_id, exc.details))
    response.status_code = exc.status
    response.headers.update(exc.headers)
    response.headers["X-Request-Id"] = request_id
    return response


def _http_error(exc: HTTPException) -> ApiError:
    code = _HTTP_CODES.get(exc.code or 400, ErrorCode.BAD_REQUEST)
    return ApiError(code, exc.description or code.value)


def _validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False)
    ]


def _serve(handler: Callable[[], Response]) -> Response:
    """Run a view with the request id bound, and render any failure as the error body."""
    request_id = _request_id()
    with bind_request(request_id=request_id, trace=_trace()):
        try:
            response = handler()
        except ApiError as exc:
            return _error(exc, request_id)
        except HTTPException as exc:
            return _error(_http_error(exc), request_id)
        except Exception:
            _log.exception("request failed", extra={"event": "runner_error"})
            return _error(ApiError(ErrorCode.INTERNAL, "internal error"), request_id)
        response.headers["X-Request-Id"] = request_id
        return response


class _Views:
    def __init__(self, settings: Settings, runner: Runner) -> None:
        self.settings = settings
        self.runner = runner
        self.authenticator = Authenticator(settings)

    def run(self) -> Response:
        """``POST /run``: authenticate, validate, run, answer the judged result."""
        self.authenticator.check(dict(request.headers))
        if not request.is_json:
            raise ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json")
        payload = request.get_json(silent=True)
        if payload is None:
            raise ApiError(ErrorCode.BAD_REQUEST, "the body is not valid JSON")
        try:
            run_request = RunRequest.model_validate(payload)
        except ValidationError as exc:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                "the request does not match the schema",
                details=_validation_details(exc),
            ) from exc
        if len(run_request.tests) > self.settings.max_tests:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"at most {self.settings.max_tests} tests per run",
                details=[{"loc": ["tests"], "msg": "too many tests", "type": "too_long"}],
            )
        worst_s = self.runner.worst_case_s(run_request)
        if worst_s > self.settings.max_request_s:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"the tests' limits add up to {worst_s:.0f} s, more than "
                f"{self.settings.max_request_s:.0f} s per request",
                details=[{"loc": ["limits", "wallS"], "msg": "too long", "type": "too_long"}],
            )
        try:
            result = self.runner.run(run_request)
        except BusyError as exc:
            raise ApiError(
                ErrorCode.UNAVAILABLE, "the runner is busy", headers={"Retry-After": "2"}
            ) from exc
        return jsonify(result.model_dump(mode="json", by_alias=True))

    def health(self) -> Response:
        """``GET /health``: liveness, and how the sandbox bounds memory on this instance."""
        return jsonify(
            {
                "status": "ok",
                "sandbox": self.runner.mode.describe(),
                "missingLanguages": self.runner.runtimes.missing(),
            }
        )


def create_app(settings: Settings | None = None, runner: Runner | None = None) -> Flask:
    """Build the app and its runner (which checks the sandbox and prepares the first ones)."""
    settings = settings or get_settings()
    if runner is None:
        runner = Runner(settings)
        runner.start()
    views = _Views(settings, runner)
    app = Flask("runner")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.add_url_rule("/run", "run", lambda: _serve(views.run), methods=["POST"])
    app.add_url_rule("/health", "health", lambda: _serve(views.health), methods=["GET"])

    @app.errorhandler(HTTPException)
    def _unrouted(exc: HTTPException) -> Response:
        return _error(_http_error(exc), _request_id())

    app.extensions["runner"] = runner
    return app
