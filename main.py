"""Entry module for Cloud Functions: every registered function by name, imported on first use.

``functions-framework --target=NAME`` (and Cloud Functions' entry point NAME) resolve
``main.NAME``; only that function's module and what it imports are loaded.
"""

from __future__ import annotations

from typing import Any

from common.config import get_settings
from common.registry import ENDPOINTS, resolve

__all__ = [endpoint.name for endpoint in ENDPOINTS]

# Refuse to start on a bad configuration (in production: with any emulator variable set).
get_settings()


def __getattr__(name: str) -> Any:
    return resolve(name)


def __dir__() -> list[str]:
    return sorted(__all__)
