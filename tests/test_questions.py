"""The question bank over HTTP: browse with filters and cursors, read, admin writes, topic counts,
and the random pick that matching uses."""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from common.catalogue import DIFFICULTIES, TOPICS
from common.clients import firestore_client
from common.paging import encode_cursor
from common.questions import has_questions, pick_question, slugify
from common.questions.models import QuestionCreate
from devstack import LocalStack
from devstack.stack import ROOT
from tests.support import Api, EmulatorUser, assert_error, unique

Json = dict[str, Any]
Counts = dict[str, dict[str, int]]


# ---- helpers -----------------------------------------------------------------------------------


def question_body(title: str | None = None, **overrides: Any) -> Json:
    """A valid POST /questions body with a title no other test uses."""
    body: Json = {
        "title": title or f"Probe {unique('q')} Pairs",
        "description": "Given `nums`, return the number of pairs that add up to `target`.",
        "difficulty": "medium",
        "topics": ["arrays", "hash-table"],
        "examples": [
            {"input": "nums = [1, 2, 3], target = 4", "output": "1", "explanation": "1 + 3"},
            {"input": "nums = [2, 2], target = 4", "output": "1"},
        ],
        "constraints": ["1 <= nums.length <= 10^4"],
        "starterCode": {
            "python": "def count_pairs(nums, target):\n    pass\n",
            "javascript": "function countPairs(nums, target) {\n}\n",
            "java": "class Solution {\n    int countPairs(int[] nums, int target) {\n    }\n}\n",
            "cpp": "int countPairs(std::vector<int>& nums, int target) { return 0; }\n",
        },
    }
    body.update(overrides)
    return body


def as_stored(body: Json) -> Json:
    """The fields of a question as the API returns them for this request body."""
    return QuestionCreate.model_validate(body).model_dump(mode="json", by_alias=True)


def create(api: Api, admin: EmulatorUser, **overrides: Any) -> Json:
    response = api.post("/questions", json=question_body(**overrides), user=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def bank() -> list[Json]:
    """Every question as Firestore holds it: the ground truth for the list endpoint."""
    return [
        {**(snapshot.to_dict() or {}), "id": snapshot.id}
        for snapshot in firestore_client().collection("questions").stream()
    ]


def question_count() -> int:
    return sum(1 for _ in firestore_client().collection("questions").select([]).stream())


def matching(
    questions: list[Json],
    *,
    difficulty: str | None = None,
    topics: tuple[str, ...] = (),
    text: str | None = None,
) -> list[str]:
    """The ids of the questions that pass the filters, ordered by slug."""
    words = text.casefold().split() if text else []
    kept = [
        question
        for question in questions
        if (difficulty is None or question["difficulty"] == difficulty)
        and (not topics or set(topics) & set(question["topics"]))
        and all(word in question["title"].casefold() for word in words)
    ]
    return [question["id"] for question in sorted(kept, key=lambda question: question["slug"])]


def list_all(
    api: Api, user: EmulatorUser, params: list[tuple[str, str]], *, limit: int
) -> list[Json]:
    """Follow nextCursor from the first page to the last and return every item seen."""
    items: list[Json] = []
    cursor: str | None = None
    pages: list[int] = []
    for _ in range(1000):
        query = [*params, ("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
        response = api.get("/questions", params=query, user=user)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "nextCursor"}
        assert len(page["items"]) <= limit
        pages.append(len(page["items"]))
        items.extend(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            if not any(key == "text" for key, _ in params):
                # Without a title filter every page but the last is full.
                assert all(size == limit for size in pages[:-1]), pages
            return items
    raise AssertionError("nextCursor never became null")


def search(api: Api, user: EmulatorUser, text: str, **params: str) -> list[Json]:
    response = api.get("/questions", params={"text": text, "limit": "50", **params}, user=user)
    assert response.status_code == 200, response.text
    assert response.json()["nextCursor"] is None
    return response.json()["items"]  # type: ignore[no-any-return]


def topic_counts(api: Api, user: EmulatorUser) -> Counts:
    response = api.get("/topics", user=user)
    assert response.status_code == 200, response.text
    return {item["slug"]: item["counts"] for item in response.json()["items"]}


def moved(before: Counts, *changes: tuple[str, str, int]) -> Counts:
    expected = copy.deepcopy(before)
    for topic, difficulty, change in changes:
        expected[topic][difficulty] += change
    return expected


# ---- GET /questions ----------------------------------------------------------------------------


def test_list_without_filters_pages_by_slug_with_the_default_limit(
    api: Api, user: EmulatorUser
) -> None:
    response = api.get("/questions", user=user)

    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["items"]) == 20
    assert page["nextCursor"]
    slugs = [item["slug"] for item in page["items"]]
    assert slugs == sorted(slugs)
    assert set(page["items"][0]) == {"id", "slug", "title", "difficulty", "topics"}
    assert [item["id"] for item in page["items"]] == matching(bank())[:20]


@pytest.mark.parametrize("limit", [1, 50])
def test_limit_bounds_are_accepted(api: Api, user: EmulatorUser, limit: int) -> None:
    response = api.get("/questions", params={"limit": limit}, user=user)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == matching(bank())[:limit]
    assert response.json()["nextCursor"]  # the seeded bank holds more than 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"difficulty": "extreme"}, "difficulty"),
        ({"topic": "not-a-topic"}, "topic.0"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 101}, "text"),
        ({"sort": "title"}, "sort"),
    ],
)
def test_bad_query_parameter_is_400_naming_it(
    api: Api, user: EmulatorUser, params: dict[str, str], field: str
) -> None:
    response = api.get("/questions", params=params, user=user)

    body = assert_error(response, 400, "bad_request")
    assert [detail["field"] for detail in body["error"]["details"]] == [field]
    assert body["error"]["message"].startswith(f"{field}:")


