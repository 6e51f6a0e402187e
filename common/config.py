"""Settings: defaults in code, overridden by the environment, built once per instance."""

from __future__ import annotations

import functools
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["EMULATOR_HOST_VARIABLES", "Settings", "get_settings"]

EMULATOR_HOST_VARIABLES = (
    "FIRESTORE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "CLOUD_TASKS_EMULATOR_HOST",
)


class Settings(BaseSettings):
    """Every knob of the backend; environment variables use the upper-case field names."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    project_id: str = Field(
        default="demo-peerprep",
        validation_alias=AliasChoices("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "PROJECT_ID"),
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
    )
    region: str = "europe-west1"
    firestore_database: str = Field(
        default="(default)",
        pattern=r"^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$",
        description="The Firestore database the backend uses: a restored one after a restore.",
    )
    k_service: str | None = Field(default=None, description="Set by Cloud Run: production.")
    cloud_run_job: str | None = Field(default=None, description="Set by Cloud Run in a job.")

    firestore_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None
    firebase_auth_emulator_host: str | None = None
    cloud_tasks_emulator_host: str | None = None

    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    log_level: str = "INFO"
    auth_check_revoked: bool = True
    dependency_timeout_s: float = Field(default=3.0, gt=0, le=30)
    firestore_call_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Most seconds one Firestore call may take, its retries included.",
    )
    trace_exporter: Literal["cloud", "log", "none"] | None = Field(
        default=None,
        description=(
            "Where spans go: Cloud Trace, one log line each, or nowhere (default: cloud on "
            "Cloud Run, log elsewhere)."
        ),
    )
    trace_sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="Share of the traces that start here kept."
    )

    match_topic: str = "match-requests"
    tasks_queue: str = "match-timeouts"
    tasks_location: str = "europe-west1"
    tasks_callback_secret: SecretStr | None = None
    callback_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CALLBACK_BASE_URL", "MATCH_TIMEOUT_URL", "PUBLIC_BASE_URL"),
        description=(
            "Base URL the Cloud Tasks callbacks are sent to: in production match_timeout's own "
            "URL (MATCH_TIMEOUT_URL, never the gateway), locally the dev gateway's …/api "
            "(PUBLIC_BASE_URL)."
        ),
    )
    tasks_service_account: str | None = Field(
        default=None, description="Service account whose OIDC token Cloud Tasks sends."
    )
    tasks_audience: str | None = Field(
        default=None,
        description="Audience of that OIDC token (default: CALLBACK_BASE_URL, the function's URL).",
    )
    compaction_threshold: int = Field(
        default=200, ge=2, description="Updates in a session's log that trigger a compaction."
    )
    compaction_grace_s: float = Field(
        default=10.0, ge=0, description="Updates younger than this are left for the next run."
    )
    session_idle_minutes: float = Field(default=30.0, gt=0)
    match_relax_seconds: float = Field(default=10.0, gt=0)
    match_expire_seconds: float = Field(default=30.0, gt=0)

    # Abuse limits of the API, per user and fixed window (common.limits)
    rate_limit_window_s: int = Field(
        default=60, ge=1, le=86_400, description="Length of a rate-limit window, in seconds."
    )
    match_requests_per_window: int = Field(
        default=20, ge=1, description="POST /match calls per user per window."
    )
    profile_changes_per_window: int = Field(
        default=10, ge=1, description="POST /users and PATCH /users/me calls per user per window."
    )

    # Code execution: the runner service, and how often a user may use it
    runner_url: str | None = Field(
        default=None, description="Base URL of the runner service (its own Cloud Run URL)."
    )
    runner_secret: SecretStr | None = Field(
        default=None, description="Local runs: the runner's shared secret (else an OIDC token)."
    )
    runner_timeout_s: float = Field(default=60.0, gt=0, le=300)
    runs_per_minute: int = Field(default=10, ge=1, description="Runs per user per minute.")
    run_cpu_s: float = Field(default=2.0, gt=0, le=10, description="CPU limit of a run.")
    run_memory_mb: int = Field(default=256, ge=32, le=1024)

    # AI assistant
    gemini_api_key: SecretStr | None = Field(
        default=None, description="Gemini API key (Secret Manager in production, mounted as env)."
    )
    google_genai_use_vertexai: bool = Field(
        default=False, description="Use Vertex AI with the service account instead of a key."
    )
    ai_project: str | None = Field(
        default=None, description="Vertex AI project (default: GOOGLE_CLOUD_PROJECT)."
    )
    google_cloud_location: str = Field(default="global", description="Vertex AI location.")
    ai_model: str = Field(default="gemini-2.5-flash", min_length=1)
    ai_max_output_tokens: int = Field(default=1024, ge=64, le=65_536)
    ai_temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    ai_thinking_budget: int | None = Field(
        default=0, ge=-1, description="Thinking tokens (0: off, -1: the model decides)."
    )
    ai_timeout_s: float = Field(
        default=30.0, gt=0, le=300, description="Longest wait for each piece of an answer."
    )
    ai_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="Another endpoint for the Gemini API (a proxy, or a local fake in tests).",
    )
    ai_requests_per_hour: int = Field(default=30, ge=1, description="AI calls per user per hour.")
    ai_hints_per_session: int = Field(default=5, ge=1, description="Hints per user per session.")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _refuse_wildcard(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin == "*" or not origin.startswith(("https://", "http://")):
                raise ValueError(f"ALLOWED_ORIGINS entries must be full origins, got {origin!r}")
        return origins

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        level = level.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"LOG_LEVEL must be a logging level name, got {level!r}")
        return level

    @model_validator(mode="after")
    def _production_guard(self) -> Settings:
        if self.is_production:
            present = [
                name for name in EMULATOR_HOST_VARIABLES if getattr(self, name.lower()) is not None
            ]
            if present:
                raise ValueError(
                    "refusing to start in production (K_SERVICE is set) with emulator "
                    f"variables set: {', '.join(present)}"
                )
            if self.tasks_callback_secret is not None:
                raise ValueError("TASKS_CALLBACK_SECRET is for local runs; production uses OIDC")
        if self.match_expire_seconds <= self.match_relax_seconds:
            raise ValueError("MATCH_EXPIRE_SECONDS must be greater than MATCH_RELAX_SECONDS")
        return self

    @property
    def is_production(self) -> bool:
        """Tell whether this instance runs on Cloud Run / Cloud Functions."""
        return self.k_service is not None

    @property
    def trace_exporter_in_use(self) -> Literal["cloud", "log", "none"]:
        """Return where this instance's spans go (TRACE_EXPORTER, else by where it runs)."""
        if self.trace_exporter is not None:
            return self.trace_exporter
        return "cloud" if self.is_production or self.cloud_run_job else "log"


@functools.cache
def get_settings() -> Settings:
    """Return the settings of this instance (tests call ``get_settings.cache_clear()``)."""
    return Settings()
