"""Entry module for Cloud Functions: every function by name, imported on first use.

``functions-framework --target=NAME`` (and Cloud Functions' entry point NAME) resolve
``main.NAME``; only that function's module and what it imports are loaded. Each function is
declared where it is, in ``functions/`` (``@endpoint``); this table only says where to find it
(tests/test_entrypoint.py checks that it names every declared function).
"""

from __future__ import annotations

import importlib
from typing import Any

from common.config import get_settings

FUNCTIONS: dict[str, str] = {
    "health": "functions.health",
    "ready": "functions.health",
    "openapi": "functions.health",
    "users_create_profile": "functions.users",
    "users_get_me": "functions.users",
    "users_update_me": "functions.users",
    "users_delete_me": "functions.users",
    "users_attempts": "functions.users",
    "users_get_public": "functions.users",
    "admin_set_role": "functions.users",
    "questions_list": "functions.questions",
    "questions_get": "functions.questions",
    "questions_create": "functions.questions",
    "questions_update": "functions.questions",
    "questions_delete": "functions.questions",
    "questions_tests_get": "functions.questions",
    "questions_tests_set": "functions.questions",
    "topics_list": "functions.questions",
    "match_request": "functions.matching",
    "match_status": "functions.matching",
    "match_cancel": "functions.matching",
    "match_worker": "functions.matching",
    "match_timeout": "functions.matching",
    "sessions_active": "functions.sessions",
    "sessions_get": "functions.sessions",
    "sessions_leave": "functions.sessions",
    "sessions_set_language": "functions.sessions",
    "code_run": "functions.sessions",
    "code_submit": "functions.sessions",
    "ai_hint": "functions.ai",
    "ai_explain": "functions.ai",
    "ai_review": "functions.ai",
}

__all__ = list(FUNCTIONS)

# Refuse to start on a bad configuration (in production: with any emulator variable set).
get_settings()


def __getattr__(name: str) -> Any:
    try:
        module = FUNCTIONS[name]
    except KeyError:
        raise AttributeError(f"no function named {name!r}") from None
    function = getattr(importlib.import_module(module), name)
    _answer_unrouted_in_json()
    return function


def _answer_unrouted_in_json() -> None:
    # functions-framework resolves the target while it builds its Flask app, in that app's
    # context: give the app the JSON error for requests its routing refuses (common.http).
    import flask

    if flask.has_app_context():
        from common.http import answer_unrouted_in_json

        answer_unrouted_in_json(flask.current_app)


def __dir__() -> list[str]:
    return sorted(__all__)
