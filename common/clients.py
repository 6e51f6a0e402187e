"""Google Cloud clients, created lazily once per instance and aware of the local emulators.

Firestore and Pub/Sub read ``FIRESTORE_EMULATOR_HOST`` / ``PUBSUB_EMULATOR_HOST`` themselves;
Cloud Tasks has no such switch, so ``CLOUD_TASKS_EMULATOR_HOST`` selects an insecure gRPC channel.
Heavy imports stay inside the accessors so that a function pays only for what it uses.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from common.config import get_settings
from common.errors import ApiError, ErrorCode

if TYPE_CHECKING:
    from google.cloud import firestore, tasks_v2
    from google.cloud.pubsub_v1 import PublisherClient

__all__ = [
    "bound_calls",
    "checked_id",
    "firestore_client",
    "publisher",
    "queue_path",
    "tasks_client",
    "topic_path",
]


_RESERVED_ID = re.compile(r"^__.*__$")


def checked_id(value: str, *, what: str) -> str:
    """Return ``value`` if Firestore can hold it as a document id, else answer 404.

    Ids come from URL paths: one Firestore refuses (``..``, ``__x__``, too long) names
    nothing that exists, and must not become a 500.
    """
    if (
        not value
        or "/" in value
        or value in {".", ".."}
        or _RESERVED_ID.match(value)
        or len(value.encode("utf-8")) > 1500
    ):
        raise ApiError(ErrorCode.NOT_FOUND, f"No {what} has this id")
    return value


@functools.cache
def firestore_client() -> firestore.Client:
    """Return this instance's Firestore client (each call bounded: ``bound_calls``)."""
    from google.cloud import firestore

    settings = get_settings()
    client = firestore.Client(project=settings.project_id, database=settings.firestore_database)
    bound_calls(client, settings.firestore_call_timeout_s)
    return client


def bound_calls(client: firestore.Client, seconds: float) -> int:
    """Make every call of ``client`` give up after ``seconds``, its retries included; return how
    many methods were bounded.

    The library retries an unavailable Firestore for 60 to 300 s by default, so a request would
    hang that long, and end in the platform's timeout, while Firestore is down. Bounded, the call
    raises ``RetryError`` (or ``DeadlineExceeded``), which the HTTP layer answers with 503 and
    ``Retry-After``. The library has no public setting for its default retries: this changes
    those of the client's generated methods, which keep their own rules of what to retry.
    ``tests/test_faults.py`` checks it against the stopped emulator, so a library update that
    moves them fails there.
    """
    bounded = 0
    transport = client._firestore_api._transport
    for method in transport._wrapped_methods.values():
        retry = getattr(method, "_retry", None)
        if retry is not None:
            method._retry = retry.with_timeout(seconds)
            bounded += 1
        timeout = getattr(method, "_timeout", None)
        if isinstance(timeout, int | float):
            method._timeout = min(timeout, seconds)
    return bounded


@functools.cache
def publisher() -> PublisherClient:
    """Return this instance's Pub/Sub publisher (one per instance)."""
    from google.cloud.pubsub_v1 import PublisherClient
    from google.cloud.pubsub_v1.types import BatchSettings

    return PublisherClient(batch_settings=BatchSettings(max_latency=0.005))


def topic_path(topic: str) -> str:
    """Return the full resource name of a topic in this project."""
    return f"projects/{get_settings().project_id}/topics/{topic}"


@functools.cache
def tasks_client() -> tasks_v2.CloudTasksClient:
    """Return this instance's Cloud Tasks client (the emulator's when one is configured)."""
    from google.cloud import tasks_v2

    emulator = get_settings().cloud_tasks_emulator_host
    if emulator:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(emulator)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def queue_path() -> str:
    """Return the full resource name of the match timeouts queue."""
    settings = get_settings()
    return (
        f"projects/{settings.project_id}/locations/{settings.tasks_location}"
        f"/queues/{settings.tasks_queue}"
    )
