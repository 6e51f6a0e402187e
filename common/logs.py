"""Structured logs in Cloud Logging's JSON format, correlated with the request's trace.

One JSON line per event on stdout, with ``severity``, ``message`` and, when the request carried
``traceparent`` or ``X-Cloud-Trace-Context``, ``logging.googleapis.com/trace``. Fields are keyword
data (``logger.info("match created", extra={"event": "match_created", "waitS": 1.2})``).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pythonjsonlogger.json import JsonFormatter

__all__ = [
    "TraceContext",
    "bind_request",
    "configure_logging",
    "current_request_id",
    "current_trace",
    "get_logger",
    "trace_from_headers",
]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d+))?(?:;o=([01]))?$")
_TRACE_KEY = "logging.googleapis.com/trace"
_SPAN_KEY = "logging.googleapis.com/spanId"
_SAMPLED_KEY = "logging.googleapis.com/trace_sampled"


@dataclass(frozen=True)
class TraceContext:
    """A W3C trace: 32 hex digits of trace id, 16 of span id, and the sampled flag."""

    trace_id: str
    span_id: str
    sampled: bool

    def traceparent(self) -> str:
        """Render this trace as a W3C ``traceparent`` header value."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    def child(self) -> TraceContext:
        """Return a new span of the same trace, for a call this one makes."""
        return TraceContext(self.trace_id, secrets.token_hex(8), self.sampled)


_trace: contextvars.ContextVar[TraceContext | None] = contextvars.ContextVar(
    "peerprep_trace", default=None
)
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "peerprep_request_id", default=None
)
_project_id: list[str] = []


def trace_from_headers(headers: Mapping[str, str] | Any) -> TraceContext | None:
    """Read the trace of a request from ``traceparent`` or ``X-Cloud-Trace-Context``."""
    traceparent = (headers.get("traceparent") or "").strip().lower()
    match = _TRACEPARENT.match(traceparent)
    if match and set(match.group(1)) != {"0"}:
        return TraceContext(match.group(1), match.group(2), match.group(3) == "01")
    cloud = (headers.get("X-Cloud-Trace-Context") or "").strip()
    match = _CLOUD_TRACE.match(cloud)
    if match:
        span = int(match.group(2)) if match.group(2) else 0
        return TraceContext(match.group(1).lower(), f"{span:016x}"[-16:], match.group(3) == "1")
    return None


def current_trace() -> TraceContext | None:
    """Return the trace bound to the current request or event, if any."""
    return _trace.get()


def current_request_id() -> str | None:
    """Return the request id bound to the current request, if any."""
    return _request_id.get()


@contextlib.contextmanager
def bind_request(*, request_id: str | None, trace: TraceContext | None) -> Iterator[None]:
    """Bind a request id and trace to every log line written inside the block."""
    trace_token = _trace.set(trace)
    id_token = _request_id.set(request_id)
    try:
        yield
    finally:
        _trace.reset(trace_token)
        _request_id.reset(id_token)


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
        trace = _trace.get()
        if trace is not None:
            project = _project_id[0] if _project_id else "unknown"
            log_data[_TRACE_KEY] = f"projects/{project}/traces/{trace.trace_id}"
            log_data[_SPAN_KEY] = trace.span_id
            log_data[_SAMPLED_KEY] = trace.sampled


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
