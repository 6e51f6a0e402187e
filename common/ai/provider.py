"""The Gemini client, the generation settings, one call's accounting and its failures.

``google.genai`` is imported only when a call is made; the client is built once per instance.
Provider failures never reach the client as such::

    blocked by safety filters (prompt or answer)        422 ai_blocked
    key or credentials refused, provider quota spent     503 ai_unavailable
    any other provider error, or an empty answer         502 ai_upstream_error
    no answer within AI_TIMEOUT_S (or provider deadline) 504 ai_timeout

Every attempted call is logged once as the event ``ai_call`` with the model, tokens in and out,
latency and outcome, for cost tracking, and traced as one client span (``ai.generate``) from the
request to the answer's last piece.
"""

from __future__ import annotations

import functools
import importlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from common.ai.models import Mode
from common.ai.prompts import Prompt
from common.config import Settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger
from common.tracing import start_span

if TYPE_CHECKING:
    from google.genai import Client
    from google.genai import types as genai_types
    from opentelemetry.trace import Span

__all__ = ["BlockedError", "EmptyAnswerError", "ProviderCall", "gemini_client", "generation_config"]

_BLOCKED_FINISH = frozenset({"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"})
_log = get_logger(__name__)


@functools.cache
def _client(
    *,
    vertex: bool,
    api_key: str | None,
    project: str | None,
    location: str | None,
    base_url: str | None,
    timeout_ms: int,
) -> Client:
    from google import genai
    from google.genai import types

    if vertex:
        options = types.HttpOptions(timeout=timeout_ms, base_url=base_url)
        return genai.Client(vertexai=True, project=project, location=location, http_options=options)
    # v1beta: the Gemini API version that takes every generation setting used here
    # (thinkingConfig among them); the SDK's default moved to v1.
    options = types.HttpOptions(timeout=timeout_ms, base_url=base_url, api_version="v1beta")
    return genai.Client(api_key=api_key, http_options=options)


def gemini_client(settings: Settings) -> Client:
    """Return this instance's Gemini client for these settings (503 if it is not configured)."""
    key = settings.gemini_api_key.get_secret_value().strip() if settings.gemini_api_key else ""
    if not key and not settings.google_genai_use_vertexai:
        raise ApiError(
            ErrorCode.AI_UNAVAILABLE,
            "The AI assistant is not configured: set GEMINI_API_KEY, or "
            "GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION",
        )
    vertex = settings.google_genai_use_vertexai
    try:
        return _client(
            vertex=vertex,
            api_key=None if vertex else key or None,
            project=(settings.ai_project or settings.project_id) if vertex else None,
            location=settings.google_cloud_location if vertex else None,
            base_url=settings.ai_base_url,
            timeout_ms=max(1, int(settings.ai_timeout_s * 1000)),
        )
    except ValueError:
        _log.exception("could not build the Gemini client")
        raise ApiError(
            ErrorCode.AI_UNAVAILABLE, "The AI assistant is not configured correctly"
        ) from None


def generation_config(settings: Settings, prompt: Prompt) -> genai_types.GenerateContentConfig:
    from google.genai import types

    thinking = (
        types.ThinkingConfig(thinking_budget=settings.ai_thinking_budget)
        if settings.ai_thinking_budget is not None
        else None
    )
    return types.GenerateContentConfig(
        system_instruction=prompt.system,
        max_output_tokens=settings.ai_max_output_tokens,
        temperature=settings.ai_temperature,
        thinking_config=thinking,
        # Plain text generation: no tools to call, no continuation hops to follow.
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        automatic_continuation=False,
    )


class BlockedError(Exception):
    """The provider's safety filters refused the prompt or stopped the answer."""


class EmptyAnswerError(Exception):
    """The provider finished without any text."""


def _name(value: Any) -> str:
    return str(getattr(value, "name", value))


