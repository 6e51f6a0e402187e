"""Tracing: one match, made through the real path, is one trace of spans whose parents form a
tree; and the span log line (the local exporter) has the shape the README describes."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.http import Call, endpoint
from common.logs import configure_logging
from common.tracing import extract, span, trace_headers
from devstack import LocalStack
from tests.support import Api, AuthEmulator, wait_for
from tests.test_matching import ask, log_records, player, request_doc, settled

SPAN_FIELDS = {
    "message",
    "event",
    "spanName",
    "kind",
    "traceId",
    "spanId",
    "parentSpanId",
    "start",
    "end",
    "durationMs",
    "status",
    "attributes",
    "logging.googleapis.com/trace",
    "logging.googleapis.com/spanId",
    "logging.googleapis.com/trace_sampled",
    "time",
    "severity",
    "logger",
    "requestId",
}


@pytest.fixture
def log_lines(fresh_settings: None) -> Iterator[io.StringIO]:
    """The functions' real log handler (configure_logging), writing into a buffer."""
    configure_logging(project_id=get_settings().project_id)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_peerprep", False))
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def _probe_app(outcome: BaseException | None = None) -> flask.Flask:
    @endpoint(method="GET", path="/probe", access="public")
    def trace_probe(call: Call) -> dict[str, str]:
        if outcome is not None:
            raise outcome
        return trace_headers()

    app = flask.Flask(__name__)
    app.add_url_rule("/probe", "run", lambda: trace_probe(flask.request))
    return app


def _records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _new_trace() -> tuple[str, str]:
    return secrets.token_hex(16), secrets.token_hex(8)


# ---- the log exporter and the propagation, in process -------------------------------------------


def test_a_function_call_is_one_span_line_under_the_callers_trace(log_lines: io.StringIO) -> None:
    trace_id, caller = _new_trace()
    response = (
        _probe_app()
        .test_client()
        .get("/probe", headers={"traceparent": f"00-{trace_id}-{caller}-01"})
    )
    assert response.status_code == 200
    access, line = _records(log_lines)
    assert set(line) == SPAN_FIELDS
    assert line["event"] == "span" and line["message"] == "span trace_probe"
    assert (line["spanName"], line["kind"], line["status"]) == ("trace_probe", "server", "UNSET")
    assert line["traceId"] == trace_id and line["parentSpanId"] == caller
    assert len(line["spanId"]) == 16 and line["spanId"] != caller
    assert line["start"] <= line["end"] and line["durationMs"] >= 0
    assert line["attributes"] == {
        "http.method": "GET",
        "http.route": "/probe",
        "http.status_code": 200,
        "peerprep.request_id": access["requestId"],
    }
    trace = f"projects/{get_settings().project_id}/traces/{trace_id}"
    assert line["logging.googleapis.com/trace"] == trace
    assert line["logging.googleapis.com/spanId"] == line["spanId"]
    assert line["logging.googleapis.com/trace_sampled"] is True
    # The function's own lines join its span; what it sends on names its span as the parent,
    # in both formats.
    assert access["logging.googleapis.com/trace"] == trace
    assert access["logging.googleapis.com/spanId"] == line["spanId"]
    assert response.json == {
        "traceparent": f"00-{trace_id}-{line['spanId']}-01",
        "x-cloud-trace-context": f"{trace_id}/{int(line['spanId'], 16)};o=1",
    }


def test_a_client_error_leaves_the_span_ok_and_a_bug_marks_it_failed(
    log_lines: io.StringIO,
) -> None:
    _probe_app(ApiError(ErrorCode.NOT_FOUND, "no")).test_client().get("/probe")
    _probe_app(RuntimeError("a bug")).test_client().get("/probe")
    spans = [r for r in _records(log_lines) if r.get("event") == "span"]
    assert [(s["status"], s["attributes"]["http.status_code"]) for s in spans] == [
        ("UNSET", 404),
        ("ERROR", 500),
    ]
    assert spans[0]["attributes"]["peerprep.error"] == "not_found"


def test_traceparent_wins_over_x_cloud_trace_context_in_any_case() -> None:
    (w3c, w3c_span), (google, _) = _new_trace(), _new_trace()
    carrier = {"X-Cloud-Trace-Context": f"{google}/7;o=1", "TraceParent": f"00-{w3c}-{w3c_span}-01"}
    with span("t", parent=extract(carrier)):
        assert trace_headers()["traceparent"].split("-")[1] == w3c
    with span("t", parent=extract({"x-cloud-trace-context": f"{google}/7;o=1"})):
        assert trace_headers()["x-cloud-trace-context"].startswith(f"{google}/")


def test_with_tracing_off_the_callers_trace_still_reaches_the_logs_and_the_next_hop(
    log_lines: io.StringIO,
) -> None:
    os.environ["TRACE_EXPORTER"] = "none"
    get_settings.cache_clear()
    trace_id, caller = _new_trace()
    response = (
        _probe_app()
        .test_client()
        .get("/probe", headers={"traceparent": f"00-{trace_id}-{caller}-01"})
    )
    (access,) = _records(log_lines)  # no span line
    assert access["logging.googleapis.com/spanId"] == caller
    assert response.json is not None
    assert response.json["traceparent"] == f"00-{trace_id}-{caller}-01"


