"""The wrapper every Pub/Sub-triggered function shares: declaration, decode, span, ack or retry.

    @event_endpoint(message=MatchMessage)
    def match_worker(message: MatchMessage) -> str: ...

An event function returns to acknowledge. It raises only for transient failures, so that
Pub/Sub delivers the message again; a malformed message is logged and dropped, since no retry
could ever succeed. Each delivery is one consumer span named after the function, a child of
the publisher's span that the message attributes carry (``common.pubsub``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable
from typing import Any

from cloudevents.http import CloudEvent
from pydantic import BaseModel, ValidationError

from common.config import get_settings
from common.errors import ApiError
from common.logs import bind_request, configure_logging, get_logger
from common.registry import Endpoint, declare
from common.tracing import extract, span

__all__ = ["event_endpoint"]

_log = get_logger(__name__)


def _payload(message: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(message.get("data") or "", validate=True))


def event_endpoint(
    *, message: type[BaseModel]
) -> Callable[[Callable[[Any], str]], Callable[[CloudEvent], None]]:
    """Declare a Pub/Sub push function taking ``message`` payloads, and wrap its handler into a
    functions-framework CloudEvent function."""
    import functions_framework

    model = message

    def decorate(handler: Callable[[Any], str]) -> Callable[[CloudEvent], None]:
        name = handler.__name__
        doc = (handler.__doc__ or name).strip().splitlines()[0]
        declare(
            Endpoint(
                name=name,
                module=handler.__module__,
                summary=doc.rstrip("."),
                access="pubsub",
                tag=handler.__module__.rsplit(".", 1)[-1],
                message=model,
            )
        )

        @functools.wraps(handler)
        def run(event: CloudEvent) -> None:
            settings = get_settings()
            configure_logging(project_id=settings.project_id, level=settings.log_level)
            data = event.data if isinstance(event.data, dict) else {}
            message = data.get("message") or {}
            attributes = message.get("attributes") or {}
            message_id = str(message.get("messageId") or message.get("message_id") or "")
            traced = {"messaging.system": "gcp_pubsub", "messaging.message.id": message_id}
            with (
                bind_request(request_id=message_id or None),
                span(
                    name, kind="consumer", attributes=traced, parent=extract(attributes)
                ) as current,
            ):
                try:
                    payload = model.model_validate(_payload(message))
                except (ValueError, binascii.Error, ValidationError):
                    _log.warning("dropped a malformed message", extra={"function": name})
                    current.set_attribute("peerprep.outcome", "malformed")
                    return
                try:
                    outcome = handler(payload)
                except ApiError as err:
                    _log.warning(
                        "dropped a message that cannot succeed",
                        extra={"function": name, "code": err.code.value, "reason": err.message},
                    )
                    current.set_attribute("peerprep.outcome", f"dropped: {err.code.value}")
                    return
                except Exception:
                    _log.exception(
                        "message failed; Pub/Sub will deliver it again", extra={"function": name}
                    )
                    raise
                _log.info("message handled", extra={"function": name, "outcome": outcome})
                current.set_attribute("peerprep.outcome", outcome)

        wrapped: Callable[[CloudEvent], None] = functions_framework.cloud_event(run)
        return wrapped

    return decorate