@functools.cache
def _timeout_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [TimeoutError]
    for module in ("httpx", "httpx2"):  # google-genai runs on either
        try:
            found.append(importlib.import_module(module).TimeoutException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


# The provider's HTTP status -> our error (anything else: 502 ai_upstream_error).
_BY_STATUS: dict[int, tuple[ErrorCode, str, dict[str, str]]] = {
    401: (ErrorCode.AI_UNAVAILABLE, "The AI provider refused our credentials", {}),
    403: (ErrorCode.AI_UNAVAILABLE, "The AI provider refused our credentials", {}),
    429: (
        ErrorCode.AI_UNAVAILABLE,
        "The AI provider is over its quota; try again later",
        {"Retry-After": "60"},
    ),
    504: (ErrorCode.AI_TIMEOUT, "The AI provider did not answer in time", {}),
}


def _failure(exc: BaseException) -> tuple[str, ApiError]:
    """Map what a provider call raised to (outcome for the log, error for the client)."""
    from google.auth.exceptions import GoogleAuthError
    from google.genai import errors

    if isinstance(exc, ApiError):
        return "refused", exc
    if isinstance(exc, errors.APIError):
        code, message, headers = _BY_STATUS.get(
            exc.code, (ErrorCode.AI_UPSTREAM_ERROR, "The AI provider failed; try again", {})
        )
        return f"provider_{exc.code}", ApiError(code, message, headers=headers)
    table: tuple[tuple[str, tuple[type[BaseException], ...], ErrorCode, str], ...] = (
        (
            "blocked",
            (BlockedError,),
            ErrorCode.AI_BLOCKED,
            "The assistant's safety filters blocked this request; rephrase and try again",
        ),
        (
            "empty",
            (EmptyAnswerError,),
            ErrorCode.AI_UPSTREAM_ERROR,
            "The AI provider gave no answer; try again",
        ),
        (
            "timeout",
            _timeout_types(),
            ErrorCode.AI_TIMEOUT,
            "The AI provider did not answer in time; try again",
        ),
        (
            "credentials",
            (GoogleAuthError,),
            ErrorCode.AI_UNAVAILABLE,
            "The AI assistant has no usable credentials",
        ),
    )
    for outcome, types, code, message in table:
        if isinstance(exc, types):
            return outcome, ApiError(code, message)
    return "error", ApiError(
        ErrorCode.AI_UPSTREAM_ERROR, "The AI provider could not be reached; try again"
    )


@dataclass
class ProviderCall:
    """One call to the provider: what it cost and how it ended, logged once as ``ai_call``."""

    mode: Mode
    model: str
    session_id: str
    uid: str
    streamed: bool
    hint_number: int | None
    started: float = field(default_factory=time.perf_counter)
    tokens_in: int | None = None
    tokens_out: int | None = None
    thought_tokens: int | None = None
    finish_reason: str | None = None
    outcome: str = "ok"
    _logged: bool = field(default=False, repr=False)
    _span: Span | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Not the current span: a streamed answer ends it after the function has returned.
        self._span = start_span(
            "ai.generate",
            kind="client",
            attributes={
                "gen_ai.system": "gemini",
                "gen_ai.request.model": self.model,
                "peerprep.ai.mode": self.mode,
                "peerprep.ai.streamed": self.streamed,
            },
        )

    def observe(self, response: genai_types.GenerateContentResponse) -> str:
        """Record a response (or streamed chunk) and return its text; raise if it is blocked."""
        usage = response.usage_metadata
        if usage is not None:
            self.tokens_in = usage.prompt_token_count
            self.tokens_out = usage.candidates_token_count
            self.thought_tokens = usage.thoughts_token_count
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            self.finish_reason = f"prompt:{_name(feedback.block_reason)}"
            raise BlockedError
        if not response.candidates:
            return ""
        candidate = response.candidates[0]
        if candidate.finish_reason is not None:
            self.finish_reason = _name(candidate.finish_reason)
            if self.finish_reason in _BLOCKED_FINISH:
                raise BlockedError
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        return "".join(part.text for part in parts if part.text and not part.thought)

    def failed(self, exc: BaseException) -> ApiError:
        """Record why the call failed, log it, and return the error the client sees."""
        self.outcome, error = _failure(exc)
        if self._span is not None and error.status >= 500:
            from opentelemetry.trace import Status, StatusCode

            self._span.set_status(Status(StatusCode.ERROR, self.outcome))
        if self.outcome in {"empty", "credentials", "error"}:
            _log.warning("ai call failed", extra={"outcome": self.outcome}, exc_info=exc)
        elif self.outcome.startswith("provider_"):
            _log.warning("ai provider error", extra={"providerStatus": self.outcome[9:]})
        self.finish()
        return error

    def finish(self) -> None:
        """Log the call as ``ai_call`` (once, however often it is called)."""
        if self._logged:
            return
        self._logged = True
        if self._span is not None:
            found = {
                "peerprep.ai.outcome": self.outcome,
                "gen_ai.response.finish_reasons": [self.finish_reason]
                if self.finish_reason
                else None,
                "gen_ai.usage.input_tokens": self.tokens_in,
                "gen_ai.usage.output_tokens": self.tokens_out,
            }
            self._span.set_attributes({k: v for k, v in found.items() if v is not None})
            self._span.end()
        _log.info(
            "ai call",
            extra={
                "event": "ai_call",
                "mode": self.mode,
                "model": self.model,
                "sessionId": self.session_id,
                "uid": self.uid,
                "streamed": self.streamed,
                "hintNumber": self.hint_number,
                "outcome": self.outcome,
                "finishReason": self.finish_reason,
                "tokensIn": self.tokens_in,
                "tokensOut": self.tokens_out,
                "thoughtTokens": self.thought_tokens,
                "latencyMs": round((time.perf_counter() - self.started) * 1000, 1),
            },
        )
