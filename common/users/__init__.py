"""Users: profiles with unique usernames, the admin role, attempts and stats.

Owns ``users/{uid}``, ``users/{uid}/attempts`` and ``usernames``.
"""

from common.users import service as _service
from common.users.service import *  # noqa: F403 - the package's API is its service's

__all__ = _service.__all__
