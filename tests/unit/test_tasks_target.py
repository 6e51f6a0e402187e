"""Cloud Tasks calls match_timeout at its own URL, with an OIDC token for that URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from common import tasks
from common.config import get_settings
from common.matching.service import CALLBACK_PATH
from common.registry import by_name

TIMEOUT_URL = "https://match-timeout-123456789012.europe-west1.run.app"
TASKS_SA = "peerprep-tasks@peerprep-prod.iam.gserviceaccount.com"


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    requests: list[dict[str, Any]] = []

    class FakeClient:
        def create_task(self, request: dict[str, Any], timeout: float) -> None:
            requests.append(request)

    for name in ("TASKS_CALLBACK_SECRET", "PUBLIC_BASE_URL", "CALLBACK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "peerprep-prod")
    monkeypatch.setenv("TASKS_SERVICE_ACCOUNT", TASKS_SA)
    monkeypatch.setattr(tasks, "tasks_client", FakeClient)
    monkeypatch.setattr(tasks, "queue_path", lambda: "projects/p/locations/l/queues/q")
    get_settings.cache_clear()
    yield requests
    get_settings.cache_clear()


def _enqueue() -> None:
    tasks.enqueue_callback(
        task_id="r1-relax",
        path=CALLBACK_PATH,
        payload={"uid": "u", "requestId": "r1", "stage": "relax"},
        run_at=dt.datetime.now(dt.UTC),
    )


def test_production_targets_the_function_url_with_a_token_for_it(
    created: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCH_TIMEOUT_URL", TIMEOUT_URL)
    _enqueue()
    (request,) = created
    http = request["task"]["http_request"]
    assert http["url"] == f"{TIMEOUT_URL}{CALLBACK_PATH}"
    # The function, called at its own URL, serves that path.
    assert by_name("match_timeout").path_regex().match(urlparse(http["url"]).path)
    assert http["oidc_token"] == {"service_account_email": TASKS_SA, "audience": TIMEOUT_URL}


def test_local_runs_keep_the_gateway_base_url(
    created: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCH_TIMEOUT_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8080/api")
    _enqueue()
    url = created[0]["task"]["http_request"]["url"]
    assert url == f"http://127.0.0.1:8080/api{CALLBACK_PATH}"


def test_no_callback_url_is_an_error(
    created: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCH_TIMEOUT_URL", raising=False)
    with pytest.raises(RuntimeError, match="MATCH_TIMEOUT_URL"):
        _enqueue()
