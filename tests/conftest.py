"""The test harness: one local stack (real emulators and the gateway) for the whole session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from common.config import get_settings
from devstack import LocalStack
from tests.fake_gemini import FakeGemini
from tests.support import Api, AuthEmulator, EmulatorUser

ALLOWED_ORIGIN = "https://app.peerprep.test"
TEST_ENV = {
    "ALLOWED_ORIGINS": ALLOWED_ORIGIN,
    "MATCH_RELAX_SECONDS": "2",
    "MATCH_EXPIRE_SECONDS": "5",
    "DEPENDENCY_TIMEOUT_S": "2",
    "COMPACTION_THRESHOLD": "20",
    "COMPACTION_GRACE_S": "0",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """Start the emulators and the gateway once; a failure to start fails the tests."""
    local = LocalStack(extra_env=TEST_ENV)
    local.start()
    saved = dict(os.environ)
    try:
        local.seed()
        os.environ.update({**local.client_env(), **TEST_ENV})
        get_settings.cache_clear()
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def api(stack: LocalStack) -> Api:
    """The gateway, as a client sees it."""
    return Api(stack.api_url)


@pytest.fixture(scope="session")
def auth(stack: LocalStack) -> AuthEmulator:
    """The Auth emulator's REST API."""
    return AuthEmulator(stack)


@pytest.fixture
def user(auth: AuthEmulator) -> EmulatorUser:
    """A new signed-in user."""
    return auth.sign_up()


@pytest.fixture
def admin(auth: AuthEmulator) -> EmulatorUser:
    """A new signed-in user with the admin claim."""
    return auth.make_admin(auth.sign_up())


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Let a test change the environment and see new settings; restore both afterwards."""
    saved = dict(os.environ)
    get_settings.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def fake_gemini() -> Iterator[FakeGemini]:
    """The fake Gemini API, on 127.0.0.1 at a free port, for one module."""
    fake = FakeGemini()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
