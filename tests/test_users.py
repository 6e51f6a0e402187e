"""Users: profiles, unique usernames, public profiles, attempts and stats, account deletion."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from common.clients import firestore_client
from common.users import record_attempt
from common.users.models import Attempt
from devstack import LocalStack
from tests.support import Api, AuthEmulator, EmulatorUser, assert_error, run_job, unique


def new_username() -> str:
    return unique("u")[:20]


def make_profile(api: Api, user: EmulatorUser, username: str | None = None) -> dict[str, object]:
    response = api.post("/users", json={"username": username or new_username()}, user=user)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def attempt(
    session_id: str,
    *,
    partner: str,
    question: str,
    minutes: float,
    ended: dt.datetime,
    difficulty: str = "easy",
) -> Attempt:
    return Attempt.model_validate(
        {
            "sessionId": session_id,
            "question": {
                "id": question,
                "title": f"Question {question}",
                "difficulty": difficulty,
                "topics": ["arrays"],
            },
            "language": "python",
            "partner": {"uid": partner, "username": f"p_{partner[:8]}"},
            "startedAt": ended - dt.timedelta(minutes=minutes),
            "endedAt": ended,
            "durationS": minutes * 60,
            "finalCode": "print('hi')\n",
        }
    )


# ---- POST /users ----------------------------------------------------------------------------


def test_create_profile(api: Api, user: EmulatorUser) -> None:
    name = "Mixed_" + unique("")[:8]
    response = api.post(
        "/users",
        json={
            "username": name,
            "displayName": " Ada L. ",
            "preferredLanguage": "java",
            "proficiency": "advanced",
        },
        user=user,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["uid"] == user.uid
    assert body["username"] == name
    assert body["displayName"] == "Ada L."
    assert body["email"] == user.email
    assert body["preferredLanguage"] == "java"
    assert body["proficiency"] == "advanced"
    assert body["stats"] == {
        "sessions": 0,
        "minutesPractised": 0.0,
        "partners": 0,
        "questionsByDifficulty": {"easy": 0, "medium": 0, "hard": 0},
    }
    assert body["createdAt"] == body["updatedAt"]
    assert api.get("/users/me", user=user).json() == body


def test_create_profile_defaults_display_name_to_username(api: Api, user: EmulatorUser) -> None:
    body = make_profile(api, user)
    assert body["displayName"] == body["username"]
    assert body["preferredLanguage"] == "python"


def test_second_profile_is_409(api: Api, user: EmulatorUser) -> None:
    make_profile(api, user)
    assert_error(
        api.post("/users", json={"username": new_username()}, user=user), 409, "already_exists"
    )


def test_taken_username_is_409_whatever_the_case(api: Api, auth: AuthEmulator) -> None:
    name = "Taken_" + unique("")[:8]
    make_profile(api, auth.sign_up(), name)
    body = assert_error(
        api.post("/users", json={"username": name.upper()}, user=auth.sign_up()),
        409,
        "username_taken",
    )
    assert body["error"]["details"][0]["field"] == "username"


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 21, "has space", "dash-ed", "émile", "admin", "ROOT", "me", "Ai", "system"],
)
def test_invalid_or_reserved_username_is_422(api: Api, user: EmulatorUser, username: str) -> None:
    body = assert_error(
        api.post("/users", json={"username": username}, user=user), 422, "validation_error"
    )
    assert body["error"]["details"][0]["field"] == "username"


def test_bad_profile_fields_are_422(api: Api, user: EmulatorUser) -> None:
    for extra, field in (
        ({"preferredLanguage": "cobol"}, "preferredLanguage"),
        ({"proficiency": "guru"}, "proficiency"),
        ({"displayName": "x" * 51}, "displayName"),
        ({"email": "forged@example.test"}, "email"),
    ):
        response = api.post("/users", json={"username": new_username(), **extra}, user=user)
        body = assert_error(response, 422, "validation_error")
        assert body["error"]["details"][0]["field"] == field


def test_create_profile_needs_a_token(api: Api) -> None:
    assert_error(api.post("/users", json={"username": new_username()}), 401, "unauthenticated")


def test_twenty_racing_signups_for_one_username_give_one_winner(
    api: Api, auth: AuthEmulator
) -> None:
    name = new_username()
    racers = [auth.sign_up() for _ in range(20)]

    def sign_up(racer: EmulatorUser) -> requests.Response:
        return requests.post(
            f"{api.base_url}/users", json={"username": name}, headers=racer.headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(sign_up, racers))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19, [
        r.text for r in responses if r.status_code not in {201, 409}
    ]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "username_taken"
    }
    winner = next(r.json()["uid"] for r in responses if r.status_code == 201)
    assert (
        firestore_client().collection("usernames").document(name.lower()).get().get("uid") == winner
    )
    # Only the winner has a profile.
    profiles = [firestore_client().collection("users").document(r.uid).get().exists for r in racers]
    assert profiles.count(True) == 1


# ---- GET and PATCH /users/me ------------------------------------------------------------------


def test_get_me_without_profile_is_404(api: Api, user: EmulatorUser) -> None:
    assert_error(api.get("/users/me", user=user), 404, "not_found")


def test_update_profile_fields(api: Api, user: EmulatorUser) -> None:
    created = make_profile(api, user)
    response = api.patch(
        "/users/me", json={"displayName": "New Name", "proficiency": "intermediate"}, user=user
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["displayName"] == "New Name"
    assert body["proficiency"] == "intermediate"
    assert body["username"] == created["username"]
    assert body["updatedAt"] > body["createdAt"]
    assert api.get("/users/me", user=user).json() == body


def test_rename_frees_the_old_name(api: Api, auth: AuthEmulator) -> None:
    first, second = auth.sign_up(), auth.sign_up()
    old, new = new_username(), new_username()
    make_profile(api, first, old)
    renamed = api.patch("/users/me", json={"username": new}, user=first)
    assert renamed.status_code == 200 and renamed.json()["username"] == new
    assert_error(api.get(f"/users/{old}", user=second), 404, "not_found")
    assert api.get(f"/users/{new}", user=second).status_code == 200
    # The old name is free for someone else; the new one is not.
    assert make_profile(api, second, old)["username"] == old
    assert_error(
        api.patch("/users/me", json={"username": new.upper()}, user=second), 409, "username_taken"
    )


def test_changing_only_the_case_of_ones_name_is_allowed(api: Api, user: EmulatorUser) -> None:
    name = "case_" + unique("")[:8]
    make_profile(api, user, name)
    response = api.patch("/users/me", json={"username": name.upper()}, user=user)
    assert response.status_code == 200, response.text
    assert response.json()["username"] == name.upper()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"displayName": None}, None),
        ({"username": "no"}, "username"),
        ({"uid": "someone"}, "uid"),
        ({"stats": {"sessions": 100}}, "stats"),
    ],
)
def test_bad_update_is_422(
    api: Api, user: EmulatorUser, body: dict[str, object], field: str | None
) -> None:
    make_profile(api, user)
    error = assert_error(api.patch("/users/me", json=body, user=user), 422, "validation_error")
    if field:
        assert error["error"]["details"][0]["field"] == field


def test_update_without_profile_is_404(api: Api, user: EmulatorUser) -> None:
    assert_error(api.patch("/users/me", json={"displayName": "X"}, user=user), 404, "not_found")


# ---- GET /users/{username} ----------------------------------------------------------------------


def test_public_profile_hides_the_email(api: Api, auth: AuthEmulator) -> None:
    owner, viewer = auth.sign_up(), auth.sign_up()
    name = "Pub_" + unique("")[:8]
    make_profile(api, owner, name)
    response = api.get(f"/users/{name.lower()}", user=viewer)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == name
    assert "email" not in body and "uid" not in body
    assert owner.email not in response.text
    assert set(body) == {
        "username",
        "displayName",
        "preferredLanguage",
        "proficiency",
        "stats",
        "createdAt",
    }


def test_public_profile_of_unknown_user_is_404_and_needs_sign_in(
    api: Api, user: EmulatorUser
) -> None:
    assert_error(api.get(f"/users/{new_username()}", user=user), 404, "not_found")
    assert_error(api.get(f"/users/{new_username()}"), 401, "unauthenticated")


# ---- attempts and stats -----------------------------------------------------------------------


def test_recording_attempts_keeps_stats_current_and_is_idempotent(
    api: Api, user: EmulatorUser
) -> None:
    make_profile(api, user)
    now = dt.datetime.now(dt.UTC)
    partner_a, partner_b = unique("pa"), unique("pb")
    q1, q2 = unique("q"), unique("q")
    assert record_attempt(
        uid=user.uid,
        attempt=attempt("s1" + q1, partner=partner_a, question=q1, minutes=10, ended=now),
    )
    assert record_attempt(
        uid=user.uid,
        attempt=attempt("s2" + q1, partner=partner_a, question=q1, minutes=20, ended=now),
    )
    assert record_attempt(
        uid=user.uid,
        attempt=attempt(
            "s3" + q1, partner=partner_b, question=q2, minutes=6, ended=now, difficulty="hard"
        ),
    )
    # The same session again changes nothing.
    assert not record_attempt(
        uid=user.uid,
        attempt=attempt(
            "s3" + q1, partner=partner_b, question=q2, minutes=6, ended=now, difficulty="hard"
        ),
    )
    stats = api.get("/users/me", user=user).json()["stats"]
    assert stats == {
        "sessions": 3,
        "minutesPractised": 36.0,
        "partners": 2,
        "questionsByDifficulty": {"easy": 1, "medium": 0, "hard": 1},
    }


def test_a_profile_keeps_only_its_most_recent_questions_and_partners(
    api: Api, user: EmulatorUser
) -> None:
    from common.clients import firestore_client
    from common.users.service import RECENT_KEPT

    make_profile(api, user)
    old_questions = [f"q{i}" for i in range(RECENT_KEPT)]
    old_partners = [f"p{i}" for i in range(RECENT_KEPT)]
    reference = firestore_client().collection("users").document(user.uid)
    reference.update({"attemptedQuestionIds": old_questions, "partnerUids": old_partners})
    now = dt.datetime.now(dt.UTC)
    # Again a question and a partner it already has: moved last, nothing counted anew.
    assert record_attempt(
        uid=user.uid, attempt=attempt("s0", partner="p0", question="q0", minutes=1, ended=now)
    )
    stored = reference.get().to_dict() or {}
    assert stored["attemptedQuestionIds"] == [*old_questions[1:], "q0"]
    assert stored["partnerUids"] == [*old_partners[1:], "p0"]
    # A new one: the oldest drops out, so the lists never grow past RECENT_KEPT.
    assert record_attempt(
        uid=user.uid, attempt=attempt("s1", partner="new", question="fresh", minutes=1, ended=now)
    )
    stored = reference.get().to_dict() or {}
    assert len(stored["attemptedQuestionIds"]) == len(stored["partnerUids"]) == RECENT_KEPT
    assert (
        stored["attemptedQuestionIds"][-1] == "fresh" and "q1" not in stored["attemptedQuestionIds"]
    )
    assert stored["partnerUids"][-1] == "new" and "p1" not in stored["partnerUids"]
    assert stored["stats"]["partners"] == 1 and stored["stats"]["sessions"] == 2
    assert stored["stats"]["questionsByDifficulty"]["easy"] == 1


def test_attempts_are_listed_newest_first_and_paged_exactly_once(
    api: Api, user: EmulatorUser
) -> None:
    make_profile(api, user)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # Two attempts share an end time, to check that paging breaks ties.
    ends = [start + dt.timedelta(hours=i // 2 * 2 + 1) for i in range(7)]
    ids = []
    for index, ended in enumerate(ends):
        session_id = f"s{index}-{unique('')}"
        ids.append(session_id)
        record_attempt(
            uid=user.uid,
            attempt=attempt(session_id, partner="p", question=f"q{index}", minutes=5, ended=ended),
        )
    expected = [sid for _, sid in sorted(zip(ends, ids, strict=True), reverse=True)]
    for limit in (1, 2, 3, 50):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {
                "limit": limit,
                **({"cursor": cursor} if cursor else {}),
            }
            page = api.get("/users/me/attempts", params=params, user=user)
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["items"]) <= limit
            seen.extend(item["sessionId"] for item in body["items"])
            cursor = body["nextCursor"]
            if cursor is None:
                break
        assert seen == expected, limit
    first = api.get("/users/me/attempts", params={"limit": 1}, user=user).json()["items"][0]
    assert first["partner"] == {"uid": "p", "username": "p_p"}
    assert first["question"]["difficulty"] == "easy"
    assert first["durationS"] == 300


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 51},
        {"limit": "x"},
        {"cursor": "!!"},
        {"cursor": "eyJ4IjoxfQ"},
        {"sort": "asc"},
    ],
)
def test_bad_attempts_query_is_400(api: Api, user: EmulatorUser, params: dict[str, object]) -> None:
    make_profile(api, user)
    body = assert_error(api.get("/users/me/attempts", params=params, user=user), 400, "bad_request")
    assert body["error"]["details"][0]["field"] in {"limit", "cursor", "sort"}


def test_another_users_attempts_are_not_listed(api: Api, auth: AuthEmulator) -> None:
    owner, other = auth.sign_up(), auth.sign_up()
    make_profile(api, owner)
    make_profile(api, other)
    record_attempt(
        uid=owner.uid,
        attempt=attempt(
            unique("s"), partner="p", question="q", minutes=1, ended=dt.datetime.now(dt.UTC)
        ),
    )
    assert api.get("/users/me/attempts", user=other).json() == {"items": [], "nextCursor": None}


# ---- DELETE /users/me ---------------------------------------------------------------------------


def test_delete_account_removes_everything(api: Api, auth: AuthEmulator) -> None:
    user, viewer = auth.sign_up(), auth.sign_up()
    name = new_username()
    make_profile(api, user, name)
    record_attempt(
        uid=user.uid,
        attempt=attempt(
            unique("s"), partner="p", question="q", minutes=1, ended=dt.datetime.now(dt.UTC)
        ),
    )
    db = firestore_client()
    db.collection("matchRequests").document(user.uid).set({"status": "cancelled"})
    response = api.delete("/users/me", user=user)
    assert response.status_code == 204, response.text
    assert not db.collection("users").document(user.uid).get().exists
    assert not db.collection("usernames").document(name.lower()).get().exists
    assert list(db.collection("users").document(user.uid).collection("attempts").stream()) == []
    assert not db.collection("matchRequests").document(user.uid).get().exists
    assert_error(api.get(f"/users/{name}", user=viewer), 404, "not_found")
    with pytest.raises(requests.HTTPError):
        auth.sign_in(user)
    # The name is free again.
    assert make_profile(api, viewer, name)["username"] == name


def test_delete_needs_a_recent_sign_in(api: Api, auth: AuthEmulator, user: EmulatorUser) -> None:
    make_profile(api, user)
    stale = auth.with_claims(user.token, auth_time=int(time.time()) - 600)
    response = api.delete("/users/me", headers={"Authorization": f"Bearer {stale}"})
    assert_error(response, 401, "reauth_required")
    assert api.get("/users/me", user=user).status_code == 200


def test_delete_with_a_revoked_token_is_refused(
    api: Api, auth: AuthEmulator, user: EmulatorUser
) -> None:
    make_profile(api, user)
    auth.revoke(user)
    assert_error(api.delete("/users/me", user=user), 401, "reauth_required")
    auth.sign_in(user)
    assert api.get("/users/me", user=user).status_code == 200


def test_delete_without_profile_still_deletes_the_account(api: Api, auth: AuthEmulator) -> None:
    user = auth.sign_up()
    assert api.delete("/users/me", user=user).status_code == 204
    with pytest.raises(requests.HTTPError):
        auth.sign_in(user)


# ---- roles: the first admin ---------------------------------------------------------------------


def test_grant_admin_command_sets_the_claim(
    stack: LocalStack, api: Api, auth: AuthEmulator
) -> None:
    user = auth.sign_up()
    target = auth.sign_up()
    result = run_job("grant_admin", "--email", user.email)
    assert result.returncode == 0, result.stdout + result.stderr
    auth.sign_in(user)
    assert (
        api.put(f"/admin/users/{target.uid}/role", json={"admin": True}, user=user).status_code
        == 200
    )
    missing = run_job("grant_admin", "--email", "nobody@example.test")
    assert missing.returncode == 1
