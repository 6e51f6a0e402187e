"""Collaboration sessions: the shared Yjs document, leaving, attempts, compaction, ending.

Owns ``sessions`` and its subcollections (``updates``, ``messages``, ``presence``); the CRDT code
is ``crdt``.
"""

from common.sessions import service as _service
from common.sessions.service import *  # noqa: F403 - the package's API is its service's

__all__ = _service.__all__
