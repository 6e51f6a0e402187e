"""Structured logs in Cloud Logging's JSON format, correlated with the current span.

One JSON line per event on stdout, with ``severity``, ``message`` and, inside a span
(``common.tracing``: every function call is one), ``logging.googleapis.com/trace`` and
``logging.googleapis.com/spanId``, so that Cloud Logging joins the line to its trace. Fields are
keyword data (``logger.info("match created", extra={"event": "match_created", "waitS": 1.2})``).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import format_span_id, format_trace_id
from pythonjsonlogger.json import JsonFormatter

__all__ = [
    "bind_request",
    "configure_logging",
    "current_request_id",
    "get_logger",
]

_TRACE_KEY = "logging.googleapis.com/trace"
_SPAN_KEY = "logging.googleapis.com/spanId"
_SAMPLED_KEY = "logging.googleapis.com/trace_sampled"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "peerprep_request_id", default=None
)
_project_id: list[str] = []


def current_request_id() -> str | None:
    """Return the request id bound to the current request, if any."""
    return _request_id.get()


@contextlib.contextmanager
def bind_request(*, request_id: str | None) -> Iterator[None]:
    """Bind a request id to every log line written inside the block."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class _CloudLoggingFormatter(JsonFormatter):
    """JSON formatter that names fields the way Cloud Logging's agent reads them."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["severity"] = record.levelname
        log_data["logger"] = record.name
        request_id = _request_id.get()
        if request_id and "requestId" not in log_data:
            log_data["requestId"] = request_id
        context = trace.get_current_span().get_span_context()
        if context.is_valid and _TRACE_KEY not in log_data:
            project = _project_id[0] if _project_id else "unknown"
            log_data[_TRACE_KEY] = f"projects/{project}/traces/{format_trace_id(context.trace_id)}"
            log_data[_SPAN_KEY] = format_span_id(context.span_id)
            log_data[_SAMPLED_KEY] = context.trace_flags.sampled


def configure_logging(*, project_id: str, level: str = "INFO") -> None:
    """Send this process's logs to stdout as Cloud Logging JSON lines (idempotent)."""
    _project_id[:] = [project_id]
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if getattr(handler, "_peerprep", False):
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _CloudLoggingFormatter(
            "%(message)s", rename_fields={"levelname": "severity"}, timestamp="time"
        )
    )
    handler._peerprep = True  # type: ignore[attr-defined]
    # functions-framework and the Google libraries may have installed plain handlers.
    for other in list(root.handlers):
        root.removeHandler(other)
    root.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    """Return a module logger (configure_logging sets where its lines go)."""
    return logging.getLogger(name)
