"""Pub/Sub publishing, with the caller's trace carried along in the message attributes."""

from __future__ import annotations

import json
from typing import Any

from common.clients import publisher, topic_path
from common.tracing import span, trace_headers

__all__ = ["publish_json"]

_PUBLISH_TIMEOUT_S = 10.0


def publish_json(topic: str, payload: dict[str, Any]) -> str:
    """Publish a JSON message (never an empty body) with the trace, and wait for its id.

    The message is published in a producer span whose context the attributes carry, so the
    function that receives it continues the trace as that span's child.
    """
    client = publisher()
    data = json.dumps(payload, separators=(",", ":")).encode()
    attributes = {"messaging.system": "gcp_pubsub", "messaging.destination.name": topic}
    with span("pubsub.publish", kind="producer", attributes=attributes) as current:
        future = client.publish(topic_path(topic), data, **trace_headers())
        message_id: str = future.result(timeout=_PUBLISH_TIMEOUT_S)
        current.set_attribute("messaging.message.id", message_id)
    return message_id
