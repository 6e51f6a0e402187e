"""Readiness: 200 while every dependency answers, 503 naming the one that does not."""

from __future__ import annotations

import time

import requests

from devstack import LocalStack
from tests.support import Api


def test_ready_when_every_dependency_answers(api: Api) -> None:
    response = api.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"firestore": "ok", "pubsub": "ok", "tasks": "ok"},
    }


def test_ready_is_503_naming_firestore_when_it_is_stopped(stack: LocalStack) -> None:
    # A gateway of its own, on a Firestore emulator of its own that this test then stops.
    firestore = stack.start_firestore(name="firestore-ready")
    gateway_name = "api-ready"
    try:
        host = stack.host("firestore-ready")
        stack.wait_http("firestore-ready", f"http://{host}/")
        stack.start_gateway(name=gateway_name, env={"FIRESTORE_EMULATOR_HOST": host})
        url = f"http://{stack.host(gateway_name)}/api/ready"
        # A new instance builds its clients on the first probe: as a platform's readiness probe
        # does, give it a few tries (each answers within the dependency timeout).
        deadline = time.monotonic() + 20
        first = requests.get(url, timeout=30)
        while first.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            first = requests.get(url, timeout=30)
        assert first.status_code == 200, first.text
        firestore.stop()
        response = requests.get(url, timeout=30)
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["error"]["code"] == "unavailable"
        assert "firestore" in body["error"]["message"]
        assert [detail["field"] for detail in body["error"]["details"]] == ["firestore"]
    finally:
        for name in (gateway_name, "firestore-ready"):
            stack.stop_service(name)
