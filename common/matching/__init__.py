"""Matching: requests, the bucket sweep that pairs them, relax and expiry callbacks.

Owns ``matchRequests``. The pairing rules are pure (``policy``); ``service`` runs them on
Firestore, Pub/Sub and Cloud Tasks.
"""

from common.matching import service as _service
from common.matching.service import *  # noqa: F403 - the package's API is its service's

__all__ = _service.__all__
