"""Tracing with OpenTelemetry: a span per function call, spans around Firestore transactions
and outbound calls, and the trace carried to the next hop.

Where finished spans go (``TRACE_EXPORTER``)::

    cloud   Cloud Trace, in batches (the default on Cloud Run: K_SERVICE or CLOUD_RUN_JOB set)
    log     one JSON log line per span, ``event: "span"`` (the default locally)
    none    nowhere; the caller's trace still reaches the log lines and the next hop

The trace travels as W3C ``traceparent`` and Google's ``X-Cloud-Trace-Context``: both are
written (Pub/Sub attributes, Cloud Tasks headers, runner requests), either is read, and
``traceparent`` wins when both come. Only the API is imported with this module; the SDK when the
first span of an instance starts, and the Cloud Trace exporter only when it is the one in use.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators import textmap
from opentelemetry.trace import format_span_id, format_trace_id

from common.config import get_settings
from common.errors import ApiError
from common.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.propagators.composite import CompositePropagator
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = [
    "Kind",
    "LogSpanExporter",
    "attached",
    "current_context",
    "current_span",
    "extract",
    "record_failure",
    "span",
    "span_line",
    "start_span",
    "trace_headers",
]

Kind = Literal["internal", "server", "client", "producer", "consumer"]
_KINDS = {
    "internal": trace.SpanKind.INTERNAL,
    "server": trace.SpanKind.SERVER,
    "client": trace.SpanKind.CLIENT,
    "producer": trace.SpanKind.PRODUCER,
    "consumer": trace.SpanKind.CONSUMER,
}
_log = get_logger(__name__)
_building = threading.Lock()


class _CaseInsensitiveGetter(textmap.Getter[Mapping[str, Any]]):
    """Read a carrier's keys whatever their case (Pub/Sub attributes are a plain dict)."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        if value is None and isinstance(carrier, dict):
            wanted = key.lower()
            value = next((v for k, v in carrier.items() if str(k).lower() == wanted), None)
        return None if value is None else [str(value)]

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        # Not ``for key in carrier``: request headers iterate as (name, value) pairs.
        return [str(key) for key in carrier.keys()]  # noqa: SIM118


_GETTER = _CaseInsensitiveGetter()


@functools.cache
def _propagator() -> CompositePropagator:
    from opentelemetry.propagators.cloud_trace_propagator import CloudTraceFormatPropagator
    from opentelemetry.propagators.composite import CompositePropagator
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    # Each propagator that finds its header replaces what the one before found: traceparent last.
    return CompositePropagator([CloudTraceFormatPropagator(), TraceContextTextMapPropagator()])


def extract(carrier: Mapping[str, Any] | Any) -> otel_context.Context:
    """Return the context a request's headers or a message's attributes carry (empty if none).

    ``carrier`` is anything with ``get`` by name: request headers, a dict of attributes.
    """
    return _propagator().extract(carrier, context=otel_context.Context(), getter=_GETTER)


def trace_headers() -> dict[str, str]:
    """Return the headers (or Pub/Sub attributes) that carry the current span to the next hop."""
    carrier: dict[str, str] = {}
    _propagator().inject(carrier)
    return carrier


# ---- the tracer of this instance ----------------------------------------------------------------


