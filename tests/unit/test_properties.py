"""Properties, checked by hypothesis on generated inputs: the API models against the OpenAPI
document, the matching policy, and the judging comparisons. Pure and fast (no emulators)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from common.catalogue import DIFFICULTIES, LANGUAGES
from common.judging.compare import same_answer
from common.matching.policy import Waiting, compatible, pair_up, question_topics
from common.models import ApiPatch
from common.openapi import build_openapi
from common.registry import Endpoint, http_endpoints

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

# Deterministic, so that CI runs what a laptop runs; no deadline (a slow CI core is no failure).
FAST = settings(max_examples=40, derandomize=True, deadline=None, database=None)

# --- the API models --------------------------------------------------------------------------

BODIES = [endpoint for endpoint in http_endpoints() if endpoint.body is not None]
SCHEMA = schemathesis.openapi.from_dict(build_openapi())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


def _body_cases(endpoint: Endpoint, mode: GenerationMode) -> st.SearchStrategy[OpenApiCase]:
    """Cases whose body is ``mode`` (a negative case may negate its headers instead)."""
    cases = SCHEMA.find_operation_by_id(endpoint.name).as_strategy(mode)
    return cases.filter(lambda case: _body_mode(case) is mode)


def _body_mode(case: OpenApiCase) -> GenerationMode | None:
    info = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    return info.mode if info else None


def _round_trips(model: type[BaseModel], parsed: BaseModel) -> None:
    # A partial update is sent with the fields it sets; anything else whole.
    sent = parsed.model_dump(mode="json", by_alias=True, exclude_unset=isinstance(parsed, ApiPatch))
    again = model.model_validate(json.loads(json.dumps(sent)))
    assert again == parsed
    assert again.model_dump(mode="json", by_alias=True) == parsed.model_dump(
        mode="json", by_alias=True
    )


@pytest.mark.parametrize(
    "endpoint",
    [e for e in BODIES if e.body is not None and issubclass(e.body, ApiPatch)],
    ids=lambda endpoint: endpoint.name,
)
def test_a_partial_update_is_documented_as_the_server_takes_it(endpoint: Endpoint) -> None:
    """At least one field, none of them null: what ``ApiPatch`` checks, the document says."""
    assert endpoint.body is not None
    name = endpoint.body.__name__
    schema = build_openapi()["components"]["schemas"][name]
    assert schema["minProperties"] == 1
    for field, property_schema in schema["properties"].items():
        kinds = property_schema.get("anyOf", [property_schema])
        assert {"type": "null"} not in kinds, (name, field)
        assert "default" not in property_schema, (name, field)
        with pytest.raises(ValidationError):
            endpoint.body.model_validate({field: None})
    with pytest.raises(ValidationError):
        endpoint.body.model_validate({})


@pytest.mark.parametrize("endpoint", BODIES, ids=lambda endpoint: endpoint.name)
def test_a_documented_body_validates_and_round_trips_by_alias(endpoint: Endpoint) -> None:
    model = endpoint.body
    assert model is not None

    @settings(FAST, max_examples=10, suppress_health_check=list(HealthCheck))
    @given(case=_body_cases(endpoint, GenerationMode.POSITIVE))
    def check(case: OpenApiCase) -> None:
        try:
            parsed = model.model_validate(case.body)
        except ValidationError:
            return  # rules beyond the schema (judging data that must fit its signature)
        _round_trips(model, parsed)

    check()


@pytest.mark.parametrize("endpoint", BODIES, ids=lambda endpoint: endpoint.name)
def test_a_body_the_document_refuses_the_model_refuses(endpoint: Endpoint) -> None:
    model = endpoint.body
    assert model is not None

    @settings(FAST, max_examples=10, suppress_health_check=list(HealthCheck))
    @given(case=_body_cases(endpoint, GenerationMode.NEGATIVE))
    def check(case: OpenApiCase) -> None:
        with pytest.raises(ValidationError):
            model.model_validate(case.body)

    check()


MODELS: list[type[BaseModel]] = sorted(
    {m for e in http_endpoints() for m in (e.body, e.query, e.response) if m is not None},
    key=lambda model: model.__name__,
)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_any_json_either_validates_or_is_a_validation_error(model: type[BaseModel]) -> None:
    @settings(FAST, max_examples=20)
    @given(data=json_values | st.dictionaries(st.sampled_from(_aliases(model)), json_values))
    def check(data: Any) -> None:
        try:
            parsed = model.model_validate(data)
        except ValidationError:
            return
        _round_trips(model, parsed)

    check()


def _aliases(model: type[BaseModel]) -> list[str]:
    return sorted(info.alias or name for name, info in model.model_fields.items())


# --- the matching policy -----------------------------------------------------------------------

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TOPICS = ["arrays", "graphs", "trees", "strings"]


@st.composite
def waiting_requests(draw: st.DrawFn, uid: str) -> Waiting:
    created = T0 + dt.timedelta(seconds=draw(st.integers(0, 20)))  # ties happen
    return Waiting(
        uid=uid,
        request_id=f"r-{uid}",
        difficulty=draw(st.sampled_from(DIFFICULTIES[:2])),
        language=draw(st.sampled_from(LANGUAGES[:2])),
        topics=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True))),
        relaxed=draw(st.booleans()),
        created_at=created,
        relax_at=created + dt.timedelta(seconds=draw(st.integers(0, 15))),
        expires_at=created + dt.timedelta(seconds=30),
    )


@st.composite
def bursts(draw: st.DrawFn) -> tuple[list[Waiting], dt.datetime]:
    """Waiting requests of distinct users (one request per user), and the sweep's now."""
    count = draw(st.integers(0, 12))
    requests = [draw(waiting_requests(f"u{index:02d}")) for index in range(count)]
    return requests, T0 + dt.timedelta(seconds=draw(st.integers(0, 40)))


