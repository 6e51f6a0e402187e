"""The one table of endpoints. It feeds main.py's names, the local gateway and the OpenAPI document.

It stays light to import: functions and models are named by dotted path and imported only when
one is resolved, so a cold start pays only for the function it runs.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ENDPOINTS", "Endpoint", "by_name", "http_endpoints", "import_object", "resolve"]

Access = Literal["public", "user", "admin", "tasks", "pubsub"]


@dataclass(frozen=True)
class Endpoint:
    """One function: its name, where it lives, how it is reached, who may call it."""

    name: str
    module: str
    summary: str
    access: Access
    method: str | None = None
    path: str | None = None
    tag: str = "misc"
    request_model: str | None = None
    query_model: str | None = None
    response_model: str | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    streams: bool = False
    recent_login: bool = False

    @property
    def is_http(self) -> bool:
        """Tell whether this endpoint answers HTTP requests (else it takes CloudEvents)."""
        return self.method is not None

    @property
    def path_params(self) -> tuple[str, ...]:
        """Return the names of the ``{placeholders}`` in the path."""
        return tuple(re.findall(r"{(\w+)}", self.path or ""))

    def path_regex(self) -> re.Pattern[str]:
        """Return a regex that matches the path at the end of a request path, capturing params."""
        pieces = re.split(r"({\w+})", self.path or "/")
        body = "".join(
            f"(?P<{piece[1:-1]}>[^/]+)" if piece.startswith("{") else re.escape(piece)
            for piece in pieces
        )
        return re.compile(rf"^(?:/[^?#]*?)?{body}/?$")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="health",
        module="functions.health",
        summary="Liveness",
        access="public",
        method="GET",
        path="/health",
        tag="health",
        response_model="common.models:HealthOut",
    ),
    Endpoint(
        name="ready",
        module="functions.health",
        summary="Readiness: Firestore, Pub/Sub and Cloud Tasks reachable",
        access="public",
        method="GET",
        path="/ready",
        tag="health",
        response_model="common.models:ReadyOut",
        errors=(503,),
    ),
    Endpoint(
        name="openapi",
        module="functions.health",
        summary="This API's OpenAPI 3 document",
        access="public",
        method="GET",
        path="/openapi.json",
        tag="health",
    ),
    Endpoint(
        name="users_create_profile",
        module="functions.users",
        summary="Create one's own profile after signing up",
        access="user",
        method="POST",
        path="/users",
        tag="users",
        request_model="common.models:ProfileCreate",
        response_model="common.models:Profile",
        status=201,
        errors=(409,),
    ),
    Endpoint(
        name="users_get_me",
        module="functions.users",
        summary="One's own profile",
        access="user",
        method="GET",
        path="/users/me",
        tag="users",
        response_model="common.models:Profile",
        errors=(404,),
    ),
    Endpoint(
        name="users_update_me",
        module="functions.users",
        summary="Change one's display name, username, preferred language or proficiency",
        access="user",
        method="PATCH",
        path="/users/me",
        tag="users",
        request_model="common.models:ProfileUpdate",
        response_model="common.models:Profile",
        errors=(404, 409),
    ),
    Endpoint(
        name="users_delete_me",
        module="functions.users",
        summary="Delete one's profile, username, attempts and account (sign in again first)",
        access="user",
        method="DELETE",
        path="/users/me",
        tag="users",
        status=204,
        recent_login=True,
    ),
    Endpoint(
        name="users_attempts",
        module="functions.users",
        summary="One's attempt history, newest first",
        access="user",
        method="GET",
        path="/users/me/attempts",
        tag="users",
        query_model="common.models:PageQuery",
        response_model="common.models:AttemptPage",
    ),
    Endpoint(
        name="users_get_public",
        module="functions.users",
        summary="A user's public profile (no email)",
        access="user",
        method="GET",
        path="/users/{username}",
        tag="users",
        response_model="common.models:PublicProfile",
        errors=(404,),
    ),
    Endpoint(
        name="admin_set_role",
        module="functions.users",
        summary="Grant or revoke the admin role",
        access="admin",
        method="PUT",
        path="/admin/users/{uid}/role",
        tag="users",
        request_model="common.models:RoleIn",
        response_model="common.models:RoleOut",
        errors=(404, 409),
    ),
    Endpoint(
        name="questions_list",
        module="functions.questions",
        summary="Questions by difficulty, topics (any of) and title words",
        access="user",
        method="GET",
        path="/questions",
        tag="questions",
        query_model="common.models:QuestionsQuery",
        response_model="common.models:QuestionPage",
    ),
    Endpoint(
        name="questions_get",
        module="functions.questions",
        summary="One question",
        access="user",
        method="GET",
        path="/questions/{id}",
        tag="questions",
        response_model="common.models:Question",
        errors=(404,),
    ),
    Endpoint(
        name="questions_create",
        module="functions.questions",
        summary="Add a question",
        access="admin",
        method="POST",
        path="/questions",
        tag="questions",
        request_model="common.models:QuestionCreate",
        response_model="common.models:Question",
        status=201,
        errors=(409,),
    ),
    Endpoint(
        name="questions_update",
        module="functions.questions",
        summary="Change some fields of a question",
        access="admin",
        method="PATCH",
        path="/questions/{id}",
        tag="questions",
        request_model="common.models:QuestionUpdate",
        response_model="common.models:Question",
        errors=(404, 409),
    ),
    Endpoint(
        name="questions_delete",
        module="functions.questions",
        summary="Delete a question (sessions keep their copy)",
        access="admin",
        method="DELETE",
        path="/questions/{id}",
        tag="questions",
        status=204,
        errors=(404,),
    ),
    Endpoint(
        name="match_request",
        module="functions.matching",
        summary="Start matching by difficulty, topics (empty: any) and language",
        access="user",
        method="POST",
        path="/match",
        tag="matching",
        request_model="common.models:MatchIn",
        response_model="common.models:MatchRequestOut",
        status=202,
        errors=(409, 503),
    ),
    Endpoint(
        name="match_status",
        module="functions.matching",
        summary="One's latest match request (clients listen to matchRequests/{uid})",
        access="user",
        method="GET",
        path="/match",
        tag="matching",
        response_model="common.models:MatchRequestOut",
        errors=(404,),
    ),
    Endpoint(
        name="match_cancel",
        module="functions.matching",
        summary="Cancel one's waiting request",
        access="user",
        method="DELETE",
        path="/match",
        tag="matching",
        response_model="common.models:MatchRequestOut",
        errors=(404, 409),
    ),
    Endpoint(
        name="match_worker",
        module="functions.matching",
        summary="Pair the waiting requests of a bucket (Pub/Sub push)",
        access="pubsub",
        tag="matching",
    ),
    Endpoint(
        name="match_timeout",
        module="functions.matching",
        summary="Relax, then expire, a match request (Cloud Tasks only)",
        access="tasks",
        method="POST",
        path="/internal/match-timeout",
        tag="internal",
        request_model="common.models:MatchTimeoutIn",
        response_model="common.models:MatchTimeoutOut",
        errors=(401, 403, 503),
    ),
    Endpoint(
        name="sessions_active",
        module="functions.sessions",
        summary="One's active session, to rejoin after a reload",
        access="user",
        method="GET",
        path="/sessions/active",
        tag="sessions",
        response_model="common.models:SessionOut",
        errors=(404,),
    ),
    Endpoint(
        name="sessions_get",
        module="functions.sessions",
        summary="A session one takes part in, with the current code",
        access="user",
        method="GET",
        path="/sessions/{id}",
        tag="sessions",
        response_model="common.models:SessionOut",
        errors=(403, 404),
    ),
    Endpoint(
        name="sessions_leave",
        module="functions.sessions",
        summary="Leave a session (the last one out ends it; attempts are recorded)",
        access="user",
        method="POST",
        path="/sessions/{id}/leave",
        tag="sessions",
        response_model="common.models:SessionOut",
        errors=(403, 404),
    ),
    Endpoint(
        name="topics_list",
        module="functions.questions",
        summary="Topics with their question counts per difficulty",
        access="user",
        method="GET",
        path="/topics",
        tag="questions",
        response_model="common.models:TopicsOut",
    ),
    Endpoint(
        name="ai_hint",
        module="functions.ai",
        summary="A graded hint for the session's question and code, never the solution",
        access="user",
        method="POST",
        path="/ai/hint",
        tag="ai",
        request_model="common.ai:AiRequest",
        response_model="common.ai:AiAnswer",
        streams=True,
        errors=(403, 404, 422, 429, 502, 503, 504),
    ),
    Endpoint(
        name="ai_explain",
        module="functions.ai",
        summary="Explain the session's code, or a selection of it",
        access="user",
        method="POST",
        path="/ai/explain",
        tag="ai",
        request_model="common.ai:AiExplainRequest",
        response_model="common.ai:AiAnswer",
        streams=True,
        errors=(403, 404, 422, 429, 502, 503, 504),
    ),
    Endpoint(
        name="ai_review",
        module="functions.ai",
        summary="Review the session's code: correctness, complexity, style",
        access="user",
        method="POST",
        path="/ai/review",
        tag="ai",
        request_model="common.ai:AiRequest",
        response_model="common.ai:AiAnswer",
        streams=True,
        errors=(403, 404, 422, 429, 502, 503, 504),
    ),
)

_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def by_name(name: str) -> Endpoint:
    """Return the endpoint registered under ``name`` (KeyError if there is none)."""
    return _BY_NAME[name]


def http_endpoints() -> list[Endpoint]:
    """Return every endpoint reached over HTTP."""
    return [endpoint for endpoint in ENDPOINTS if endpoint.is_http]


def import_object(dotted: str) -> Any:
    """Import ``package.module:Name`` and return the object."""
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def resolve(name: str) -> Any:
    """Import the module of the function ``name`` and return the function."""
    try:
        endpoint = _BY_NAME[name]
    except KeyError:
        raise AttributeError(f"no function named {name!r} is registered") from None
    return getattr(importlib.import_module(endpoint.module), name)
