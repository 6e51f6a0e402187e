"""main.py and the registry: lazy names, functions-framework targets, the OpenAPI document."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from openapi_spec_validator import validate

from common.registry import all_endpoints, http_endpoints
from devstack.stack import ROOT, LocalStack, Service, free_port
from tests.support import Api


def test_resolving_health_loads_neither_genai_nor_pycrdt() -> None:
    heavy = ("google.genai", "pycrdt", "google.cloud.firestore")
    probe = (
        f"import sys, main; main.health; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_main_exposes_every_registered_function() -> None:
    import main

    assert {endpoint.name: endpoint.module for endpoint in all_endpoints()} == main.FUNCTIONS
    assert sorted(main.__all__) == sorted(endpoint.name for endpoint in all_endpoints())
    assert callable(main.health)
    assert not hasattr(main, "no_such_function")


def test_a_function_runs_alone_under_functions_framework(stack: LocalStack, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "ff.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "functions-framework"),
                "--target=health",
                f"--port={port}",
                "--source=main.py",
            ],
            cwd=ROOT,
            env={**os.environ, **stack.client_env()},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service("ff-health", process, log_path)
    try:
        stack.services[service.name] = service
        stack.wait_http(service.name, f"http://127.0.0.1:{port}/")
        response = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["X-Request-Id"]
    finally:
        stack.services.pop(service.name, None)
        service.stop()


def test_openapi_document_is_valid_and_lists_every_endpoint(api: Api) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    operations = {
        operation["operationId"]: (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert operations == {
        endpoint.name: (endpoint.method, endpoint.path) for endpoint in http_endpoints()
    }
    role = document["paths"]["/admin/users/{uid}/role"]["put"]
    assert role["security"] == [{"firebase": []}]
    assert {"401", "403", "422"} <= set(role["responses"])
    schema_ref = role["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.rsplit("/", 1)[-1] in document["components"]["schemas"]


def test_a_cold_function_imports_less_than_its_clients_alone() -> None:
    """Cold start: ``main.match_request`` costs less than importing the clients it could need."""

    def seconds(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
        return time.perf_counter() - started

    function, clients = [], []
    for _ in range(5):  # interleaved, so that the machine's load hits both alike
        function.append(seconds("import main; main.match_request"))
        clients.append(
            seconds("import functions_framework, google.cloud.firestore, firebase_admin.auth")
        )
    ratio = statistics.median(function) / statistics.median(clients)
    assert ratio < 0.9, f"cold import {ratio:.2f}x of the clients alone"
