"""Code execution: runs of a session's code in the sandboxed runner, seen by both partners.

Owns ``sessions/{id}/runs``, ``runLocks`` and ``runUsage``; the runner itself is ``runner/``.
"""

from common.runs import service as _service
from common.runs.service import *  # noqa: F403 - the package's API is its service's

__all__ = _service.__all__
