"""Cloud Tasks scheduling: named HTTP callbacks, with the caller's trace carried along."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from common.auth import TASKS_SECRET_HEADER
from common.clients import queue_path, tasks_client
from common.config import get_settings
from common.logs import get_logger
from common.tracing import span, trace_headers

__all__ = ["callback_request", "enqueue_callback"]

_log = get_logger(__name__)


def callback_request(*, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Return the HTTP request a callback task makes: URL, headers, body, and its credentials.

    The base is CALLBACK_BASE_URL: in production the target function's own URL
    (MATCH_TIMEOUT_URL), whose Cloud Run service lets in only the tasks account's OIDC token for
    that URL (a gateway in between would swap the token for its own). The function matches
    ``path`` at the end of any request path, so the same call works against the local gateway's
    ``…/api``. Local runs authenticate with the shared secret instead.
    """
    settings = get_settings()
    if not settings.callback_base_url:
        raise RuntimeError("MATCH_TIMEOUT_URL is not set: Cloud Tasks cannot call back")
    base = settings.callback_base_url.rstrip("/")
    headers = {"Content-Type": "application/json", **trace_headers()}
    request: dict[str, Any] = {
        "http_method": "POST",
        "url": base + path,
        "headers": headers,
        "body": json.dumps(payload, separators=(",", ":")).encode(),
    }
    if settings.tasks_callback_secret is not None:
        headers[TASKS_SECRET_HEADER] = settings.tasks_callback_secret.get_secret_value()
    elif settings.tasks_service_account:
        request["oidc_token"] = {
            "service_account_email": settings.tasks_service_account,
            "audience": settings.tasks_audience or base,
        }
    return request


def enqueue_callback(
    *, task_id: str, path: str, payload: dict[str, Any], run_at: dt.datetime
) -> bool:
    """Schedule the callback request (``callback_request``) at ``run_at``.

    The task is named ``task_id``: Cloud Tasks refuses a second task of the same name, which
    is taken as success (returns False). It is created in a client span, which the callback's
    headers name as the parent of the callback's own span.
    """
    from google.api_core import exceptions as google_exceptions
    from google.protobuf import timestamp_pb2

    schedule = timestamp_pb2.Timestamp()
    schedule.FromDatetime(run_at.astimezone(dt.UTC).replace(tzinfo=None))
    attributes = {"peerprep.task.id": task_id, "peerprep.task.path": path}
    with span("tasks.enqueue", kind="client", attributes=attributes) as current:
        task = {
            "name": f"{queue_path()}/tasks/{task_id}",
            "http_request": callback_request(path=path, payload=payload),
            "schedule_time": schedule,
        }
        try:
            tasks_client().create_task(request={"parent": queue_path(), "task": task}, timeout=10.0)
        except google_exceptions.AlreadyExists:
            _log.info("task already scheduled", extra={"taskId": task_id})
            current.set_attribute("peerprep.task.existed", True)
            return False
    return True
