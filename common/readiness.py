"""Readiness checks: each dependency answers a cheap call within the dependency timeout."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from common.clients import firestore_client, publisher, queue_path, tasks_client, topic_path
from common.config import get_settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger

__all__ = ["check_dependencies"]

_log = get_logger(__name__)


def _firestore(timeout: float) -> None:
    firestore_client().collection("_health").document("ready").get(timeout=timeout, retry=None)


def _pubsub(timeout: float) -> None:
    topic = topic_path(get_settings().match_topic)
    publisher().get_topic(request={"topic": topic}, timeout=timeout, retry=None)


def _tasks(timeout: float) -> None:
    tasks_client().get_queue(name=queue_path(), timeout=timeout, retry=None)


_CHECKS: dict[str, Callable[[float], None]] = {
    "firestore": _firestore,
    "pubsub": _pubsub,
    "tasks": _tasks,
}


def check_dependencies() -> dict[str, str]:
    """Run every check at once; raise 503 naming each part that failed, else return them ok."""
    timeout = get_settings().dependency_timeout_s
    failures: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=len(_CHECKS)) as pool:
        futures = {name: pool.submit(check, timeout) for name, check in _CHECKS.items()}
        for name, future in futures.items():
            try:
                future.result(timeout=timeout + 1)
            except FutureTimeout:
                failures[name] = "timed out"
            except Exception as exc:
                _log.warning(
                    "readiness check failed", extra={"dependency": name, "error": repr(exc)}
                )
                failures[name] = type(exc).__name__
    if failures:
        names = ", ".join(sorted(failures))
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            f"Not ready: {names} unreachable",
            details=[
                {"field": name, "message": reason, "type": "dependency_unavailable"}
                for name, reason in sorted(failures.items())
            ],
        )
    return dict.fromkeys(_CHECKS, "ok")
