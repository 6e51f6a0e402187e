"""Settings: defaults, validation, and the production guard against emulator variables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from common.config import EMULATOR_HOST_VARIABLES, Settings, get_settings
from devstack.stack import ROOT

pytestmark = pytest.mark.usefixtures("fresh_settings")


def _clear_emulators() -> None:
    for name in EMULATOR_HOST_VARIABLES:
        os.environ.pop(name, None)


@pytest.mark.parametrize("variable", EMULATOR_HOST_VARIABLES)
def test_production_refuses_each_emulator_variable(variable: str) -> None:
    _clear_emulators()
    os.environ["K_SERVICE"] = "users-get-me"
    os.environ[variable] = "127.0.0.1:8080"
    with pytest.raises(ValidationError, match=variable):
        Settings()


def test_production_without_emulators_starts() -> None:
    _clear_emulators()
    os.environ.pop("TASKS_CALLBACK_SECRET", None)
    os.environ["K_SERVICE"] = "health"
    settings = get_settings()
    assert settings.is_production


def test_production_refuses_the_local_tasks_secret() -> None:
    _clear_emulators()
    os.environ["K_SERVICE"] = "match-timeout"
    os.environ["TASKS_CALLBACK_SECRET"] = "local-only"
    with pytest.raises(ValidationError, match="TASKS_CALLBACK_SECRET"):
        Settings()


def test_a_production_function_process_refuses_to_start_with_an_emulator_variable() -> None:
    env = {k: v for k, v in os.environ.items() if k not in EMULATOR_HOST_VARIABLES}
    env.update({"K_SERVICE": "health", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9999"})
    result = subprocess.run(
        [sys.executable, "-c", "import main; main.health"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "FIRESTORE_EMULATOR_HOST" in result.stderr


def test_allowed_origins_are_parsed_and_wildcards_refused() -> None:
    os.environ["ALLOWED_ORIGINS"] = "https://a.example, https://b.example/"
    assert get_settings().allowed_origins == ["https://a.example", "https://b.example"]
    os.environ["ALLOWED_ORIGINS"] = "*"
    with pytest.raises(ValidationError, match="ALLOWED_ORIGINS"):
        Settings()


def test_expiry_must_follow_relax() -> None:
    os.environ["MATCH_RELAX_SECONDS"] = "30"
    os.environ["MATCH_EXPIRE_SECONDS"] = "10"
    with pytest.raises(ValidationError, match="MATCH_EXPIRE_SECONDS"):
        Settings()


def test_settings_are_built_once() -> None:
    assert get_settings() is get_settings()
