"""The AI assistant: hints, explanations and reviews of a session's code, by Gemini.

Owns ``aiUsage``. ``models`` (requests and answers), ``prompts`` (what the model is told),
``provider`` (the Gemini client and its failures), ``limits`` (per-user counters), ``service``
(one request, start to end).
"""

from common.ai.service import (
    AiAnswer,
    AiExplainRequest,
    AiRequest,
    Mode,
    answer,
    stream_answer,
)

__all__ = ["AiAnswer", "AiExplainRequest", "AiRequest", "Mode", "answer", "stream_answer"]
