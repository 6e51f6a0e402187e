"""The AI assistant: hints, explanations and reviews of a session's code.

Each answers JSON, or server-sent events when the request asks for ``text/event-stream``.
"""

from __future__ import annotations

import flask

from common.ai import AiAnswer, AiExplainRequest, AiRequest, Mode, answer, stream_answer
from common.http import Call, endpoint

__all__ = ["ai_explain", "ai_hint", "ai_review"]

_EVENT_STREAM = "text/event-stream"
# Every refusal an AI request may get: access, size, limits, the provider, the session ending.
_ERRORS = (403, 404, 409, 413, 422, 429, 502, 503, 504)


def _wants_stream(request: flask.Request) -> bool:
    return request.accept_mimetypes.best_match(["application/json", _EVENT_STREAM]) == _EVENT_STREAM


def _ask(
    call: Call, mode: Mode, selection: str | None, session_id: str
) -> AiAnswer | flask.Response:
    uid = call.caller.uid
    if _wants_stream(call.request):
        events = stream_answer(mode, uid=uid, session_id=session_id, selection=selection)
        # X-Accel-Buffering: proxies in front (nginx-style) must pass events on at once.
        return flask.Response(events, mimetype=_EVENT_STREAM, headers={"X-Accel-Buffering": "no"})
    return answer(mode, uid=uid, session_id=session_id, selection=selection)


@endpoint(
    method="POST",
    path="/ai/hint",
    body=AiRequest,
    response=AiAnswer,
    streams=True,
    errors=_ERRORS,
)
def ai_hint(call: Call, body: AiRequest) -> AiAnswer | flask.Response:
    """Give a hint, more concrete with each hint of the session, never the solution."""
    return _ask(call, "hint", None, body.session_id)


@endpoint(
    method="POST",
    path="/ai/explain",
    body=AiExplainRequest,
    response=AiAnswer,
    streams=True,
    errors=_ERRORS,
)
def ai_explain(call: Call, body: AiExplainRequest) -> AiAnswer | flask.Response:
    """Explain the session's code, or the selection given."""
    return _ask(call, "explain", body.selection, body.session_id)


@endpoint(
    method="POST",
    path="/ai/review",
    body=AiRequest,
    response=AiAnswer,
    streams=True,
    errors=_ERRORS,
)
def ai_review(call: Call, body: AiRequest) -> AiAnswer | flask.Response:
    """Review the session's code: correctness, complexity, style."""
    return _ask(call, "review", None, body.session_id)
