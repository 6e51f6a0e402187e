"""The web client in the local stack: build ``web/`` when it changed, serve it with its config.

``python -m devstack.web serve --port N --config '{...}'`` serves ``web/dist`` (index.html for
every client route) and ``/config.json``, the addresses the client reads from its own origin, so
a new port never needs a rebuild. ``python -m devstack.web openapi`` writes ``web/openapi.json``,
from which ``npm run gen:api`` generates the client's API types.

Config shape (the same file is written by deployment for Firebase Hosting)::

    {"apiBaseUrl": "http://127.0.0.1:8080/api",
     "firebase": {"apiKey": "...", "authDomain": "...", "projectId": "demo-peerprep"},
     "emulators": {"auth": "http://127.0.0.1:9099", "firestore": "127.0.0.1:8085"} | null}
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import mimetypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

__all__ = [
    "WEB_DIR",
    "WebBuild",
    "WebBuildError",
    "build_web",
    "client_config",
    "export_openapi",
    "make_app",
]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DIST_DIR = WEB_DIR / "dist"
_INSTALL_STAMP = WEB_DIR / "node_modules" / ".installed"
_BUILD_STAMP = DIST_DIR / ".built"
# What the build reads: a change to any of these makes the next start rebuild.
_BUILD_INPUTS = ("src", "public", "index.html", "vite.config.ts", "tsconfig.json", "package.json")
_log = logging.getLogger("devstack.web")


class WebBuildError(RuntimeError):
    """Installing or building the web client failed."""


def _lock_digest() -> str:
    return hashlib.sha256((WEB_DIR / "package-lock.json").read_bytes()).hexdigest()


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in _BUILD_INPUTS:
        path = WEB_DIR / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
    return newest


def _run(command: list[str], what: str) -> None:
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "CI": "true"}
    result = subprocess.run(
        command, cwd=WEB_DIR, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise WebBuildError(f"{what} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def install_needed() -> bool:
    """Tell whether ``web/node_modules`` is missing or older than the lockfile."""
    try:
        return _INSTALL_STAMP.read_text().strip() != _lock_digest()
    except FileNotFoundError:
        return True


def build_needed() -> bool:
    """Tell whether ``web/dist`` is missing or older than a source of the build."""
    try:
        built = float(_BUILD_STAMP.read_text().strip())
    except (FileNotFoundError, ValueError):
        return True
    return _newest_input_mtime() > built or not (DIST_DIR / "index.html").is_file()


def build_web() -> bool:
    """Install the client's packages and build it, each only when needed; tell if it built."""
    if install_needed():
        _log.info("installing the web client's packages (npm ci)")
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci in web/")
        _INSTALL_STAMP.write_text(_lock_digest() + "\n")
    if not build_needed():
        return False
    _log.info("building the web client (vite build)")
    started = _newest_input_mtime()
    vite = str(WEB_DIR / "node_modules" / ".bin" / "vite")
    _run([vite, "build", "--logLevel=warn"], "vite build")
    _BUILD_STAMP.write_text(f"{started}\n")
    return True


class WebBuild:
    """``build_web`` in a background thread, so it overlaps with the emulators' start."""

    def __init__(self) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web-build", daemon=True)

    @classmethod
    def start(cls) -> WebBuild:
        """Start building now."""
        build = cls()
        build._thread.start()
        return build

    def _run(self) -> None:
        try:
            build_web()
        except BaseException as exc:  # re-raised by wait() in the caller's thread
            self._error = exc

    def wait(self, timeout_s: float = 600.0) -> None:
        """Wait for the build; raise its failure."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise WebBuildError(f"building the web client took more than {timeout_s:.0f} s")
        if self._error is not None:
            raise WebBuildError(str(self._error)) from self._error


def client_config(
    *,
    api_url: str,
    project_id: str,
    auth_host: str | None,
    firestore_host: str | None,
    database: str = "(default)",
) -> dict[str, Any]:
    """Return the ``/config.json`` the client reads: the API, Firebase, its Firestore database,
    and the emulators."""
    emulators = None
    if auth_host and firestore_host:
        emulators = {"auth": f"http://{auth_host}", "firestore": firestore_host}
    return {
        "apiBaseUrl": api_url,
        "firebase": {
            "apiKey": "demo-key",
            "authDomain": f"{project_id}.firebaseapp.com",
            "projectId": project_id,
        },
        "firestoreDatabase": database,
        "emulators": emulators,
    }


def _file_response(path: Path, *, immutable: bool) -> Response:
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if immutable else "no-cache"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def make_app(dist: Path, config: dict[str, Any]) -> Any:
    """Return a WSGI app serving ``dist`` with SPA fallback, and ``/config.json``."""
    config_body = json.dumps(config, indent=2).encode()
    index = dist / "index.html"

    @Request.application
    def app(request: Request) -> Response:
        if request.method not in {"GET", "HEAD"}:
            return Response("method not allowed", status=405, headers={"Allow": "GET, HEAD"})
        path = request.path
        if path == "/config.json":
            response = Response(config_body, mimetype="application/json")
            response.headers["Cache-Control"] = "no-store"
            return response
        relative = path.lstrip("/")
        if relative:
            candidate = safe_join(str(dist), relative)
            if candidate is not None and Path(candidate).is_file():
                return _file_response(Path(candidate), immutable=relative.startswith("assets/"))
            # A missing asset is a 404; any other path is a client route served by index.html.
            if relative.startswith("assets/") or Path(relative).suffix:
                return Response("not found", status=404, mimetype="text/plain")
        if not index.is_file():
            return Response("web client not built (run make dev)", status=503)
        return _file_response(index, immutable=False)

    return app


def export_openapi(target: Path) -> None:
    """Write the API's OpenAPI document, as served at ``/api/openapi.json``."""
    from common.openapi import build_openapi

    target.write_text(json.dumps(build_openapi(), indent=2) + "\n")


def _serve(host: str, port: int, dist: Path, config: dict[str, Any]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, make_app(dist, config), threaded=True)
    stopping = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.serve_forever()


def main(argv: Iterable[str] | None = None) -> int:
    """Serve the built client, build it, or export the OpenAPI document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve web/dist and /config.json")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5173)
    serve.add_argument("--dist", type=Path, default=DIST_DIR)
    serve.add_argument("--config", required=True, help="the /config.json document, as JSON")
    commands.add_parser("build", help="install and build web/ when needed")
    openapi = commands.add_parser("openapi", help="write the API's OpenAPI document")
    openapi.add_argument("target", type=Path, nargs="?", default=WEB_DIR / "openapi.json")
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "serve":
        _serve(args.host, args.port, args.dist, json.loads(args.config))
    elif args.command == "build":
        try:
            built = build_web()
        except WebBuildError as exc:
            sys.stderr.write(f"{exc}\n")
            return 1
        sys.stdout.write("web client built\n" if built else "web client up to date\n")
    else:
        export_openapi(args.target)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
