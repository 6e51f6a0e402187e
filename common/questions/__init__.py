"""The question bank: questions with unique slugs, topic counts, the random pick for a match.

Owns ``questions``, ``questionSlugs`` and ``meta/topicCounts``.
"""

from common.questions import service as _service
from common.questions.service import *  # noqa: F403 - the package's API is its service's

__all__ = _service.__all__
