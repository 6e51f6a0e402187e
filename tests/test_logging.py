"""Logs: one JSON line per event in Cloud Logging's format, correlated with the trace."""

from __future__ import annotations

import json
import time
from typing import Any

from devstack import LocalStack
from tests.support import Api, unique

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _lines_for(stack: LocalStack, request_id: str, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """The request's log lines: its access line first, then its function's span line."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = stack.services["api"].log_path.read_text().splitlines()
        found = [json.loads(line) for line in lines if request_id in line]
        if len(found) >= 2 or time.monotonic() > deadline:
            return sorted(found, key=lambda record: record.get("event") == "span")
        time.sleep(0.1)


def test_every_gateway_log_line_is_json_with_severity(api: Api, stack: LocalStack) -> None:
    api.get("/health")
    lines = [
        line
        for line in stack.services["api"].log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    assert lines
    for line in lines:
        record = json.loads(line)
        assert record["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert isinstance(record["message"], str)


def test_log_line_carries_the_trace_from_traceparent(api: Api, stack: LocalStack) -> None:
    request_id = unique("log-")
    api.get(
        "/health",
        headers={"X-Request-Id": request_id, "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
    )
    record, span = _lines_for(stack, request_id)
    assert record["severity"] == "INFO"
    assert (
        record["logging.googleapis.com/trace"] == f"projects/{stack.project_id}/traces/{TRACE_ID}"
    )
    # The line belongs to the function's span, the child of the caller's.
    assert span["event"] == "span" and span["spanName"] == "health"
    assert span["parentSpanId"] == "00f067aa0ba902b7"
    assert record["logging.googleapis.com/spanId"] == span["spanId"] != "00f067aa0ba902b7"
    assert record["logging.googleapis.com/trace_sampled"] is True
    assert record["httpRequest"]["status"] == 200
    assert record["requestId"] == request_id


def test_log_line_carries_the_trace_from_cloud_trace_context(api: Api, stack: LocalStack) -> None:
    request_id = unique("log-")
    api.get(
        "/health",
        headers={"X-Request-Id": request_id, "X-Cloud-Trace-Context": f"{TRACE_ID}/1;o=1"},
    )
    record, span = _lines_for(stack, request_id)
    assert record["logging.googleapis.com/trace"].endswith(f"/traces/{TRACE_ID}")
    assert span["parentSpanId"] == f"{1:016x}"


def test_log_line_of_a_garbage_trace_starts_a_trace_of_its_own(api: Api, stack: LocalStack) -> None:
    request_id = unique("log-")
    api.get("/health", headers={"X-Request-Id": request_id, "traceparent": "garbage"})
    record, span = _lines_for(stack, request_id)
    assert span["parentSpanId"] is None
    assert record["logging.googleapis.com/trace"] == (
        f"projects/{stack.project_id}/traces/{span['traceId']}"
    )
    assert record["logging.googleapis.com/spanId"] == span["spanId"]
