"""One process serving every function under ``/api``, as API Gateway does in production.

Each function is a functions-framework app built by ``functions_framework.create_app`` from
``main.py``, so it behaves exactly as ``functions-framework --target=NAME``. Pub/Sub push
subscriptions reach the event functions at ``/events/NAME``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import flask
import functions_framework
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server

from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.http import json_error_response, request_id_from
from common.logs import configure_logging, get_logger
from common.registry import all_endpoints

__all__ = ["Gateway", "main"]

_ROOT = Path(__file__).resolve().parent.parent
_API_PREFIX = "/api"
_EVENTS_PREFIX = "/events/"
_log = get_logger("devstack.gateway")

WsgiApp = Any


def _werkzeug_path(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


class Gateway:
    """A WSGI app that routes ``/api/...`` by method and path to one function app each."""

    def __init__(self, source: Path = _ROOT / "main.py") -> None:
        self.apps: dict[str, WsgiApp] = {}
        rules = []
        for endpoint in all_endpoints():
            self.apps[endpoint.name] = functions_framework.create_app(  # type: ignore[no-untyped-call]
                target=endpoint.name, source=str(source)
            )
            if endpoint.is_http:
                assert endpoint.path is not None and endpoint.method is not None
                rules.append(
                    Rule(
                        _werkzeug_path(endpoint.path),
                        methods=[endpoint.method],
                        endpoint=endpoint.name,
                    )
                )
        self.routes = Map(rules, strict_slashes=False, merge_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "/")
        if path.startswith(_EVENTS_PREFIX):
            name = path[len(_EVENTS_PREFIX) :].strip("/")
            app = self.apps.get(name)
            if app is not None:
                return self._forward(app, environ, start_response, "/")
        elif path == _API_PREFIX or path.startswith(_API_PREFIX + "/"):
            return self._route_api(environ, start_response, path[len(_API_PREFIX) :] or "/")
        return self._error(
            environ, start_response, ApiError(ErrorCode.NOT_FOUND, f"No route for {path}")
        )

    def _route_api(
        self, environ: dict[str, Any], start_response: Any, path: str
    ) -> Iterable[bytes]:
        adapter = self.routes.bind("gateway")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        try:
            name, _ = adapter.match(path, method=method)
        except NotFound:
            return self._error(
                environ,
                start_response,
                ApiError(ErrorCode.NOT_FOUND, f"No route for {_API_PREFIX}{path}"),
            )
        except MethodNotAllowed as exc:
            allowed = sorted(set(exc.valid_methods or []) | {"OPTIONS"})
            if method == "OPTIONS":
                # A preflight goes to the function that serves the method it asks about; a plain
                # OPTIONS to the first function of the path, which answers with ``Allow``.
                served = sorted(set(exc.valid_methods or []) - {"OPTIONS", "HEAD"})
                wanted = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper()
                target = wanted if wanted in served else served[0]
                name, _ = adapter.match(path, method=target)
            else:
                err = ApiError(
                    ErrorCode.METHOD_NOT_ALLOWED,
                    f"{method} is not allowed on {_API_PREFIX}{path}",
                    headers={"Allow": ", ".join(allowed)},
                )
                return self._error(environ, start_response, err)
        return self._forward(self.apps[name], environ, start_response, path)

    @staticmethod
    def _forward(
        app: WsgiApp, environ: dict[str, Any], start_response: Any, path: str
    ) -> Iterable[bytes]:
        inner = dict(environ)
        inner["PATH_INFO"] = path
        return app(inner, start_response)  # type: ignore[no-any-return]

    @staticmethod
    def _error(environ: dict[str, Any], start_response: Any, err: ApiError) -> Iterable[bytes]:
        request = flask.Request(environ)
        response = json_error_response(err, request_id_from(request.headers))
        return response(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    """Serve the gateway until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(project_id=settings.project_id, level=settings.log_level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port, Gateway(), threaded=True)
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _log.info("gateway listening", extra={"url": f"http://{args.host}:{args.port}{_API_PREFIX}"})
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
