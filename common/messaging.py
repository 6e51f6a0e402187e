"""Pub/Sub publishing and Cloud Tasks scheduling, with the caller's trace carried along."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import TYPE_CHECKING, Any

from common.auth import TASKS_SECRET_HEADER
from common.clients import queue_path, tasks_client, topic_path
from common.config import get_settings
from common.logs import current_trace, get_logger

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import PublisherClient

__all__ = ["enqueue_callback", "ordered_publisher", "publish_json"]

_PUBLISH_TIMEOUT_S = 10.0
_log = get_logger(__name__)


@functools.cache
def ordered_publisher() -> PublisherClient:
    """Return this instance's publisher with message ordering on (one per instance)."""
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.pubsub_v1.types import BatchSettings, PublisherOptions

    return PublisherClient(
        batch_settings=BatchSettings(max_latency=0.005),
        publisher_options=PublisherOptions(enable_message_ordering=True),
    )


def _trace_attributes() -> dict[str, str]:
    trace = current_trace()
    return {"traceparent": trace.child().traceparent()} if trace else {}


def publish_json(topic: str, payload: dict[str, Any], *, ordering_key: str) -> str:
    """Publish a JSON message (never an empty body) and wait for its id.

    Messages with the same ordering key are delivered one after the other, so the subscriber
    handles one key's work serially.
    """
    publisher = ordered_publisher()
    path = topic_path(topic)
    data = json.dumps(payload, separators=(",", ":")).encode()
    try:
        future = publisher.publish(path, data, ordering_key=ordering_key, **_trace_attributes())
        message_id: str = future.result(timeout=_PUBLISH_TIMEOUT_S)
    except Exception:
        # A failed publish pauses its ordering key in this client until resumed.
        publisher.resume_publish(path, ordering_key)
        raise
    return message_id


def enqueue_callback(
    *, task_id: str, path: str, payload: dict[str, Any], run_at: dt.datetime
) -> bool:
    """Schedule an HTTP POST of ``payload`` to ``path`` under the API base URL at ``run_at``.

    The task is named ``task_id``: Cloud Tasks refuses a second task of the same name, which
    is taken as success (returns False). Local runs authenticate with the shared secret,
    production with an OIDC token of the tasks service account.
    """
    from google.api_core import exceptions as google_exceptions
    from google.cloud import tasks_v2
    from google.protobuf import timestamp_pb2

    settings = get_settings()
    if not settings.public_base_url:
        raise RuntimeError("PUBLIC_BASE_URL is not set: Cloud Tasks cannot call back")
    url = settings.public_base_url.rstrip("/") + path
    headers = {"Content-Type": "application/json", **_trace_attributes()}
    http_request: dict[str, Any] = {
        "http_method": tasks_v2.HttpMethod.POST,
        "url": url,
        "headers": headers,
        "body": json.dumps(payload, separators=(",", ":")).encode(),
    }
    if settings.tasks_callback_secret is not None:
        headers[TASKS_SECRET_HEADER] = settings.tasks_callback_secret.get_secret_value()
    elif settings.tasks_service_account:
        http_request["oidc_token"] = {
            "service_account_email": settings.tasks_service_account,
            "audience": settings.tasks_audience or url,
        }
    schedule = timestamp_pb2.Timestamp()
    schedule.FromDatetime(run_at.astimezone(dt.UTC).replace(tzinfo=None))
    task = {
        "name": f"{queue_path()}/tasks/{task_id}",
        "http_request": http_request,
        "schedule_time": schedule,
    }
    try:
        tasks_client().create_task(request={"parent": queue_path(), "task": task}, timeout=10.0)
    except google_exceptions.AlreadyExists:
        _log.info("task already scheduled", extra={"taskId": task_id})
        return False
    return True