def span_line(span: ReadableSpan, *, project_id: str) -> dict[str, Any]:
    """Return a finished span as the fields of its log line (``event: "span"``)."""
    context = span.get_span_context()
    assert context is not None
    trace_id = format_trace_id(context.trace_id)
    span_id = format_span_id(context.span_id)
    start, end = span.start_time or 0, span.end_time or 0
    return {
        "event": "span",
        "spanName": span.name,  # not "name": a LogRecord field of its own
        "kind": span.kind.name.lower(),
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": format_span_id(span.parent.span_id) if span.parent else None,
        "start": dt.datetime.fromtimestamp(start / 1e9, dt.UTC).isoformat(),
        "end": dt.datetime.fromtimestamp(end / 1e9, dt.UTC).isoformat(),
        "durationMs": round((end - start) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        # The span's own trace (not the current one, if any): Cloud Logging joins them.
        "logging.googleapis.com/trace": f"projects/{project_id}/traces/{trace_id}",
        "logging.googleapis.com/spanId": span_id,
        "logging.googleapis.com/trace_sampled": context.trace_flags.sampled,
    }


class LogSpanExporter:
    """A span exporter (``SpanExporter``'s protocol) that logs each span as one JSON line.

    It does not inherit from the SDK's class so that importing this module never imports the
    SDK; the span processor only calls these methods.
    """

    def __init__(self, *, project_id: str) -> None:
        self.project_id = project_id

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write one log line per span."""
        from opentelemetry.sdk.trace.export import SpanExportResult

        for finished in spans:
            line = span_line(finished, project_id=self.project_id)
            _log.info("span %s", finished.name, extra=line)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing to release."""

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered."""
        return True


def _exporter(name: str, project_id: str) -> SpanExporter:
    if name == "cloud":
        import warnings

        from opentelemetry.exporter.cloud_trace import CloudTraceSpanExporter

        with warnings.catch_warnings():
            # 1.15 announces the move to OTLP (telemetry.googleapis.com); it still works.
            warnings.simplefilter("ignore", DeprecationWarning)
            exporter: SpanExporter = CloudTraceSpanExporter(  # type: ignore[no-untyped-call]
                project_id=project_id
            )
        return exporter
    return LogSpanExporter(project_id=project_id)  # type: ignore[return-value]


@functools.cache
def _tracer(exporter: str, ratio: float, project_id: str, service: str) -> trace.Tracer:
    if exporter == "none":
        # Starts no span of its own: the caller's context passes through unchanged.
        return trace.NoOpTracer()
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        # A caller's sampling decision stands; a trace that starts here is kept at this ratio.
        sampler=ParentBased(TraceIdRatioBased(ratio)),
        resource=Resource.create({"service.name": service, "gcp.project_id": project_id}),
    )
    if exporter == "cloud":
        try:
            cloud = _exporter("cloud", project_id)
        except Exception:
            # No credentials, say: the functions serve on, untraced, rather than fail each call.
            _log.warning("no Cloud Trace exporter: spans are not recorded", exc_info=True)
            return trace.NoOpTracer()
        # Exported in the background; the provider flushes what is left when the instance stops.
        provider.add_span_processor(BatchSpanProcessor(cloud))
    else:
        # A log line as each span ends: cheap, and the lines are there when a test looks.
        provider.add_span_processor(SimpleSpanProcessor(_exporter("log", project_id)))
    return provider.get_tracer("peerprep")


def _current_tracer() -> trace.Tracer:
    settings = get_settings()
    with _building:
        return _tracer(
            settings.trace_exporter_in_use,
            settings.trace_sample_ratio,
            settings.project_id,
            settings.k_service or settings.cloud_run_job or "peerprep",
        )


# ---- spans --------------------------------------------------------------------------------------


def record_failure(current: trace.Span, exc: BaseException) -> None:
    """Mark a span failed by ``exc``, unless it is a client's error (a 4xx) passing through."""
    if isinstance(exc, ApiError) and exc.status < 500:
        current.set_attribute("peerprep.error", exc.code.value)
        return
    current.record_exception(exc)
    current.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))


def start_span(
    name: str,
    *,
    kind: Kind = "internal",
    attributes: Mapping[str, Any] | None = None,
    parent: otel_context.Context | None = None,
) -> trace.Span:
    """Start a span that the caller ends (``span.end()``), without making it the current one."""
    return _current_tracer().start_span(
        name, context=parent, kind=_KINDS[kind], attributes=dict(attributes or {})
    )


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: Kind = "internal",
    attributes: Mapping[str, Any] | None = None,
    parent: otel_context.Context | None = None,
) -> Iterator[trace.Span]:
    """Run the block in a new span, a child of ``parent`` (default: the current span)."""
    current = start_span(name, kind=kind, attributes=attributes, parent=parent)
    try:
        with trace.use_span(current, record_exception=False, set_status_on_exception=False):
            yield current
    except Exception as exc:
        record_failure(current, exc)
        raise
    finally:
        current.end()


def current_span() -> trace.Span:
    """Return the current span (a non-recording one outside any)."""
    return trace.get_current_span()


def current_context() -> otel_context.Context:
    """Return the current context, to carry into work done after the function returned."""
    return otel_context.get_current()


@contextlib.contextmanager
def attached(context: otel_context.Context) -> Iterator[None]:
    """Make ``context`` the current one inside the block (a streamed answer's log lines)."""
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)
