"""Fuzz every operation of the served OpenAPI document with schemathesis, signed in.

The document is the one the stack serves (``GET /api/openapi.json``). Each operation gets
positive cases (valid by the schema) and negative ones (not: bodies, parameters and the
``Authorization`` header), a bounded number of them, generated deterministically
(``derandomize``) so that CI runs what a laptop runs. Every response must be no 5xx, carry a
documented status, and match its documented content type and schema; a negative case must be
refused with a 4xx.

Callers are real: a user with a profile in an active session (the session's routes, the AI),
a user of its own for matching, an admin for the admin routes, a fresh user for the routes that
create or delete a profile, and Cloud Tasks' credential for the match timeout callback. Positive
cases aim at real resources part of the time (the caller's session, a question of the bank or
one made here, a real uid or username), so that both the found and the not-found paths are
fuzzed; the AI is also asked for its event stream. Nothing is excluded: the AI answers from the
fake Gemini (tests/fake_gemini.py) behind a gateway of its own, code runs in the stack's runner,
and the Pub/Sub worker is not an HTTP operation. Questions made here are deleted at the end:
the bank is shared with the other tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from common.auth import TASKS_SECRET_HEADER
from common.registry import Endpoint, http_endpoints
from devstack import LocalStack
from tests.fake_gemini import FakeGemini
from tests.support import Api, AuthEmulator, EmulatorUser, make_session, unique

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase as Case

GATEWAY = "api-fuzz"
# Cases per operation: the module runs in about a minute on 2 cores (the stack's start included).
MAX_EXAMPLES = 25
# How an invalid request may be refused: schemathesis' list, and 413 (a body over the limit).
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

load_all_checks()
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
ENDPOINTS = {endpoint.name: endpoint for endpoint in http_endpoints()}

# Real resources a positive case may name instead of a generated value, by operation: in its
# path parameters, or in one body field. Placeholders are resolved just before the call.
PATH_TARGETS: dict[str, list[str]] = {
    "questions_get": ["__bank-question__", "__question__"],
    "questions_update": ["__question__"],
    "questions_delete": ["__new-question__"],
    "questions_tests_get": ["__question__", "__bank-question__"],
    "questions_tests_set": ["__question__"],
    "sessions_get": ["__session__"],
    "sessions_leave": ["__new-session__"],
    "code_run": ["__session__"],
    "code_submit": ["__session__"],
    "sessions_set_language": ["__session__"],
    "users_get_public": ["__partner-name__"],
    "admin_set_role": ["__target-uid__", "__admin-uid__"],
}
BODY_TARGETS: dict[str, tuple[str, list[str]]] = {
    "ai_hint": ("sessionId", ["__session__"]),
    "ai_explain": ("sessionId", ["__session__"]),
    "ai_review": ("sessionId", ["__session__"]),
    "match_timeout": ("uid", ["__matcher-uid__", "__member-uid__"]),
}
STREAMS = {"ai_hint", "ai_explain", "ai_review"}


def question_body() -> dict[str, Any]:
    """A valid POST /questions body with a title no other test uses."""
    return {
        "title": f"Fuzz {unique('q')} Pairs",
        "description": "Given `nums`, return the number of pairs that add up to `target`.",
        "difficulty": "medium",
        "topics": ["arrays"],
        "examples": [{"input": "nums = [1, 3], target = 4", "output": "1"}],
        "constraints": ["1 <= nums.length <= 10^4"],
        "starterCode": {
            "python": "def count_pairs(nums, target):\n    pass\n",
            "javascript": "function countPairs(nums, target) {\n}\n",
            "java": "class Solution {\n}\n",
            "cpp": "int countPairs() { return 0; }\n",
        },
    }


@dataclass
class World:
    """The callers and the resources that cases aim at."""

    api: Api
    auth: AuthEmulator
    tasks_secret: str
    member: EmulatorUser  # in an active session with the partner
    partner: EmulatorUser
    matcher: EmulatorUser
    admin: EmulatorUser
    target: EmulatorUser  # whose admin role the admin changes
    bank_question_id: str
    partner_name: str = ""
    session_id: str = ""
    question_id: str = ""
    made_questions: list[str] = field(default_factory=list)

    def profile(self, user: EmulatorUser) -> str:
        username = unique("f")[:20]
        response = self.api.post("/users", json={"username": username}, user=user)
        assert response.status_code == 201, response.text
        return username

    def new_question(self) -> str:
        response = self.api.post("/questions", json=question_body(), user=self.admin)
        assert response.status_code == 201, response.text
        question_id = str(response.json()["id"])
        self.made_questions.append(question_id)
        return question_id

    def new_session(self) -> str:
        return make_session([self.member, self.partner], question_id=self.bank_question_id)

    def resolve(self, value: str) -> str:
        """Turn a placeholder into the resource it names (made now for ``__new-…__``)."""
        resolvers: dict[str, Callable[[], str]] = {
            "__session__": lambda: self.session_id,
            "__new-session__": self.new_session,
            "__bank-question__": lambda: self.bank_question_id,
            "__question__": lambda: self.question_id,
            "__new-question__": self.new_question,
            "__partner-name__": lambda: self.partner_name,
            "__member-uid__": lambda: self.member.uid,
            "__target-uid__": lambda: self.target.uid,
            "__admin-uid__": lambda: self.admin.uid,
            "__matcher-uid__": lambda: self.matcher.uid,
        }
        return resolvers[value]() if value in resolvers else value

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        """Sign in as the caller this operation is for."""
        if endpoint.access == "tasks":
            return {TASKS_SECRET_HEADER: self.tasks_secret}
        if endpoint.access == "admin":
            return self.admin.headers
        if endpoint.name.startswith("match_"):
            return self.matcher.headers
        if endpoint.name == "users_create_profile":
            return self.auth.sign_up().headers
        if endpoint.name == "users_delete_me":
            fresh = self.auth.sign_up()
            self.profile(fresh)
            return fresh.headers
        return self.member.headers


def _with_body_field(case: Case, name: str, value: str) -> Case:
    if isinstance(case.body, dict):
        case.body[name] = value
    return case


def _streaming(case: Case) -> Case:
    headers = CaseInsensitiveDict(case.headers or {})
    headers["Accept"] = "text/event-stream"
    case.headers = headers
    return case


def strategy_for(schema: OpenApiSchema, endpoint: Endpoint) -> st.SearchStrategy[Case]:
    """Positive and negative cases; some positive ones aimed at real resources."""
    operation = schema.find_operation_by_id(endpoint.name)
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    strategies = [positive, operation.as_strategy(GenerationMode.NEGATIVE)]
    for target in PATH_TARGETS.get(endpoint.name, []):
        path = dict.fromkeys(endpoint.path_params, target)
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path))
    if endpoint.name in BODY_TARGETS:
        name, targets = BODY_TARGETS[endpoint.name]
        aimed = st.tuples(positive, st.sampled_from(targets)).map(
            lambda pair: _with_body_field(pair[0], name, pair[1])
        )
        strategies.append(aimed)
        if endpoint.name in STREAMS:
            strategies.append(aimed.map(_streaming))
    return st.one_of(*strategies)


def _resolve(case: Case, world: World, endpoint: Endpoint) -> None:
    for name in endpoint.path_params:
        value = case.path_parameters.get(name)
        if isinstance(value, str):
            case.path_parameters[name] = world.resolve(value)
    if endpoint.name in BODY_TARGETS and isinstance(case.body, dict):
        name = BODY_TARGETS[endpoint.name][0]
        value = case.body.get(name)
        if isinstance(value, str):
            case.body[name] = world.resolve(value)


@pytest.fixture(scope="module")
def fuzz_api(stack: LocalStack, fake_gemini: FakeGemini) -> Iterator[Api]:
    """A gateway of its own whose AI answers from the fake Gemini, with room for the fuzzer."""
    env = {
        "GEMINI_API_KEY": "fuzz-gemini-key",
        "AI_BASE_URL": fake_gemini.base_url,
        "AI_MODEL": "gemini-fuzz",
        "AI_TIMEOUT_S": "2",
        "AI_REQUESTS_PER_HOUR": "1000",
        "AI_HINTS_PER_SESSION": "1000",
    }
    stack.start_gateway(name=GATEWAY, env=env)
    try:
        yield Api(f"http://{stack.host(GATEWAY)}/api")
    finally:
        stack.stop_service(GATEWAY)


@pytest.fixture(scope="module")
def schema(fuzz_api: Api) -> OpenApiSchema:
    """The OpenAPI document as the gateway serves it."""
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
    )
    return schemathesis.openapi.from_url(f"{fuzz_api.base_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def world(stack: LocalStack, fuzz_api: Api, auth: AuthEmulator) -> Iterator[World]:
    member = auth.sign_up()
    listed = fuzz_api.get("/questions", params={"limit": 1}, user=member)
    assert listed.status_code == 200, listed.text
    world = World(
        api=fuzz_api,
        auth=auth,
        tasks_secret=stack.tasks_secret,
        member=member,
        partner=auth.sign_up(),
        matcher=auth.sign_up(),
        admin=auth.make_admin(auth.sign_up()),
        target=auth.sign_up(),
        bank_question_id=str(listed.json()["items"][0]["id"]),
    )
    for user in (world.member, world.matcher, world.admin):
        world.profile(user)
    world.partner_name = world.profile(world.partner)
    world.session_id = world.new_session()
    world.question_id = world.new_question()
    try:
        yield world
    finally:
        fuzz_api.delete("/match", user=world.matcher)
        for question_id in world.made_questions:
            fuzz_api.delete(f"/questions/{question_id}", user=world.admin)


def test_every_served_operation_is_fuzzed(schema: OpenApiSchema) -> None:
    paths: dict[str, dict[str, Any]] = schema.raw_schema["paths"]
    served = {operation["operationId"] for item in paths.values() for operation in item.values()}
    assert served == set(ENDPOINTS)
    assert all(schema.find_operation_by_id(name) for name in served)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_operation_answers_as_documented(name: str, schema: OpenApiSchema, world: World) -> None:
    endpoint = ENDPOINTS[name]
    http = requests.Session()

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy_for(schema, endpoint))
    def fuzz(case: Case) -> None:
        _resolve(case, world, endpoint)
        case.call_and_validate(session=http, headers=world.headers(endpoint), checks=CHECKS)

    fuzz()
