"""Serve the runner: ``python -m runner [--host H] [--port P]`` (gunicorn, one process, threads).

One worker process owns the slots and their sandboxes; its threads answer requests (a health
check while a program runs, or a second run waiting for a slot). Cloud Run passes ``PORT``.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from runner.config import ConfigError, get_settings
from runner.logs import configure_logging, get_logger

_log = get_logger("runner")


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from runner.app import create_app

        configure_logging(get_settings().log_level)
        app = create_app()
        runner = app.extensions["runner"]
        atexit.register(runner.close)
        return app


def _on_exit(server: Any, worker: Any) -> None:
    # gunicorn ends a worker with os._exit in some paths: close the runner here as well.
    app = getattr(worker, "wsgi", None)
    runner = getattr(app, "extensions", {}).get("runner") if app is not None else None
    if runner is not None:
        runner.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, check the configuration, and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m runner", description=__doc__)
    on_cloud_run = bool(os.environ.get("K_SERVICE"))
    parser.add_argument("--host", default="0.0.0.0" if on_cloud_run else "127.0.0.1")  # noqa: S104
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ConfigError as exc:
        configure_logging()
        _log.critical("refusing to start: %s", exc, extra={"event": "runner_config_error"})
        return 2
    configure_logging(settings.log_level)
    _Server(
        {
            "bind": f"{args.host}:{args.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": args.threads,
            "timeout": 0,
            "graceful_timeout": 10,
            "keepalive": 75,
            "control_socket_disable": True,
            "accesslog": None,
            # gunicorn's own lines go through the root logger, as JSON; no access log.
            "logconfig_dict": {
                "version": 1,
                "disable_existing_loggers": False,
                "root": {"level": settings.log_level, "handlers": []},
                "handlers": {},
                "formatters": {},
                "loggers": {
                    "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
                },
            },
            "on_starting": lambda _server: configure_logging(settings.log_level),
            "worker_exit": _on_exit,
        }
    ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