# ---- one match, one trace, on the stack ----------------------------------------------------------


def _spans(stack: LocalStack, trace_id: str) -> dict[str, dict[str, Any]]:
    return {
        r["spanId"]: r
        for r in log_records(stack)
        if r.get("event") == "span" and r.get("traceId") == trace_id
    }


def _path(spans: dict[str, dict[str, Any]], span_id: str) -> list[str]:
    """The names from a span up to the root, then the id of the caller's span it hangs from."""
    names = []
    while span_id in spans:
        names.append(spans[span_id]["spanName"])
        span_id = spans[span_id]["parentSpanId"]
    return [*names, span_id]


def test_one_match_is_one_trace_from_the_posts_to_the_worker_and_the_callbacks(
    api: Api, auth: AuthEmulator, stack: LocalStack
) -> None:
    # The test is the client of both requests: one trace, a span of its own for each POST.
    trace_id, first = _new_trace()
    second = secrets.token_hex(8)
    one, two = player(api, auth), player(api, auth)
    for user, caller in ((one, first), (two, second)):
        ask(
            api,
            user,
            "hard",
            ["backtracking"],
            "java",
            headers={"traceparent": f"00-{trace_id}-{caller}-01"},
        )
    assert wait_for(settled(one, two), 5.0)
    session_id = request_doc(one)["sessionId"]
    assert request_doc(two)["sessionId"] == session_id

    def complete() -> dict[str, dict[str, Any]] | None:
        spans = _spans(stack, trace_id)
        names = [s["spanName"] for s in spans.values()]
        wanted = {"match_request": 2, "match_worker": 1, "matching.sweep.commit": 1}
        if all(names.count(name) >= n for name, n in wanted.items()) and "match_timeout" in names:
            return spans
        return None

    spans = wait_for(complete, 8.0)  # the relax callbacks come 2 s after the requests
    assert spans, sorted(s["spanName"] for s in _spans(stack, trace_id).values())

    # One tree: every span hangs, through spans of this trace, from one of the caller's two.
    for span_id in spans:
        assert _path(spans, span_id)[-1] in {first, second}, _path(spans, span_id)
    posts = {s["parentSpanId"]: s for s in spans.values() if s["spanName"] == "match_request"}
    assert set(posts) == {first, second}
    for user, caller in ((one, first), (two, second)):
        assert posts[caller]["kind"] == "server"
        assert posts[caller]["attributes"] == {
            "http.method": "POST",
            "http.route": "/match",
            "http.status_code": 202,
            "enduser.id": user.uid,
            "peerprep.request_id": posts[caller]["attributes"]["peerprep.request_id"],
        }

    # The pairing: its transaction, in the sweep, in the worker, which the POST's publish
    # reached through the Pub/Sub attributes.
    (sweep,) = [
        s
        for s in spans.values()
        if s["spanName"] == "matching.sweep" and s["attributes"]["peerprep.pairs"] == 1
    ]
    (commit,) = [
        s
        for s in spans.values()
        if s["spanName"] == "matching.sweep.commit" and s["parentSpanId"] == sweep["spanId"]
    ]
    path = _path(spans, commit["spanId"])
    assert path[:5] == [
        "matching.sweep.commit",
        "matching.sweep",
        "match_worker",
        "pubsub.publish",
        "match_request",
    ]
    assert path[5] in {first, second}
    assert commit["attributes"]["db.system"] == "firestore"
    assert commit["attributes"]["peerprep.attempts"] >= 1
    worker = spans[sweep["parentSpanId"]]
    publish = spans[worker["parentSpanId"]]
    assert (worker["kind"], publish["kind"]) == ("consumer", "producer")
    assert (
        worker["attributes"]["messaging.message.id"]
        == publish["attributes"]["messaging.message.id"]
    )
    assert worker["attributes"]["peerprep.outcome"].startswith("swept")

    # A Cloud Tasks callback joins the same trace, under the POST that scheduled it.
    callbacks = [s for s in spans.values() if s["spanName"] == "match_timeout"]
    for callback in callbacks:
        assert _path(spans, callback["spanId"])[1:3] == ["tasks.enqueue", "match_request"]
        assert callback["attributes"]["http.route"] == "/internal/match-timeout"
    # (503 would be a callback come early, which Cloud Tasks tries again: not this one.)
    assert [c["attributes"]["http.status_code"] for c in callbacks] == [200] * len(callbacks)

    # Logs and spans join: the worker's own lines carry its trace and span.
    handled = [
        r
        for r in log_records(stack)
        if r.get("message") == "message handled"
        and r.get("logging.googleapis.com/spanId") == worker["spanId"]
    ]
    assert len(handled) == 1
    assert handled[0]["logging.googleapis.com/trace"] == (
        f"projects/{stack.project_id}/traces/{trace_id}"
    )
