"""The HTTP wrapper every function shares: declaration, request ids, its span, CORS, auth,
parsing, errors.

A function is thin, and declared where it is::

    @endpoint(method="POST", path="/match", status=202, body=MatchCreate,
              response=MatchRequest, errors=(409, 503))
    def match_request(call: Call, body: MatchCreate) -> MatchRequest: ...

The name is the function's, the summary its docstring's first line. ``endpoint`` records the
declaration (``common.registry``) and makes the function a functions-framework HTTP function that
answers CORS preflights, refuses a wrong method (405) or path (404), checks the caller's token as
the access level says, parses the declared body and query (400, 413, 422), runs the handler,
and renders what it returns, or the error it raised, as JSON. Each call is one server span named
after the function, a child of the caller's ``traceparent`` (or ``X-Cloud-Trace-Context``).
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast, get_args, get_origin

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from common.auth import AuthUser, require_admin, verify_bearer, verify_tasks_caller
from common.config import get_settings
from common.errors import ApiError, ErrorCode, code_for_status, error_body
from common.logs import bind_request, configure_logging, get_logger
from common.registry import Access, Endpoint, declare
from common.tracing import current_span, extract, record_failure, span

__all__ = [
    "Call",
    "answer_unrouted_in_json",
    "endpoint",
    "json_error_response",
    "json_response",
    "request_id_from",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)
Handler = Callable[..., Any]
HttpFunction = Callable[[flask.Request], flask.Response]

_log = get_logger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ALLOWED_HEADERS = "Authorization, Content-Type, Accept, X-Request-Id, traceparent"
_EXPOSED_HEADERS = "X-Request-Id, Retry-After"


@dataclass
class Call:
    """One request as a function sees it, already authenticated."""

    request: flask.Request
    endpoint: Endpoint
    request_id: str
    params: dict[str, str]
    user: AuthUser | None
    _raw: bytes | None = field(default=None, init=False, repr=False)

    @property
    def caller(self) -> AuthUser:
        """Return the signed-in caller (the endpoint's access level guarantees one)."""
        if self.user is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Sign in first")
        return self.user

    def raw_body(self) -> bytes:
        """Return the request body, refusing one over the size limit with 413."""
        if self._raw is None:
            limit = get_settings().max_body_bytes
            # Read at most one byte past the limit, whether or not Content-Length was sent.
            data = self.request.stream.read(limit + 1)
            if len(data) > limit:
                raise _too_large()
            self._raw = data
        return self._raw

    def body(self, model: type[M]) -> M:
        """Parse the JSON body into ``model``: 400 if it is not JSON, 422 if it does not fit."""
        raw = self.raw_body()
        if not raw.strip():
            raise ApiError(ErrorCode.BAD_REQUEST, "The request body must be a JSON object")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(ErrorCode.BAD_REQUEST, "The request body is not valid JSON") from None
        except RecursionError:
            raise ApiError(ErrorCode.BAD_REQUEST, "The request body is nested too deeply") from None
        return validate_model(model, data, code=ErrorCode.VALIDATION_ERROR)

    def query(self, model: type[M]) -> M:
        """Parse the query string into ``model``: 400 naming the parameter when it does not fit."""
        data: dict[str, Any] = {}
        list_fields = {
            (info.alias or name)
            for name, info in model.model_fields.items()
            if get_origin(info.annotation) is list
            or any(get_origin(arg) is list for arg in get_args(info.annotation))
        }
        for key in self.request.args:
            values = self.request.args.getlist(key)
            if key in list_fields:
                data[key] = values
            elif len(values) > 1:
                raise ApiError(
                    ErrorCode.BAD_REQUEST,
                    f"{key}: give this parameter once",
                    details=[{"field": key, "message": "repeated", "type": "repeated"}],
                )
            else:
                data[key] = values[0]
        return validate_model(model, data, code=ErrorCode.BAD_REQUEST)


def _too_large() -> ApiError:
    return ApiError(
        ErrorCode.PAYLOAD_TOO_LARGE, f"The body is over {get_settings().max_body_bytes} bytes"
    )


def validate_model(model: type[M], data: Any, *, code: ErrorCode) -> M:
    """Validate ``data`` as ``model``, turning failures into an ApiError naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or None,
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        first = details[0]
        message = str(first["message"])
        if first["field"]:
            message = f"{first['field']}: {message}"
        raise ApiError(code, message, details=details) from None


def request_id_from(headers: Any) -> str:
    """Take the caller's X-Request-Id when it is sane, else make a new one."""
    given = (headers.get("X-Request-Id") or "").strip()
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    """Render ``body`` (a model, dict or list) as a JSON response."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True)
    response = flask.Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )
    response.headers.update(headers or {})
    return response


def json_error_response(err: ApiError, request_id: str) -> flask.Response:
    """Render an ApiError as the shared JSON error body."""
    response = json_response(
        error_body(err.code, err.message, request_id, err.details), err.status, err.headers
    )
    response.headers["X-Request-Id"] = request_id
    return response


_PREFLIGHT_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


def _cors_headers(origin: str | None) -> dict[str, str]:
    allowed = get_settings().allowed_origins
    if not origin or origin.rstrip("/") not in allowed:
        return {"Vary": "Origin"} if allowed else {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": _EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def _preflight(endpoint: Endpoint, request: flask.Request) -> flask.Response:
    response = flask.Response(status=204)
    cors = _cors_headers(request.headers.get("Origin"))
    if "Access-Control-Allow-Origin" in cors:
        cors.update(
            {
                # Behind the gateway one path's preflight may reach any of its functions (GET,
                # POST and DELETE /match are three): allow the methods any route may use; the
                # request itself still gets 405 from a function that does not take it.
                "Access-Control-Allow-Methods": _PREFLIGHT_METHODS,
                "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
    response.headers.update(cors)
    return response


def _authenticate(endpoint: Endpoint, request: flask.Request) -> AuthUser | None:
    if endpoint.access == "tasks":
        verify_tasks_caller(request.headers, request.url)
        return None
    if endpoint.access not in {"user", "admin"}:
        return None
    user = verify_bearer(
        request.headers.get("Authorization"),
        recent_login=endpoint.recent_login,
        fresh=endpoint.access == "admin",
    )
    if endpoint.access == "admin":
        require_admin(user)
    return user


def _render(endpoint: Endpoint, result: Any) -> flask.Response:
    if isinstance(result, flask.Response):
        return result
    if result is None:
        return flask.Response(status=204)
    return json_response(result, endpoint.status)


def _dispatch(
    endpoint: Endpoint, handler: Handler, request: flask.Request, request_id: str
) -> flask.Response:
    allowed_methods = {endpoint.method or "POST"}
    if endpoint.method == "GET":
        allowed_methods.add("HEAD")
    if request.method == "OPTIONS":
        if request.headers.get("Access-Control-Request-Method"):
            return _preflight(endpoint, request)
        return flask.Response(status=204, headers={"Allow": f"{endpoint.method}, OPTIONS"})
    if request.method not in allowed_methods:
        raise ApiError(
            ErrorCode.METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed here; use {endpoint.method}",
            headers={"Allow": ", ".join(sorted(allowed_methods | {"OPTIONS"}))},
        )
    params: dict[str, str] = {}
    if endpoint.path_params:
        # Behind the gateway the path is the route's; alone, a function serves any path.
        match = endpoint.path_regex().match(request.path)
        if match is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No route for {request.path}")
        params = match.groupdict()
    if (request.content_length or 0) > get_settings().max_body_bytes:
        raise _too_large()
    user = _authenticate(endpoint, request)
    if user is not None:
        current_span().set_attribute("enduser.id", user.uid)
    call = Call(request, endpoint, request_id, params, user)
    parsed: dict[str, Any] = {}
    if endpoint.body is not None:
        parsed["body"] = call.body(endpoint.body)
    if endpoint.query is not None:
        parsed["query"] = call.query(endpoint.query)
    return _render(endpoint, handler(call, **parsed))


def _serve(endpoint: Endpoint, handler: Handler, request: flask.Request) -> flask.Response:
    settings = get_settings()
    configure_logging(project_id=settings.project_id, level=settings.log_level)
    request_id = request_id_from(request.headers)
    started = time.perf_counter()
    attributes = {
        "http.method": request.method,
        "http.route": endpoint.path or request.path,
        "peerprep.request_id": request_id,
    }
    with (
        bind_request(request_id=request_id),
        span(
            endpoint.name, kind="server", attributes=attributes, parent=extract(request.headers)
        ) as current,
    ):
        try:
            response = _dispatch(endpoint, handler, request, request_id)
        except ApiError as err:
            record_failure(current, err)
            response = json_error_response(err, request_id)
        except HTTPException as exc:
            response = json_error_response(
                ApiError(code_for_status(exc.code), exc.name), request_id
            )
        except Exception as exc:
            record_failure(current, exc)
            if _is_transient(exc):
                _log.warning(
                    "a dependency failed transiently",
                    exc_info=True,
                    extra={"function": endpoint.name},
                )
                failure = ApiError(
                    ErrorCode.UNAVAILABLE,
                    "A dependency is busy or unreachable, retry shortly",
                    headers={"Retry-After": "1"},
                )
            else:
                _log.exception("unhandled error", extra={"function": endpoint.name})
                failure = ApiError(ErrorCode.INTERNAL, "Something went wrong on our side")
            response = json_error_response(failure, request_id)
        current.set_attribute("http.status_code", response.status_code)
        return _finish(endpoint, request, response, request_id, started)


def _finish(
    endpoint: Endpoint,
    request: flask.Request,
    response: flask.Response,
    request_id: str,
    started: float,
) -> flask.Response:
    response.headers["X-Request-Id"] = request_id
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    for name, value in _cors_headers(request.headers.get("Origin")).items():
        response.headers.setdefault(name, value)
    _log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "function": endpoint.name,
            "httpRequest": {
                "requestMethod": request.method,
                "requestUrl": request.path,
                "status": response.status_code,
                "latency": f"{time.perf_counter() - started:.4f}s",
                "userAgent": request.headers.get("User-Agent", ""),
            },
        },
    )
    return response


# RetryError: a call's retries ran out of time (common.clients.bound_calls).
_TRANSIENT = {"Aborted", "ServiceUnavailable", "DeadlineExceeded", "TooManyRequests", "RetryError"}


def _is_transient(exc: BaseException) -> bool:
    """Tell a dependency's passing failure (contention, overload, outage) from a bug.

    Checked by name so that a function that never touches Google clients never imports them.
    """
    if type(exc).__module__.startswith("google.api_core") and type(exc).__name__ in _TRANSIENT:
        return True
    # google-cloud-firestore gives up on a contended transaction with a plain ValueError.
    return isinstance(exc, ValueError) and str(exc).startswith("Failed to commit transaction")


def answer_unrouted_in_json(app: flask.Flask) -> None:
    """Render what the function app's own routing refuses as the JSON error, not Flask's HTML.

    functions-framework routes every path to the function with ``/<path:path>``, whose pattern
    does not match a newline: ``/sessions/a%0Ab`` would get Flask's HTML 404 page.
    """

    def unrouted(exc: HTTPException) -> flask.Response:
        request = flask.request
        request_id = request_id_from(request.headers)
        response = json_error_response(
            ApiError(code_for_status(exc.code), f"No route for {request.path!r}"), request_id
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers.update(_cors_headers(request.headers.get("Origin")))
        return response

    app.register_error_handler(HTTPException, unrouted)


def _summary(handler: Handler) -> str:
    doc = (handler.__doc__ or "").strip()
    return doc.splitlines()[0].rstrip(".") if doc else handler.__name__


def endpoint(
    *,
    method: str,
    path: str,
    access: Access = "user",
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    streams: bool = False,
    recent_login: bool = False,
) -> Callable[[Handler], HttpFunction]:
    """Declare an HTTP function and wrap its handler into a functions-framework function.

    The handler takes the ``Call``, and ``body=`` / ``query=`` parsed into the declared models.
    """
    import functions_framework

    def decorate(handler: Handler) -> HttpFunction:
        module = handler.__module__
        declared = declare(
            Endpoint(
                name=handler.__name__,
                module=module,
                summary=_summary(handler),
                access=access,
                method=method,
                path=path,
                tag=module.rsplit(".", 1)[-1],
                body=body,
                query=query,
                response=response,
                status=status,
                errors=tuple(errors),
                streams=streams,
                recent_login=recent_login,
            )
        )

        @functools.wraps(handler)
        def run(request: flask.Request) -> flask.Response:
            return _serve(declared, handler, request)

        return cast(HttpFunction, functions_framework.http(run))

    return decorate