def test_eleven_topics_or_a_repeated_single_parameter_is_400(api: Api, user: EmulatorUser) -> None:
    too_many = [("topic", topic) for topic in list(TOPICS)[:11]]
    repeated = [("difficulty", "easy"), ("difficulty", "hard")]

    many = assert_error(api.get("/questions", params=too_many, user=user), 400, "bad_request")
    twice = assert_error(api.get("/questions", params=repeated, user=user), 400, "bad_request")

    assert many["error"]["details"][0]["field"] == "topic"
    assert twice["error"]["details"][0]["field"] == "difficulty"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        encode_cursor({"other": "key"}),
        "WzFd",  # base64 of [1]: JSON, but not an object
        "x" * 501,
    ],
)
def test_bad_cursor_is_400(api: Api, user: EmulatorUser, cursor: str) -> None:
    response = api.get("/questions", params={"cursor": cursor}, user=user)

    body = assert_error(response, 400, "bad_request")
    assert body["error"]["details"][0]["field"] == "cursor"


def test_listing_needs_a_signed_in_user(api: Api) -> None:
    assert_error(api.get("/questions"), 401, "unauthenticated")
    assert_error(api.get("/questions", params={"difficulty": "easy"}), 401, "unauthenticated")


def test_difficulty_filter_returns_only_that_difficulty(api: Api, user: EmulatorUser) -> None:
    items = list_all(api, user, [("difficulty", "hard")], limit=50)

    assert items and {item["difficulty"] for item in items} == {"hard"}
    assert [item["id"] for item in items] == matching(bank(), difficulty="hard")


