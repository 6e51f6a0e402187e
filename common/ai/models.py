"""The assistant's requests and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from common.models import ApiInput, ApiModel

__all__ = ["MAX_CODE_CHARS", "AiAnswer", "AiExplainRequest", "AiRequest", "Mode"]

Mode = Literal["hint", "explain", "review"]

# The most code (or selection) the model is shown; the rest is cut with a note.
MAX_CODE_CHARS = 20_000


class AiRequest(ApiInput):
    """Ask the assistant about a session one takes part in."""

    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AiExplainRequest(AiRequest):
    """Ask for an explanation of the session's code, or of a selection of it."""

    selection: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=MAX_CODE_CHARS, strip_whitespace=False)
        ]
        | None
    ) = None


class AiAnswer(ApiModel):
    """The assistant's answer, as posted into the session's chat."""

    mode: Mode
    text: str
    message_id: str
