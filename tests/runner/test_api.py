"""The runner's HTTP contract: authentication, validation, error shape, limits of a request."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys

import requests

from devstack.stack import ROOT
from tests.runner.programs import HELLO
from tests.runner.support import RunnerService

HELLO_RUN = {"language": "python", "source": HELLO["python"], "tests": [{"expected": "hello"}]}


def _error(response: requests.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "requestId"}
    assert body["error"]["code"] == code
    assert body["requestId"] == response.headers["X-Request-Id"]
    return body["error"]  # type: ignore[no-any-return]


def test_health_says_how_the_sandbox_bounds_memory(runner: RunnerService) -> None:
    response = runner.http.get(f"{runner.url}/health", timeout=10)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "sandbox": "cgroup-v1+uid-per-cell",
        "missingLanguages": [],
    }


def test_a_run_without_the_secret_is_refused(runner: RunnerService) -> None:
    response = runner.http.post(f"{runner.url}/run", json=HELLO_RUN, timeout=10)

    _error(response, 401, "unauthenticated")


def test_a_run_with_a_wrong_secret_is_refused(runner: RunnerService) -> None:
    response = runner.post(HELLO_RUN, headers={"X-Runner-Secret": "not-the-secret"})

    _error(response, 401, "unauthenticated")


def test_the_request_id_is_echoed(runner: RunnerService) -> None:
    response = runner.post(HELLO_RUN, headers={"X-Request-Id": "req-123"})

    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-123"


def test_a_request_outside_the_schema_is_a_validation_error(runner: RunnerService) -> None:
    body = {
        "language": "cobol",
        "source": "",
        "tests": [],
        "limits": {"cpuS": 60, "memoryMb": 8192},
        "extra": 1,
    }

    error = _error(runner.post(body), 422, "validation_error")

    locations = {tuple(detail["loc"]) for detail in error["details"]}  # type: ignore[attr-defined]
    assert {
        ("language",),
        ("source",),
        ("tests",),
        ("limits", "cpuS"),
        ("limits", "memoryMb"),
        ("extra",),
    } <= locations


def test_too_many_tests_is_a_validation_error(runner: RunnerService) -> None:
    body = {**HELLO_RUN, "tests": [{}] * 65}

    _error(runner.post(body), 422, "validation_error")


def test_limits_that_add_up_past_the_request_budget_are_a_validation_error(
    runner: RunnerService,
) -> None:
    body = {**HELLO_RUN, "tests": [{}] * 20, "limits": {"cpuS": 10, "wallS": 30}}

    error = _error(runner.post(body), 422, "validation_error")

    assert "600 s" in str(error["message"])


def test_a_body_that_is_not_json_is_a_bad_request(runner: RunnerService) -> None:
    response = runner.http.post(
        f"{runner.url}/run",
        data=b"{not json",
        headers={"X-Runner-Secret": runner.secret, "Content-Type": "application/json"},
        timeout=10,
    )

    _error(response, 400, "bad_request")


def test_a_body_that_is_not_declared_json_is_unsupported(runner: RunnerService) -> None:
    response = runner.http.post(
        f"{runner.url}/run",
        data=b"print(1)",
        headers={"X-Runner-Secret": runner.secret, "Content-Type": "text/plain"},
        timeout=10,
    )

    _error(response, 415, "unsupported_media_type")


def test_a_body_over_the_cap_is_refused(runner: RunnerService) -> None:
    body = {**HELLO_RUN, "source": "#" * (9 * 1024 * 1024)}

    _error(runner.post(body), 413, "payload_too_large")


def test_unknown_paths_and_methods_have_the_error_shape(runner: RunnerService) -> None:
    _error(runner.http.get(f"{runner.url}/nope", timeout=10), 404, "not_found")
    _error(runner.http.get(f"{runner.url}/run", timeout=10), 405, "method_not_allowed")


def test_two_runs_at_once_both_finish(runner: RunnerService) -> None:
    slow = {**HELLO_RUN, "source": "import time\ntime.sleep(0.5)\nprint('hello')"}

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: runner.post(slow).json(), range(3)))

    assert [r["verdict"] for r in results] == ["accepted"] * 3


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", "--port", "1"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_production_refuses_to_start_without_its_oidc_configuration() -> None:
    result = _start({"K_SERVICE": "runner", "RUNNER_SECRET": "x" * 32})

    assert result.returncode == 2
    assert "RUNNER_AUDIENCE and RUNNER_ALLOWED_INVOKERS are required" in result.stdout


def test_a_local_runner_refuses_to_start_without_a_secret() -> None:
    result = _start({})

    assert result.returncode == 2
    assert "RUNNER_SECRET" in result.stdout
