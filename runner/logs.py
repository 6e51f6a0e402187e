"""Structured logs: one JSON line per event on stdout, in Cloud Logging's format.

Fields are keyword data (``log.info("run done", extra={"verdict": "accepted"})``); the request id
bound with ``bind_request`` is added to every line written while the request is served.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any

from pythonjsonlogger.json import JsonFormatter

__all__ = ["bind_request", "configure_logging", "get_logger"]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "runner_request_id", default=None
)
_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("runner_trace", default=None)


@contextlib.contextmanager
def bind_request(*, request_id: str, trace: str | None = None) -> Iterator[None]:
    """Add the request id (and Cloud Trace resource name) to the lines written in the block."""
    id_token = _request_id.set(request_id)
    trace_token = _trace.set(trace)
    try:
        yield
    finally:
        _request_id.reset(id_token)
        _trace.reset(trace_token)


class _CloudLoggingFormatter(JsonFormatter):
    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["severity"] = record.levelname
        log_data["logger"] = record.name
        request_id = _request_id.get()
        if request_id:
            log_data.setdefault("requestId", request_id)
        trace = _trace.get()
        if trace:
            log_data["logging.googleapis.com/trace"] = trace


def configure_logging(level: str = "INFO") -> None:
    """Send this process's logs to stdout as JSON lines (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(getattr(handler, "_runner", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _CloudLoggingFormatter(
            "%(message)s", rename_fields={"levelname": "severity"}, timestamp="time"
        )
    )
    handler._runner = True  # type: ignore[attr-defined]
    for other in list(root.handlers):
        root.removeHandler(other)
    root.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    """Return a module logger."""
    return logging.getLogger(name)
