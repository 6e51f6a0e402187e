"""Cloud Tasks calls match_timeout at its own URL, with an OIDC token for that URL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from common.config import get_settings
from common.matching.service import CALLBACK_PATH
from common.registry import by_name
from common.tasks import callback_request

TIMEOUT_URL = "https://match-timeout-123456789012.europe-west1.run.app"
TASKS_SA = "peerprep-tasks@peerprep-prod.iam.gserviceaccount.com"
PAYLOAD = {"uid": "u", "requestId": "r1", "stage": "relax"}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings as deploy.sh sets them, read afresh."""
    for name in ("TASKS_CALLBACK_SECRET", "PUBLIC_BASE_URL", "CALLBACK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "peerprep-prod")
    monkeypatch.setenv("TASKS_SERVICE_ACCOUNT", TASKS_SA)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_production_targets_the_function_url_with_a_token_for_it(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCH_TIMEOUT_URL", TIMEOUT_URL)
    request = callback_request(path=CALLBACK_PATH, payload=PAYLOAD)
    assert request["url"] == f"{TIMEOUT_URL}{CALLBACK_PATH}"
    # The function, called at its own URL, serves that path.
    assert by_name("match_timeout").path_regex().match(urlparse(request["url"]).path)
    assert request["oidc_token"] == {"service_account_email": TASKS_SA, "audience": TIMEOUT_URL}
    assert request["body"] == b'{"uid":"u","requestId":"r1","stage":"relax"}'


def test_local_runs_keep_the_gateway_base_url(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MATCH_TIMEOUT_URL", raising=False)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8080/api")
    request = callback_request(path=CALLBACK_PATH, payload=PAYLOAD)
    assert request["url"] == f"http://127.0.0.1:8080/api{CALLBACK_PATH}"


def test_no_callback_url_is_an_error(production: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCH_TIMEOUT_URL", raising=False)
    with pytest.raises(RuntimeError, match="MATCH_TIMEOUT_URL"):
        callback_request(path=CALLBACK_PATH, payload=PAYLOAD)