def _key(request: Waiting) -> tuple[dt.datetime, str]:
    return (request.created_at, request.uid)


def _uids(pairs: list[tuple[Waiting, Waiting]]) -> list[tuple[str, str]]:
    return [(first.uid, second.uid) for first, second in pairs]


@FAST
@given(burst=bursts())
def test_pairs_are_compatible_and_nobody_is_paired_twice(
    burst: tuple[list[Waiting], dt.datetime],
) -> None:
    requests, now = burst
    pairs = pair_up(requests, now)
    paired = [request.uid for pair in pairs for request in pair]
    assert len(paired) == len(set(paired))
    assert all(compatible(first, second, now) for first, second in pairs)


@FAST
@given(burst=bursts())
def test_pairing_is_maximal_no_two_left_over_are_compatible(
    burst: tuple[list[Waiting], dt.datetime],
) -> None:
    requests, now = burst
    paired = {request.uid for pair in pair_up(requests, now) for request in pair}
    left = [request for request in requests if request.uid not in paired]
    assert not [(a.uid, b.uid) for a in left for b in left if compatible(a, b, now)]


@FAST
@given(burst=bursts())
def test_each_pair_is_the_oldest_request_with_the_oldest_compatible_one_unpaired(
    burst: tuple[list[Waiting], dt.datetime],
) -> None:
    requests, now = burst
    pairs = pair_up(requests, now)
    taken: set[str] = set()
    for first, second in pairs:
        assert _key(first) < _key(second)
        # Nobody older than ``first`` is still free and compatible with it...
        free = [r for r in requests if r.uid not in taken and r.uid != first.uid]
        assert not [r.uid for r in free if _key(r) < _key(first) and compatible(r, first, now)]
        # ...and ``second`` is the oldest free request compatible with ``first``.
        candidates = [r for r in free if _key(r) > _key(first) and compatible(first, r, now)]
        assert min(candidates, key=_key) == second
        taken.update((first.uid, second.uid))


@FAST
@given(burst=bursts(), data=st.data())
def test_pairing_is_deterministic_and_ignores_the_input_order(
    burst: tuple[list[Waiting], dt.datetime], data: st.DataObject
) -> None:
    requests, now = burst
    shuffled = data.draw(st.permutations(requests))
    assert _uids(pair_up(shuffled, now)) == _uids(pair_up(requests, now))
    assert _uids(pair_up(requests, now)) == _uids(pair_up(list(requests), now))


@FAST
@given(burst=bursts())
def test_question_topics_end_with_any_topic_and_come_from_the_requests(
    burst: tuple[list[Waiting], dt.datetime],
) -> None:
    requests, now = burst
    for first, second in pair_up(requests, now):
        for a, b in ((first, second), (second, first)):
            choices = question_topics(a, b, now)
            assert choices[-1] == []
            assert all(choices[:-1]), "only the last choice is any topic"
            asked = set(a.topics) | set(b.topics)
            assert all(set(choice) <= asked for choice in choices)
            both = set(a.topics) & set(b.topics)
            if both and a.is_relaxed(now) == b.is_relaxed(now):
                assert set(choices[0]) == both


# --- judging ----------------------------------------------------------------------------------

# Answers are JSON of the signatures' value types: scalars, and lists of them, nested (linked
# lists and trees are lists too); never objects.
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8)
)
answers = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4), max_leaves=10)


@FAST
@given(value=answers)
def test_every_mode_finds_an_answer_the_same_as_itself(value: Any) -> None:
    for compare in ("exact", "float", "unordered"):
        assert same_answer(compare, value, value, []), compare
    copy = json.loads(json.dumps(value))  # as it comes back from a program: JSON
    assert same_answer("exact", value, copy, [])


@FAST
@given(value=st.lists(st.lists(answers, max_size=3), max_size=4))
def test_unordered_deep_finds_a_list_of_lists_the_same_as_itself(value: list[Any]) -> None:
    assert same_answer("unordered_deep", value, value, [])


@FAST
@given(value=st.lists(answers, max_size=6), data=st.data())
def test_unordered_ignores_the_order_of_the_answer(value: list[Any], data: st.DataObject) -> None:
    assert same_answer("unordered", value, data.draw(st.permutations(value)), [])


@FAST
@given(value=st.lists(st.lists(answers, max_size=3), max_size=4), data=st.data())
def test_unordered_deep_ignores_the_order_at_both_levels(
    value: list[list[Any]], data: st.DataObject
) -> None:
    shuffled = [data.draw(st.permutations(inner)) for inner in data.draw(st.permutations(value))]
    assert same_answer("unordered_deep", value, shuffled, [])


exact_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "a", "1", "true"]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@FAST
@given(expected=exact_values, actual=exact_values)
def test_exact_tells_apart_answers_that_differ_as_json(expected: Any, actual: Any) -> None:
    differ = json.dumps(expected, sort_keys=True) != json.dumps(actual, sort_keys=True)
    assert same_answer("exact", expected, actual, []) is not differ


@FAST
@given(
    value=st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=5),
    noise=st.floats(-1e-7, 1e-7),
)
def test_float_accepts_an_answer_within_the_tolerance(value: list[float], noise: float) -> None:
    near = [number + noise * max(1.0, abs(number)) for number in value]
    assert same_answer("float", value, near, [])
    assert same_answer("float", [value], [near], [])
    far = [number + 1e-3 * max(1.0, abs(number)) for number in value]
    assert same_answer("float", value, far, []) is (len(value) == 0)
