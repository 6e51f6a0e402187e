"""Pub/Sub publishing, with the caller's trace carried along in the message attributes."""

from __future__ import annotations

import json
from typing import Any

from common.clients import publisher, topic_path
from common.logs import current_trace

__all__ = ["publish_json", "trace_attributes"]

_PUBLISH_TIMEOUT_S = 10.0


def trace_attributes() -> dict[str, str]:
    """Return the headers or attributes that carry the current trace to the next hop."""
    trace = current_trace()
    return {"traceparent": trace.child().traceparent()} if trace else {}


def publish_json(topic: str, payload: dict[str, Any]) -> str:
    """Publish a JSON message (never an empty body) with the trace, and wait for its id."""
    client = publisher()
    data = json.dumps(payload, separators=(",", ":")).encode()
    future = client.publish(topic_path(topic), data, **trace_attributes())
    message_id: str = future.result(timeout=_PUBLISH_TIMEOUT_S)
    return message_id
