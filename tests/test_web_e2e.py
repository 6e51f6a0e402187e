"""The web client end to end: Playwright drives Debian's chromium through the whole journey.

Two browser contexts sign up, match, edit together, reload, chat, ask for a hint (the gateway's
AI points at the fake Gemini server), leave and read their histories. Screenshots of each step
land in ``web/test-results/journey/``; Playwright's own artifacts (traces of a failure) in
``web/test-results/artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack import LocalStack
from devstack.client import AuthEmulator
from devstack.stack import ROOT
from tests.fake_gemini import DEFAULT_CHUNKS, FakeGemini
from tests.support import unique

WEB = ROOT / "web"
GATEWAY = "api-web"
CHROMIUM = next(
    (p for p in (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium")) if p.exists()), None
)


@pytest.fixture(scope="module")
def web_stack(stack: LocalStack, fake_gemini: FakeGemini) -> Iterator[LocalStack]:
    """A gateway with the AI configured, and the web client served with a config naming it."""
    stack.start_gateway(
        name=GATEWAY,
        env={
            "GEMINI_API_KEY": "e2e-gemini-key",
            "AI_BASE_URL": fake_gemini.base_url,
            "AI_MODEL": "gemini-test-flash",
            "AI_TIMEOUT_S": "10",
        },
    )
    try:
        stack.start_web(api=GATEWAY)
        yield stack
    finally:
        for name in ("web", GATEWAY):
            stack.stop_service(name)


def test_the_web_server_serves_the_client_and_its_config(web_stack: LocalStack) -> None:
    config = requests.get(f"{web_stack.web_url}config.json", timeout=10).json()
    assert config["apiBaseUrl"] == f"http://{web_stack.host(GATEWAY)}/api"
    assert config["emulators"] == {
        "auth": f"http://{web_stack.host('auth')}",
        "firestore": web_stack.host("firestore"),
    }
    page = requests.get(f"{web_stack.web_url}session/some-id", timeout=10)
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    preflight = requests.options(
        f"http://{web_stack.host(GATEWAY)}/api/match",
        headers={
            "Origin": web_stack.web_url.rstrip("/"),
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == web_stack.web_url.rstrip("/")


def _judged_question_and_admin(stack: LocalStack) -> dict[str, str]:
    """An admin with a profile, and a judged question of the bank, for ``e2e/admin.spec.ts``."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    from common.clients import firestore_client

    auth = AuthEmulator(stack)
    admin = auth.make_admin(auth.sign_up())
    profile = requests.post(
        f"{stack.api_url}/users",
        json={"username": unique("admin")[:20]},
        headers={"Authorization": f"Bearer {admin.token}"},
        timeout=30,
    )
    assert profile.status_code == 201, profile.text
    found = (
        firestore_client()
        .collection("questions")
        .where(filter=FieldFilter("slug", "==", "are-two-binary-trees-identical"))
        .get()
    )
    assert len(found) == 1
    return {
        "PEERPREP_E2E_ADMIN_EMAIL": admin.email,
        "PEERPREP_E2E_ADMIN_PASSWORD": admin.password,
        "PEERPREP_E2E_QUESTION_ID": found[0].id,
    }


def test_two_people_practise_together_in_chromium(web_stack: LocalStack) -> None:
    """The journey (``e2e/journey.spec.ts``), and an admin editing a question
    (``e2e/admin.spec.ts``)."""
    assert CHROMIUM is not None, "Debian's chromium is missing: apt-get install chromium"
    shots = WEB / "test-results" / "journey"
    shutil.rmtree(shots, ignore_errors=True)
    env = {
        **os.environ,
        **_judged_question_and_admin(web_stack),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CHROMIUM_PATH": str(CHROMIUM),
        "PEERPREP_WEB_URL": web_stack.web_url,
        "PEERPREP_API": f"http://{web_stack.host(GATEWAY)}/api",
        "PEERPREP_AUTH_EMULATOR": web_stack.host("auth"),
        "PEERPREP_E2E_HINT": "".join(DEFAULT_CHUNKS),
        "PEERPREP_E2E_SHOTS": str(shots),
        "CI": "true",
    }
    result = subprocess.run(
        [str(WEB / "node_modules" / ".bin" / "playwright"), "test"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"playwright failed:\n{output}"
    assert len(list(shots.glob("*.png"))) >= 10, output
