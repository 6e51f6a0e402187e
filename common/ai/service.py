"""One request to the assistant, start to end.

In order (each step answers its own error):

1. the caller takes part in the session and is still in it (404 unknown, 403 otherwise, once
   it left, or once the session ended);
2. the assistant is configured: a Gemini API key, or Vertex AI (503 ``ai_unavailable``);
3. the limits are read (429 ``rate_limited``, ``limits``) before anything expensive is done;
4. the prompt is built (``prompts``) from the session's question and its merged code; one who
   wrote code past the session's cap is told so (413);
5. the call is counted, with optimistic concurrency on the same counters (a limit reached
   meanwhile still answers 429). A call is counted once it is about to be attempted: requests
   refused before cost nothing, while a call that then fails upstream still counts, since the
   provider may have spent tokens on it;
6. Gemini answers (``provider``), whole (JSON) or streamed (server-sent events); the answer is
   posted into the session's chat as author ``ai`` so that both partners see it, unless the
   session ended or the caller left meanwhile (409 ``session_ended``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.ai.limits import check_limits, count_call
from common.ai.models import AiAnswer, AiExplainRequest, AiRequest, Mode
from common.ai.prompts import Prompt, build_prompt
from common.ai.provider import EmptyAnswerError, ProviderCall, gemini_client, generation_config
from common.config import Settings, get_settings
from common.errors import ApiError, ErrorCode, error_body
from common.logs import bind_request, current_request_id, get_logger
from common.sessions import (
    ai_messages,
    participant_session,
    post_ai_message,
    require_in_session,
    session_code,
)
from common.sessions.crdt import MAX_CODE_BYTES
from common.tracing import attached, current_context

if TYPE_CHECKING:
    from google.genai import Client
    from google.genai import types as genai_types

__all__ = ["AiAnswer", "AiExplainRequest", "AiRequest", "Mode", "answer", "stream_answer"]

_log = get_logger(__name__)


@dataclass(frozen=True)
class _Job:
    """A request that passed every check: what to send, to whom, and how it is accounted."""

    mode: Mode
    uid: str
    session_id: str
    prompt: Prompt
    settings: Settings
    client: Client

    def call(self, *, streamed: bool) -> ProviderCall:
        return ProviderCall(
            mode=self.mode,
            model=self.settings.ai_model,
            session_id=self.session_id,
            uid=self.uid,
            streamed=streamed,
            hint_number=self.prompt.hint_number,
        )

    def post(self, text: str) -> str:
        """Post the answer into the session's chat and return the message id."""
        try:
            return post_ai_message(
                self.session_id, requested_by=self.uid, mode=self.mode, text=text
            )
        except ApiError:
            raise
        except Exception:
            _log.exception("posting the ai answer failed", extra={"sessionId": self.session_id})
            raise ApiError(
                ErrorCode.UNAVAILABLE, "The answer could not be saved; try again"
            ) from None


def _start(mode: Mode, *, uid: str, session_id: str, selection: str | None) -> _Job:
    """Check access, configuration and limits, build the prompt, count the call."""
    session = participant_session(session_id, uid)
    require_in_session(session, uid)
    settings = get_settings()
    client = gemini_client(settings)
    check_limits(mode, uid=uid, session_id=session_id, settings=settings)
    code = session_code(session_id, session)
    if code.too_large_for(uid):
        raise ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"Your edits would grow the code past {MAX_CODE_BYTES // 1024} KiB, the most a "
            "session holds: the server kept the code without them. Shorten the code.",
        )
    prompt = build_prompt(
        mode,
        question=session.question.model_dump(by_alias=True),
        language=session.language,
        code=code.text,
        selection=selection,
        previous_hints=ai_messages(session_id, mode="hint") if mode == "hint" else None,
    )
    count_call(mode, uid=uid, session_id=session_id, settings=settings)
    return _Job(mode, uid, session_id, prompt, settings, client)


def answer(mode: Mode, *, uid: str, session_id: str, selection: str | None = None) -> AiAnswer:
    """Ask the assistant, wait for the whole answer, post it into the chat and return it."""
    job = _start(mode, uid=uid, session_id=session_id, selection=selection)
    call = job.call(streamed=False)
    try:
        response = job.client.models.generate_content(
            model=job.settings.ai_model,
            contents=job.prompt.user,
            config=generation_config(job.settings, job.prompt),
        )
        text = call.observe(response)
        if not text.strip():
            raise EmptyAnswerError
    except Exception as exc:
        raise call.failed(exc) from None
    call.finish()
    return AiAnswer(mode=mode, text=text, message_id=job.post(text))


def _sse(event: str, data: Any) -> str:
    return (
        f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"
    )


def stream_answer(
    mode: Mode, *, uid: str, session_id: str, selection: str | None = None
) -> Iterator[str]:
    """Ask the assistant and return its answer as server-sent events.

    Everything that can fail before the first piece of text (access, configuration, limits,
    the provider refusing or failing) raises here, so the client gets a plain error status.
    Afterwards the events are ``delta`` ({"text"}) for each piece, then ``done`` (the answer,
    as posted into the chat) or ``error`` (the usual error body).
    """
    job = _start(mode, uid=uid, session_id=session_id, selection=selection)
    call = job.call(streamed=True)
    chunks: Iterator[genai_types.GenerateContentResponse] | None = None
    try:
        chunks = job.client.models.generate_content_stream(
            model=job.settings.ai_model,
            contents=job.prompt.user,
            config=generation_config(job.settings, job.prompt),
        )
        first = ""
        while not first:
            chunk = next(chunks, None)
            if chunk is None:
                raise EmptyAnswerError
            first = call.observe(chunk)
    except Exception as exc:
        _close(chunks)
        raise call.failed(exc) from None
    return _events(job, call, chunks, first, request_id=current_request_id() or "")


def _close(chunks: Iterator[Any] | None) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            _log.debug("closing the answer stream failed", exc_info=True)


def _events(
    job: _Job,
    call: ProviderCall,
    chunks: Iterator[genai_types.GenerateContentResponse],
    first: str,
    *,
    request_id: str,
) -> Iterator[str]:
    context = current_context()

    def generate() -> Iterator[str]:
        # Runs after the function returned, as the server sends the body: bind the request
        # and its span again so that its log lines stay correlated.
        with bind_request(request_id=request_id), attached(context):
            pieces = [first]
            try:
                yield _sse("delta", {"text": first})
                try:
                    for chunk in chunks:
                        text = call.observe(chunk)
                        if text:
                            pieces.append(text)
                            yield _sse("delta", {"text": text})
                except Exception as exc:  # GeneratorExit (the client left) passes on
                    error = call.failed(exc)
                    yield _sse("error", error_body(error.code, error.message, request_id))
                    return
                call.finish()
                full = "".join(pieces)
                try:
                    message_id = job.post(full)
                except ApiError as error:
                    yield _sse("error", error_body(error.code, error.message, request_id))
                    return
                done = AiAnswer(mode=job.mode, text=full, message_id=message_id)
                yield _sse("done", done.to_json_dict())
            except GeneratorExit:
                call.outcome = "client_gone"
                raise
            finally:
                _close(chunks)
                call.finish()

    return generate()
