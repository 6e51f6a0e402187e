"""The client of the runner service (``runner/``): one program, one input, one outcome.

Locally the runner takes a shared secret (``X-Runner-Secret``); in production only an OIDC token
of the functions' service account whose audience is the runner's URL, fetched from the metadata
server with google-auth.
"""

from __future__ import annotations

import functools
from typing import Any

from common.config import Settings, get_settings
from common.errors import ApiError, ErrorCode
from common.logs import get_logger
from common.tracing import span, trace_headers

__all__ = ["run_program", "run_tests"]

_log = get_logger(__name__)


@functools.cache
def _session() -> Any:
    import requests

    return requests.Session()


def _auth_headers(settings: Settings, url: str) -> dict[str, str]:
    if settings.runner_secret is not None:
        return {"X-Runner-Secret": settings.runner_secret.get_secret_value()}
    import google.auth.transport.requests
    from google.oauth2 import id_token

    token = id_token.fetch_id_token(  # type: ignore[no-untyped-call]
        google.auth.transport.requests.Request(), url
    )
    return {"Authorization": f"Bearer {token}"}


def run_program(*, language: str, source: str, stdin: str) -> dict[str, Any]:
    """Run ``source`` once with ``stdin`` in the sandbox; return the runner's answer (JSON)."""
    return run_tests(language=language, source=source, inputs=[stdin])


def run_tests(*, language: str, source: str, inputs: list[str]) -> dict[str, Any]:
    """Compile ``source`` once and run it on each input until one fails; the runner's answer.

    503 if no runner is configured or it cannot be reached, 502 if it answers an error.
    """
    import requests

    settings = get_settings()
    if not settings.runner_url:
        raise ApiError(ErrorCode.UNAVAILABLE, "Code execution is not configured (RUNNER_URL)")
    base = settings.runner_url.rstrip("/")
    body = {
        "language": language,
        "source": source,
        "tests": [{"input": text} for text in inputs],
        "limits": {"cpuS": settings.run_cpu_s, "memoryMb": settings.run_memory_mb},
        "stopOnFailure": True,
    }
    attributes = {"peerprep.language": language, "peerprep.tests": len(inputs)}
    with span("runner.run", kind="client", attributes=attributes) as current:
        try:
            response = _session().post(
                f"{base}/run",
                json=body,
                headers={**_auth_headers(settings, base), **trace_headers()},
                timeout=settings.runner_timeout_s,
            )
        except requests.RequestException as exc:
            _log.warning("the runner could not be reached", extra={"error": repr(exc)})
            raise ApiError(
                ErrorCode.UNAVAILABLE,
                "The code runner is unreachable; try again",
                headers={"Retry-After": "5"},
            ) from None
        current.set_attribute("http.status_code", response.status_code)
        if response.status_code != 200:
            _log.error(
                "the runner refused a run",
                extra={"runnerStatus": response.status_code, "body": response.text[:500]},
            )
            raise ApiError(ErrorCode.UPSTREAM_ERROR, "The code runner failed; try again")
        answer: dict[str, Any] = response.json()
        current.set_attribute("peerprep.verdict", str(answer.get("verdict")))
    return answer
