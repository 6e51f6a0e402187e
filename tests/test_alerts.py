"""The log-based metrics that the alerts read count the lines the functions really write.

A function writes one JSON line per event on stdout. Cloud Logging (Cloud Run's logging agent)
turns it into a LogEntry: these top-level fields become the entry's own fields, the rest its
``jsonPayload`` (https://cloud.google.com/logging/docs/structured-logging):

    severity                                  -> severity
    httpRequest                               -> httpRequest (an HttpRequest: status, latency…)
    logging.googleapis.com/trace              -> trace
    logging.googleapis.com/spanId             -> spanId
    logging.googleapis.com/trace_sampled      -> traceSampled
    logging.googleapis.com/labels             -> labels
    logging.googleapis.com/insertId           -> insertId
    logging.googleapis.com/operation          -> operation
    logging.googleapis.com/sourceLocation     -> sourceLocation
    time / timestamp                          -> timestamp
    everything else (message included)        -> jsonPayload

The tests below capture real lines (a failing function called through Flask, a matching event
logged through the same logger) and evaluate the filters that deploy.sh plans against the
LogEntry built that way.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest

from common.http import Call, endpoint
from common.logs import configure_logging, get_logger
from devstack.stack import ROOT

_SPECIAL = {
    "severity": "severity",
    "httpRequest": "httpRequest",
    "logging.googleapis.com/trace": "trace",
    "logging.googleapis.com/spanId": "spanId",
    "logging.googleapis.com/trace_sampled": "traceSampled",
    "logging.googleapis.com/labels": "labels",
    "logging.googleapis.com/insertId": "insertId",
    "logging.googleapis.com/operation": "operation",
    "logging.googleapis.com/sourceLocation": "sourceLocation",
    "time": "timestamp",
    "timestamp": "timestamp",
}


def log_entry(line: str) -> dict[str, Any]:
    """Return the LogEntry Cloud Logging builds from one structured (JSON) log line."""
    payload = json.loads(line)
    entry: dict[str, Any] = {"resource": {"type": "cloud_run_revision"}}
    for key in list(payload):
        if key in _SPECIAL:
            entry[_SPECIAL[key]] = payload.pop(key)
    entry["jsonPayload"] = payload
    return entry


_MISSING = object()


def _field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


_CLAUSE = re.compile(r'^(?P<path>[\w.]+)\s*(?P<op>>=|<=|!=|=|>|<|:)\s*(?P<value>"[^"]*"|\S+)$')


def matches(log_filter: str, entry: dict[str, Any]) -> bool:
    """Evaluate the Logging query language's subset our filters use: clauses joined by AND,
    each ``path OP value`` with OP in = != > >= < <= or ``path:*`` (the field is present)."""
    for clause in re.split(r"\s+AND\s+", log_filter.strip()):
        found = _CLAUSE.match(clause.strip())
        assert found is not None, f"unsupported clause {clause!r}"
        value = _field(entry, found["path"])
        op, wanted = found["op"], found["value"]
        if op == ":" and wanted == "*":
            if value is _MISSING:
                return False
            continue
        if value is _MISSING:
            return False
        if wanted.startswith('"'):
            ok = str(value) == wanted[1:-1] if op == "=" else str(value) != wanted[1:-1]
        else:
            number = float(wanted)
            ok = {
                "=": value == number,
                "!=": value != number,
                ">": value > number,
                ">=": value >= number,
                "<": value < number,
                "<=": value <= number,
            }[op]
        if not ok:
            return False
    return True


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The functions' real log handler (configure_logging), writing into a buffer."""
    configure_logging(project_id="peerprep-prod")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_peerprep", False))
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def planned_filters(tmp_path: Path) -> dict[str, str]:
    """The log filter of each metric that deploy.sh's dry run creates."""
    env = {**os.environ, "FIREBASE": "firebase"}
    result = subprocess.run(
        ["bash", str(ROOT / "deploy.sh"), "--project", "peerprep-prod", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    filters = {}
    for line in result.stdout.splitlines():
        if line.startswith("+ gcloud") and " logging metrics create " in line:
            words = shlex.split(line[2:])
            name = words[words.index("create") + 1]
            config = next(w for w in words if w.startswith("--config-from-file=")).split("=", 1)[1]
            filters[name] = json.loads((ROOT / config).read_text())["filter"]
    return filters


def event_of(log_filter: str) -> str | None:
    """The event a metric counts, when its filter is ``jsonPayload.event="..."``."""
    found = re.fullmatch(r'jsonPayload\.event="(\w+)"', log_filter)
    return found[1] if found else None


def _request_lines(app: flask.Flask, buffer: io.StringIO) -> list[dict[str, Any]]:
    app.test_client().get(
        "/",
        headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    return [log_entry(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _app(error: BaseException | None) -> flask.Flask:
    @endpoint(method="GET", path="/", access="public")
    def probe(call: Call) -> dict[str, str]:
        if error is not None:
            raise error
        return {"ok": "yes"}

    app = flask.Flask(__name__)
    app.add_url_rule("/", "run", lambda: probe(flask.request))
    return app


def test_server_errors_counts_a_500_and_nothing_else(
    tmp_path: Path, log_lines: io.StringIO
) -> None:
    server_errors = planned_filters(tmp_path)["server_errors"]
    entries = _request_lines(_app(RuntimeError("a bug")), log_lines)
    counted = [entry for entry in entries if matches(server_errors, entry)]
    assert len(counted) == 1, entries
    (entry,) = counted
    assert entry["httpRequest"]["status"] == 500
    assert re.fullmatch(r"projects/[\w-]+/traces/0af7651916cd43dd8448eb211c80319c", entry["trace"])
    assert "httpRequest" not in entry["jsonPayload"]
    # The old filter read the status from the payload, where it never is.
    assert not matches("jsonPayload.httpRequest.status>=500", entry)
    log_lines.seek(0)
    log_lines.truncate()
    fine = _request_lines(_app(None), log_lines)
    assert fine and not any(matches(server_errors, entry) for entry in fine)


def test_each_event_metric_counts_its_event(tmp_path: Path, log_lines: io.StringIO) -> None:
    filters = planned_filters(tmp_path)
    by_event = {name: event for name, f in filters.items() if (event := event_of(f)) is not None}
    events = sorted(set(by_event.values()))
    assert {"match_created", "match_timed_out", "match_requested", "code_run"} <= set(events)
    sources = "".join(p.read_text() for p in (ROOT / "common").rglob("*.py"))
    for event in events:
        # Each event is one the code logs, with the same call the code uses.
        assert f'"{event}"' in sources, event
        get_logger("common.matching.service").info(event, extra={"event": event, "uid": "u"})
    entries = [log_entry(line) for line in log_lines.getvalue().splitlines()]
    for name, event in by_event.items():
        counted = [e for e in entries if matches(filters[name], e)]
        assert [e["jsonPayload"]["event"] for e in counted] == [event], name


def test_the_alert_policy_reads_the_metrics_and_counts_errors_not_a_rate() -> None:
    policy = json.loads((ROOT / "ops/alert-policies.json").read_text())
    for condition in policy["conditions"]:
        threshold = condition["conditionThreshold"]
        assert "logging.googleapis.com/user/" in threshold["filter"]
        for aggregation in threshold["aggregations"]:
            # A rate would be per second: 1 would mean 60 errors a minute.
            assert aggregation["perSeriesAligner"] in {"ALIGN_DELTA", "ALIGN_SUM"}
            assert aggregation["crossSeriesReducer"] == "REDUCE_SUM"
