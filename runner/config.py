"""Settings of the runner: defaults in code, overridden by ``RUNNER_*`` environment variables."""

from __future__ import annotations

import functools

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConfigError", "Settings", "get_settings"]


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete: the service refuses to start."""


class Settings(BaseSettings):
    """Every knob of the runner; ``RUNNER_SECRET`` sets ``secret`` and so on."""

    model_config = SettingsConfigDict(env_prefix="RUNNER_", extra="ignore", frozen=True)

    # Set by Cloud Run (no prefix): production, where only OIDC tokens are accepted.
    k_service: str | None = Field(default=None, validation_alias="K_SERVICE")
    secret: SecretStr | None = Field(
        default=None, description="Shared secret of the local stack (header X-Runner-Secret)."
    )
    allowed_invokers: str = Field(
        default="", description="Comma-separated service-account emails allowed to call /run."
    )
    audience: str | None = Field(default=None, description="The runner's URL: OIDC audience.")
    oidc_certs_url: str = Field(
        default="https://www.googleapis.com/oauth2/v1/certs",
        description="Where Google's token-signing certificates are fetched from.",
    )

    slots: int = Field(default=1, ge=1, le=16, description="Programs run at the same time.")
    queue_timeout_s: float = Field(default=30.0, gt=0, le=600)
    warm: int = Field(
        default=6, ge=0, le=16, description="Sandboxes kept ready (set up, blocked) per slot."
    )
    cgroup: str = Field(
        default="auto", pattern="^(auto|off)$", description="auto: use cgroup v1 when writable."
    )
    sandbox_uid: int = Field(
        default=1_000_000,
        ge=1000,
        description="Host uids of the sandboxes (when root): 64 blocks of 1000 from here.",
    )
    state_dir: str = Field(
        default="/tmp/peerprep-runner",  # noqa: S108 - per-pid subdirectories, 0711, root-owned
        description="Per-slot boxes live here.",
    )
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_tests: int = Field(default=64, ge=1, le=1000)
    max_request_s: float = Field(
        default=300, gt=0, description="Worst case of a request: compile plus every test's wall."
    )
    log_level: str = "INFO"

    bwrap: str = "/usr/bin/bwrap"
    init_binary: str = Field(default="", description="runner-init (default: built from init.c).")
    python: str = Field(default="", description="Interpreter inside the sandbox (default: found).")
    node: str = ""
    java_home: str = ""
    gxx: str = ""

    @model_validator(mode="after")
    def _callers_are_authenticated(self) -> Settings:
        if self.k_service and not (self.audience and self.invokers()):
            raise ValueError(
                "in production (K_SERVICE set) RUNNER_AUDIENCE and RUNNER_ALLOWED_INVOKERS are "
                "required"
            )
        if not self.k_service and (self.secret is None or len(self.secret) < 16):
            raise ValueError("RUNNER_SECRET (16 characters or more) is required outside Cloud Run")
        return self

    def invokers(self) -> frozenset[str]:
        """Return the service accounts allowed to call the runner, lower-cased."""
        return frozenset(
            email.strip().lower() for email in self.allowed_invokers.split(",") if email.strip()
        )

    @property
    def production(self) -> bool:
        """Tell whether this instance runs on Cloud Run."""
        return bool(self.k_service)


@functools.cache
def get_settings() -> Settings:
    """Build the settings once; a bad configuration raises ``ConfigError``."""
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