def test_topic_filter_is_repeatable_and_matches_any_of_them(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    token = unique("anyof")
    trie = create(api, admin, title=f"Anyof {token} One", topics=["trie"])
    union = create(api, admin, title=f"Anyof {token} Two", topics=["union-find", "greedy"])
    create(api, admin, title=f"Anyof {token} Three", topics=["intervals"])

    one = search(api, user, token, topic="trie")
    both = api.get(
        "/questions",
        params=[("text", token), ("topic", "trie"), ("topic", "union-find")],
        user=user,
    )

    assert [item["id"] for item in one] == [trie["id"]]
    assert both.status_code == 200, both.text
    assert {item["id"] for item in both.json()["items"]} == {trie["id"], union["id"]}


def test_the_same_topic_twice_is_the_same_filter(api: Api, user: EmulatorUser) -> None:
    params = [("topic", "heap"), ("topic", "heap"), ("limit", "50")]

    response = api.get("/questions", params=params, user=user)

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == matching(bank(), topics=("heap",))


def test_text_filter_needs_every_word_in_the_title_in_any_case(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    token = unique("zebra")
    easy = create(api, admin, title=f"Zebra {token} Crossing Lights", difficulty="easy")
    hard = create(api, admin, title=f"Zebra {token} Parade", difficulty="hard")

    everything = search(api, user, f"{token.upper()} ZEBRA")
    reordered = search(api, user, f"lights   {token} crossing")
    missing_word = search(api, user, f"{token} giraffe")
    hard_only = search(api, user, f"zebra {token}", difficulty="hard")

    # Ordered by slug: zebra-…-crossing-lights before zebra-…-parade.
    assert [item["id"] for item in everything] == [easy["id"], hard["id"]]
    assert [item["id"] for item in reordered] == [easy["id"]]
    assert missing_word == []
    assert [item["id"] for item in hard_only] == [hard["id"]]


FILTERS: list[tuple[str, list[tuple[str, str]], dict[str, Any]]] = [
    ("none", [], {}),
    ("difficulty", [("difficulty", "medium")], {"difficulty": "medium"}),
    ("one-topic", [("topic", "arrays")], {"topics": ("arrays",)}),
    ("two-topics", [("topic", "graphs"), ("topic", "heap")], {"topics": ("graphs", "heap")}),
    (
        "difficulty-topic",
        [("difficulty", "hard"), ("topic", "dynamic-programming")],
        {"difficulty": "hard", "topics": ("dynamic-programming",)},
    ),
    ("text", [("text", "TREE")], {"text": "TREE"}),
    (
        "text-difficulty",
        [("text", "binary tree"), ("difficulty", "easy")],
        {"text": "binary tree", "difficulty": "easy"},
    ),
]


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
@pytest.mark.parametrize(
    ("params", "truth"), [(p, t) for _, p, t in FILTERS], ids=[n for n, *_ in FILTERS]
)
def test_paging_returns_every_match_exactly_once(
    api: Api, user: EmulatorUser, params: list[tuple[str, str]], truth: dict[str, Any], limit: int
) -> None:
    expected = matching(bank(), **truth)

    items = list_all(api, user, params, limit=limit)

    assert expected, "the seeded bank should match every filter of this test"
    assert [item["id"] for item in items] == expected


# ---- GET /questions/{id} -----------------------------------------------------------------------


def test_get_returns_the_full_question(api: Api, admin: EmulatorUser, user: EmulatorUser) -> None:
    body = question_body()
    posted = api.post("/questions", json=body, user=admin)
    assert posted.status_code == 201, posted.text
    created = posted.json()

    response = api.get(f"/questions/{created['id']}", user=user)

    assert response.status_code == 200, response.text
    question = response.json()
    assert question == created
    assert {key: question[key] for key in as_stored(body)} == as_stored(body)
    assert set(question["starterCode"]) == {"python", "javascript", "java", "cpp"}
    assert question["slug"] == slugify(body["title"])
    created_at = dt.datetime.fromisoformat(question["createdAt"])
    assert created_at.tzinfo is not None
    assert abs(dt.datetime.now(dt.UTC) - created_at) < dt.timedelta(minutes=5)
    assert question["updatedAt"] == question["createdAt"]
    assert "rand" not in question


def test_get_a_seeded_question_matches_the_data_files(api: Api, user: EmulatorUser) -> None:
    from jobs.import_questions import load

    entry = load(ROOT / "data" / "questions.json")[0].question.model_dump(
        mode="json", by_alias=True
    )
    slug = slugify(entry["title"])
    [summary] = [item for item in search(api, user, entry["title"]) if item["slug"] == slug]

    response = api.get(f"/questions/{summary['id']}", user=user)

    assert response.status_code == 200, response.text
    question = response.json()
    assert {key: question[key] for key in entry} == entry
    assert len(question["examples"]) >= 2 and question["constraints"]
    # Its judging data came too: the signature and a test per example (hidden tests: see below).
    assert question["signature"]["function"] == "pairWithTargetSum"
    assert all(example["test"] for example in question["examples"])


def test_get_unknown_id_is_404(api: Api, user: EmulatorUser) -> None:
    assert_error(api.get(f"/questions/{unique('nope')}", user=user), 404, "not_found")


def test_get_needs_a_signed_in_user(api: Api, user: EmulatorUser) -> None:
    first = api.get("/questions", params={"limit": 1}, user=user).json()["items"][0]

    assert_error(api.get(f"/questions/{first['id']}"), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "question_id"),
    [
        ("GET", "__reserved__"),
        ("GET", "%2E%2E"),
        ("PATCH", "__reserved__"),
        ("DELETE", "__reserved__"),
    ],
)
def test_an_id_firestore_cannot_hold_is_404_not_500(
    api: Api, admin: EmulatorUser, method: str, question_id: str
) -> None:
    # No question can have such an id (Firestore reserves __*__, "." and ".."): a client's typo
    # must get the 404 of any unknown id, never a 500 ("nothing a client sends gives a 500").
    body = {"description": "changed"} if method == "PATCH" else None

    response = api.request(method, f"/questions/{question_id}", json=body, user=admin)

    assert_error(response, 404, "not_found")


# ---- POST /questions ---------------------------------------------------------------------------


def test_admin_creates_a_question_with_a_slug_from_its_title(api: Api, admin: EmulatorUser) -> None:
    token = unique("")
    body = question_body(title=f"  Ünïcode Probe: {token}, Sum-of  Pairs!! ")

    response = api.post("/questions", json=body, user=admin)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"]
    assert created["title"] == f"Ünïcode Probe: {token}, Sum-of  Pairs!!"
    assert created["slug"] == f"unicode-probe-{token}-sum-of-pairs"
    assert {key: created[key] for key in as_stored(body)} == as_stored(body)
    stored = firestore_client().collection("questions").document(created["id"]).get()
    assert stored.get("slug") == created["slug"]
    assert 0 <= stored.get("rand") < 1
    reservation = firestore_client().collection("questionSlugs").document(created["slug"]).get()
    assert reservation.get("id") == created["id"]


def test_longest_title_and_description_are_accepted(api: Api, admin: EmulatorUser) -> None:
    title = f"Longest {unique('t')} ".ljust(120, "x")
    body = question_body(title=title, description="d" * 20_000)

    response = api.post("/questions", json=body, user=admin)

    assert response.status_code == 201, response.text
    assert response.json()["title"] == title
    assert len(response.json()["description"]) == 20_000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "d" * 20_001}, "description"),
        ({"difficulty": "extreme"}, "difficulty"),
        ({"topics": ["arrays", "not-a-topic"]}, "topics.1"),
        ({"topics": ["arrays", "arrays"]}, "topics"),
        ({"topics": []}, "topics"),
        ({"examples": []}, "examples"),
        ({"constraints": []}, "constraints"),
        ({"starterCode": {"python": "x", "javascript": "x", "java": "x"}}, "starterCode.cpp"),
        ({"rand": 0.5}, "rand"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_question_is_422_naming_the_field_and_writes_nothing(
    api: Api, admin: EmulatorUser, changes: Json, field: str
) -> None:
    before = question_count()

    response = api.post("/questions", json=question_body(**changes), user=admin)

    body = assert_error(response, 422, "validation_error")
    assert field in [detail["field"] for detail in body["error"]["details"]]
    assert question_count() == before


def test_title_without_letters_or_digits_is_422_naming_the_title(
    api: Api, admin: EmulatorUser
) -> None:
    before = question_count()

    response = api.post("/questions", json=question_body(title="!?!-*"), user=admin)

    body = assert_error(response, 422, "validation_error")
    assert question_count() == before
    # Like every other 422, the details name the failing field.
    assert [detail["field"] for detail in body["error"]["details"]] == ["title"]


def test_title_with_a_taken_slug_is_409(api: Api, admin: EmulatorUser, user: EmulatorUser) -> None:
    token = unique("dup")
    first = create(api, admin, title=f"Duplicate {token} Probe")

    response = api.post(
        "/questions", json=question_body(title=f"DUPLICATE: {token.upper()} -- probe!"), user=admin
    )

    body = assert_error(response, 409, "already_exists")
    assert body["error"]["details"][0]["field"] == "title"
    assert [item["id"] for item in search(api, user, token)] == [first["id"]]
    assert api.get(f"/questions/{first['id']}", user=user).json() == first


def race_creates(api: Api, admin: EmulatorUser, titles: list[str]) -> list[requests.Response]:
    """POST one question per title, all released at the same instant."""
    bodies = [question_body(title=title, topics=["trie"]) for title in titles]
    start = threading.Barrier(len(bodies))

    def post(body: Json) -> requests.Response:
        start.wait()
        return requests.post(
            f"{api.base_url}/questions", json=body, headers=admin.headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_racing_creates_of_one_slug_give_one_201_and_409s(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    # A race's outcome depends on timing: several rounds (within a time budget) make a lost
    # race likely to show.
    deadline = time.monotonic() + 6
    for _ in range(6):
        if time.monotonic() > deadline:
            break
        token = unique("race")
        before = topic_counts(api, user)

        responses = race_creates(api, admin, [f"Race {token} Probe", f"RACE {token} probe!"] * 5)

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] + [409] * 9, [r.text[:120] for r in responses]
        [winner] = [response.json() for response in responses if response.status_code == 201]
        assert [item["id"] for item in search(api, user, token)] == [winner["id"]]
        assert topic_counts(api, user) == moved(before, ("trie", "medium", 1))


@pytest.mark.parametrize("expected", [401, 403])
@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_writes_need_an_admin(
    api: Api, admin: EmulatorUser, user: EmulatorUser, method: str, expected: int
) -> None:
    question = create(api, admin)
    path = "/questions" if method == "POST" else f"/questions/{question['id']}"
    body = {
        "POST": question_body(),
        "PATCH": {"description": "changed"},
        "DELETE": None,
    }[method]
    before = question_count()

    response = api.request(method, path, json=body, user=user if expected == 403 else None)

    if expected == 401:
        assert_error(response, 401, "unauthenticated")
    else:
        assert_error(response, 403, "permission_denied")
    assert question_count() == before
    assert api.get(f"/questions/{question['id']}", user=user).json() == question


# ---- PATCH /questions/{id} ---------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    question = create(api, admin)
    examples = [
        {"input": "nums = [5], target = 5", "output": "0", "explanation": None, "test": None}
    ]

    response = api.patch(
        f"/questions/{question['id']}",
        json={"description": "A new description.", "examples": examples},
        user=admin,
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["description"] == "A new description."
    assert patched["examples"] == examples
    unchanged = {"id", "slug", "title", "difficulty", "topics", "constraints", "starterCode"}
    assert {key: patched[key] for key in unchanged} == {key: question[key] for key in unchanged}
    assert patched["createdAt"] == question["createdAt"]
    assert dt.datetime.fromisoformat(patched["updatedAt"]) > dt.datetime.fromisoformat(
        question["updatedAt"]
    )
    assert api.get(f"/questions/{question['id']}", user=user).json() == patched


def test_patch_title_moves_the_slug_and_frees_the_old_one(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    token = unique("mv")
    old_title, new_title = f"Moving {token} Before", f"Moving {token} After"
    question = create(api, admin, title=old_title)

    response = api.patch(f"/questions/{question['id']}", json={"title": new_title}, user=admin)

    assert response.status_code == 200, response.text
    assert response.json()["slug"] == slugify(new_title)
    assert response.json()["id"] == question["id"]
    slugs = firestore_client().collection("questionSlugs")
    assert not slugs.document(slugify(old_title)).get().exists
    assert slugs.document(slugify(new_title)).get().get("id") == question["id"]
    reuse = api.post("/questions", json=question_body(title=old_title), user=admin)
    assert reuse.status_code == 201, reuse.text
    assert reuse.json()["slug"] == slugify(old_title)
    taken = api.post("/questions", json=question_body(title=new_title.upper()), user=admin)
    assert_error(taken, 409, "already_exists")
    assert {item["slug"] for item in search(api, user, token)} == {
        slugify(old_title),
        slugify(new_title),
    }


def test_patch_title_with_the_same_slug_keeps_it(api: Api, admin: EmulatorUser) -> None:
    token = unique("case")
    question = create(api, admin, title=f"Casing {token} probe")

    response = api.patch(
        f"/questions/{question['id']}", json={"title": f"CASING {token.upper()} PROBE!"}, user=admin
    )

    assert response.status_code == 200, response.text
    assert response.json()["slug"] == question["slug"]
    assert response.json()["title"] == f"CASING {token.upper()} PROBE!"


def test_patch_title_onto_another_questions_slug_is_409(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    token = unique("clash")
    taken = create(api, admin, title=f"Clash {token} One")
    question = create(api, admin, title=f"Clash {token} Two")

    response = api.patch(
        f"/questions/{question['id']}", json={"title": f"clash {token} ONE"}, user=admin
    )

    body = assert_error(response, 409, "already_exists")
    assert body["error"]["details"][0]["field"] == "title"
    assert api.get(f"/questions/{question['id']}", user=user).json() == question
    assert api.get(f"/questions/{taken['id']}", user=user).json() == taken


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"difficulty": "extreme"}, "difficulty"),
        ({"topics": ["nope"]}, "topics.0"),
        ({"title": "ab"}, "title"),
        ({"slug": "hand-made"}, "slug"),
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(
    api: Api, admin: EmulatorUser, user: EmulatorUser, body: Json, field: str | None
) -> None:
    question = create(api, admin)

    response = api.patch(f"/questions/{question['id']}", json=body, user=admin)

    error = assert_error(response, 422, "validation_error")
    assert field in [detail["field"] for detail in error["error"]["details"]]
    assert api.get(f"/questions/{question['id']}", user=user).json() == question


def test_patch_null_field_is_422(api: Api, admin: EmulatorUser) -> None:
    question = create(api, admin)

    response = api.patch(f"/questions/{question['id']}", json={"difficulty": None}, user=admin)

    body = assert_error(response, 422, "validation_error")
    assert "difficulty" in body["error"]["message"]


def test_patch_unknown_id_is_404(api: Api, admin: EmulatorUser) -> None:
    response = api.patch(f"/questions/{unique('nope')}", json={"difficulty": "easy"}, user=admin)

    assert_error(response, 404, "not_found")


# ---- DELETE /questions/{id} --------------------------------------------------------------------


def test_delete_removes_the_question_and_frees_its_slug(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    question = create(api, admin)

    response = api.delete(f"/questions/{question['id']}", user=admin)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(api.get(f"/questions/{question['id']}", user=user), 404, "not_found")
    assert_error(api.delete(f"/questions/{question['id']}", user=admin), 404, "not_found")
    assert not (
        firestore_client().collection("questionSlugs").document(question["slug"]).get().exists
    )
    again = api.post("/questions", json=question_body(title=question["title"]), user=admin)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != question["id"]


# ---- GET /topics -------------------------------------------------------------------------------


def test_topics_lists_the_catalogue_with_counts_that_match_the_bank(
    api: Api, user: EmulatorUser
) -> None:
    response = api.get("/topics", user=user)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(item["slug"], item["name"]) for item in items] == list(TOPICS.items())
    questions = bank()
    for item in items:
        assert set(item["counts"]) == set(DIFFICULTIES)
        assert item["total"] == sum(item["counts"].values())
        for difficulty in DIFFICULTIES:
            truth = len(matching(questions, difficulty=difficulty, topics=(item["slug"],)))
            assert item["counts"][difficulty] == truth, (item["slug"], difficulty)


def test_seeded_bank_covers_topics_and_difficulties(api: Api, user: EmulatorUser) -> None:
    items = api.get("/topics", user=user).json()["items"]

    assert sum(1 for item in items if item["total"] > 0) >= 12
    for difficulty in DIFFICULTIES:
        assert len(list_all(api, user, [("difficulty", difficulty)], limit=50)) >= 15


def test_topics_needs_a_signed_in_user(api: Api) -> None:
    assert_error(api.get("/topics"), 401, "unauthenticated")


def test_topic_counts_follow_create_patch_and_delete(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    before = topic_counts(api, user)

    question = create(api, admin, topics=["trie", "union-find"], difficulty="easy")
    after_create = topic_counts(api, user)
    api.patch(
        f"/questions/{question['id']}",
        json={"difficulty": "hard", "topics": ["union-find", "intervals"]},
        user=admin,
    ).raise_for_status()
    after_patch = topic_counts(api, user)
    api.delete(f"/questions/{question['id']}", user=admin).raise_for_status()
    after_delete = topic_counts(api, user)

    assert after_create == moved(before, ("trie", "easy", 1), ("union-find", "easy", 1))
    assert after_patch == moved(before, ("union-find", "hard", 1), ("intervals", "hard", 1))
    assert after_delete == before


def test_failed_writes_leave_topic_counts_alone(
    api: Api, admin: EmulatorUser, user: EmulatorUser
) -> None:
    token = unique("cnt")
    question = create(api, admin, title=f"Counted {token} One", topics=["trie"])
    other = create(api, admin, title=f"Counted {token} Two", topics=["trie"])
    before = topic_counts(api, user)

    clash = api.patch(
        f"/questions/{other['id']}",
        json={"title": question["title"], "topics": ["heap"]},
        user=admin,
    )
    duplicate = api.post(
        "/questions", json=question_body(title=question["title"], topics=["trie"]), user=admin
    )

    assert_error(clash, 409, "already_exists")
    assert_error(duplicate, 409, "already_exists")
    assert topic_counts(api, user) == before


# ---- pick_question -----------------------------------------------------------------------------


def test_pick_returns_a_question_of_the_difficulty_with_one_of_the_topics(
    stack: LocalStack,
) -> None:
    topics = ["graphs", "heap"]

    picks = [pick_question(difficulty="hard", topics=topics) for _ in range(10)]

    ids = set(matching(bank(), difficulty="hard", topics=tuple(topics)))
    for picked in picks:
        assert picked is not None
        assert picked.difficulty == "hard"
        assert set(picked.topics) & set(topics)
        assert picked.id in ids
        assert picked.starter_code.python


def test_pick_with_no_topics_means_any_topic(stack: LocalStack) -> None:
    picked = pick_question(difficulty="easy", topics=[])

    assert picked is not None
    assert picked.difficulty == "easy"
    assert has_questions(difficulty="easy", topics=[])


def test_pick_avoids_the_given_ids_when_another_matches(stack: LocalStack) -> None:
    topics = ["arrays", "heap"]
    ids = matching(bank(), difficulty="hard", topics=tuple(topics))
    assert 2 <= len(ids) <= 20
    fresh = ids[len(ids) // 2]
    avoid = set(ids) - {fresh}

    picks = [pick_question(difficulty="hard", topics=topics, avoid_ids=avoid) for _ in range(10)]

    assert [picked.id if picked else None for picked in picks] == [fresh] * 10


def test_pick_avoids_the_given_ids_among_many_candidates(stack: LocalStack) -> None:
    # Matching prefers a question neither user has attempted (DESIGN.md section 4). With more
    # candidates than one sample, the one fresh question must still be the one picked.
    ids = matching(bank(), difficulty="medium")
    assert len(ids) > 20
    fresh = ids[0]
    avoid = set(ids) - {fresh}

    picks = [pick_question(difficulty="medium", topics=[], avoid_ids=avoid) for _ in range(30)]

    picked_ids = [picked.id if picked else None for picked in picks]
    avoided = [picked_id for picked_id in picked_ids if picked_id != fresh]
    assert avoided == [], f"{len(avoided)} of 30 picks among {len(ids)} were avoided ids"


def test_pick_returns_an_avoided_question_when_every_match_is_avoided(
    stack: LocalStack,
) -> None:
    topics = ["arrays", "heap"]
    ids = set(matching(bank(), difficulty="hard", topics=tuple(topics)))

    picks = [pick_question(difficulty="hard", topics=topics, avoid_ids=ids) for _ in range(5)]

    assert all(picked is not None and picked.id in ids for picked in picks)


def test_pick_and_has_questions_on_an_empty_combination(stack: LocalStack) -> None:
    questions = bank()
    empty = [
        (difficulty, topic)
        for difficulty in DIFFICULTIES
        for topic in TOPICS
        if not matching(questions, difficulty=difficulty, topics=(topic,))
    ]
    assert empty, "the seeded bank leaves some difficulty and topic without questions"
    difficulty, topic = empty[0]

    assert pick_question(difficulty=difficulty, topics=[topic]) is None
    assert not has_questions(difficulty=difficulty, topics=[topic])
    assert has_questions(difficulty="hard", topics=["arrays", topic])
