"""The HTTP contract every function shares: errors, auth, CORS, request ids, limits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from common import auth as common_auth
from common.errors import ApiError
from tests.conftest import ALLOWED_ORIGIN
from tests.support import Api, AuthEmulator, EmulatorUser, assert_error, unique


def role_path(user: EmulatorUser) -> str:
    return f"/admin/users/{user.uid}/role"


def test_health_answers_ok(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_missing_token_is_401(api: Api, user: EmulatorUser) -> None:
    response = api.put(role_path(user), json={"admin": True})
    body = assert_error(response, 401, "unauthenticated")
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert "bearer" in body["error"]["message"].lower()


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Bearer "]
)
def test_garbage_token_is_401(api: Api, user: EmulatorUser, header: str) -> None:
    response = api.put(role_path(user), json={"admin": True}, headers={"Authorization": header})
    body = assert_error(response, 401, "unauthenticated")
    assert "Traceback" not in response.text and "firebase" not in body["error"]["message"].lower()


def test_expired_token_is_401(api: Api, auth: AuthEmulator, user: EmulatorUser) -> None:
    # The Auth emulator's tokens are unsigned, so firebase-admin skips its own expiry check:
    # the backend must refuse an old exp itself.
    now = int(time.time())
    expired = auth.with_claims(user.token, iat=now - 7200, exp=now - 3600, auth_time=now - 7200)
    response = api.put(
        role_path(user), json={"admin": True}, headers={"Authorization": f"Bearer {expired}"}
    )
    assert_error(response, 401, "token_expired")


def test_token_for_another_project_is_401(api: Api, auth: AuthEmulator, user: EmulatorUser) -> None:
    foreign = auth.with_claims(
        user.token, aud="other-project", iss="https://securetoken.google.com/other-project"
    )
    response = api.put(
        role_path(user), json={"admin": True}, headers={"Authorization": f"Bearer {foreign}"}
    )
    assert_error(response, 401, "unauthenticated")


def test_revoked_token_is_401(api: Api, auth: AuthEmulator) -> None:
    admin = auth.make_admin(auth.sign_up())
    auth.revoke(admin)
    response = api.put(role_path(admin), json={"admin": True}, user=admin)
    assert_error(response, 401, "token_revoked")


def test_revoked_token_on_a_user_route_is_401(api: Api, auth: AuthEmulator) -> None:
    # A user this instance has not seen: its revocation time is read from the Auth backend.
    user = auth.sign_up()
    auth.revoke(user)
    assert_error(api.get("/users/me", user=user), 401, "token_revoked")


def test_revocation_is_read_once_a_minute_on_user_routes_and_now_on_admin_ones(
    stack: Any, auth: AuthEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firebase_admin import auth as firebase_auth

    lookups: list[str] = []
    real_get_user = firebase_auth.get_user

    def counting_get_user(uid: str, app: Any = None) -> Any:
        lookups.append(uid)
        return real_get_user(uid, app=app)

    monkeypatch.setattr(firebase_auth, "get_user", counting_get_user)
    common_auth.forget_revocations()
    user = auth.sign_up()
    header = f"Bearer {user.token}"
    for _ in range(3):
        assert common_auth.verify_bearer(header).uid == user.uid
    assert lookups == [user.uid]  # one Auth lookup, not one per request
    auth.revoke(user)
    # Within the minute an ordinary route may still accept the revoked token...
    assert common_auth.verify_bearer(header).uid == user.uid
    # ...an admin route (or deleting the account) asks the Auth backend now, and refuses it;
    with pytest.raises(ApiError) as refused:
        common_auth.verify_bearer(header, fresh=True)
    assert refused.value.code.value == "token_revoked"
    # and from then on the instance's copy is the new one.
    with pytest.raises(ApiError) as refused:
        common_auth.verify_bearer(header)
    assert refused.value.code.value == "token_revoked"
    # Once the cached copy is older than a minute, it is read again.
    again = auth.sign_in(user)
    monkeypatch.setattr(common_auth, "REVOCATION_CACHE_S", 0.0)
    lookups.clear()
    assert common_auth.verify_bearer(f"Bearer {again.token}").uid == user.uid
    assert lookups == [user.uid]


def test_disabled_user_is_403(api: Api, auth: AuthEmulator) -> None:
    admin = auth.make_admin(auth.sign_up())
    auth.update(admin, disableUser=True)
    response = api.put(role_path(admin), json={"admin": True}, user=admin)
    assert_error(response, 403, "user_disabled")


def test_non_admin_on_admin_route_is_403(api: Api, user: EmulatorUser) -> None:
    response = api.put(role_path(user), json={"admin": True}, user=user)
    assert_error(response, 403, "permission_denied")


def test_admin_grants_and_revokes_the_role(
    api: Api, auth: AuthEmulator, admin: EmulatorUser, user: EmulatorUser
) -> None:
    granted = api.put(role_path(user), json={"admin": True}, user=admin)
    assert granted.status_code == 200, granted.text
    assert granted.json() == {"uid": user.uid, "admin": True}
    # The new claim reaches the user's next token: it can now call the admin route.
    auth.sign_in(user)
    assert api.put(role_path(admin), json={"admin": True}, user=user).status_code == 200
    revoked = api.put(role_path(user), json={"admin": False}, user=admin)
    assert revoked.json() == {"uid": user.uid, "admin": False}
    auth.sign_in(user)
    assert_error(
        api.put(role_path(admin), json={"admin": True}, user=user), 403, "permission_denied"
    )


def test_admin_cannot_revoke_itself_and_unknown_uid_is_404(api: Api, admin: EmulatorUser) -> None:
    assert_error(api.put(role_path(admin), json={"admin": False}, user=admin), 409, "conflict")
    missing = api.put(f"/admin/users/{unique('nobody')}/role", json={"admin": True}, user=admin)
    assert_error(missing, 404, "not_found")


def test_malformed_json_is_400(api: Api, admin: EmulatorUser) -> None:
    response = api.put(
        role_path(admin),
        data=b'{"admin": tru',
        headers={"Content-Type": "application/json"},
        user=admin,
    )
    assert_error(response, 400, "bad_request")


def test_empty_body_is_400(api: Api, admin: EmulatorUser) -> None:
    assert_error(api.put(role_path(admin), data=b"", user=admin), 400, "bad_request")


def test_schema_violation_is_422_naming_the_field(api: Api, admin: EmulatorUser) -> None:
    response = api.put(role_path(admin), json={"admin": "perhaps"}, user=admin)
    body = assert_error(response, 422, "validation_error")
    assert body["error"]["message"].startswith("admin:")
    assert [detail["field"] for detail in body["error"]["details"]] == ["admin"]


def test_unknown_field_is_422(api: Api, admin: EmulatorUser) -> None:
    response = api.put(role_path(admin), json={"admin": True, "role": "owner"}, user=admin)
    body = assert_error(response, 422, "validation_error")
    assert body["error"]["details"][0]["field"] == "role"


def test_body_over_the_limit_is_413(api: Api, admin: EmulatorUser) -> None:
    big = b'{"admin": true, "pad": "' + b"x" * (65 * 1024) + b'"}'
    response = api.put(
        role_path(admin), data=big, headers={"Content-Type": "application/json"}, user=admin
    )
    assert_error(response, 413, "payload_too_large")


def test_body_over_the_limit_without_length_is_413(api: Api, admin: EmulatorUser) -> None:
    def chunks() -> Any:
        yield b'{"admin": true, "pad": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = api.put(
        role_path(admin), data=chunks(), headers={"Content-Type": "application/json"}, user=admin
    )
    assert_error(response, 413, "payload_too_large")


def test_unknown_path_is_404_json(api: Api) -> None:
    assert_error(api.get("/no/such/route"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sessions/a%0Ab"),
        ("POST", "/sessions/%0A/leave"),
        ("GET", "/users/%0A"),
        ("DELETE", "/questions/x%0A"),
    ],
)
def test_a_newline_in_a_path_parameter_is_404_json(
    api: Api, user: EmulatorUser, method: str, path: str
) -> None:
    # The gateway routes it to the function, whose functions-framework app's own routing does
    # not match a newline: that refusal gets the JSON error too, not Flask's HTML page (fuzzing).
    request_id = unique("req-")
    headers = {"Origin": ALLOWED_ORIGIN, "X-Request-Id": request_id}
    response = api.request(method, path, user=user, headers=headers)
    body = assert_error(response, 404, "not_found")
    assert body["requestId"] == request_id
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_wrong_method_is_405_json(api: Api) -> None:
    response = api.delete("/health")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_request_id_is_echoed_or_generated(api: Api) -> None:
    given = unique("req-")
    assert api.get("/health", headers={"X-Request-Id": given}).headers["X-Request-Id"] == given
    generated = api.get("/health").headers["X-Request-Id"]
    assert len(generated) == 32
    # A request id that could forge log lines is replaced.
    assert (
        api.get("/health", headers={"X-Request-Id": "bad id\twith tab"}).headers["X-Request-Id"]
        != "bad id\twith tab"
    )
    # Errors from the gateway carry one too.
    assert api.get("/nowhere", headers={"X-Request-Id": given}).json()["requestId"] == given


def test_preflight_from_an_allowed_origin_is_answered(api: Api) -> None:
    response = api.request(
        "OPTIONS",
        "/health",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Vary"] == "Origin"


def test_preflight_for_a_method_shared_path_reaches_the_right_function(
    api: Api, user: EmulatorUser
) -> None:
    response = api.request(
        "OPTIONS",
        role_path(user),
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 204
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]


def test_preflight_from_another_origin_gets_no_allow_origin(api: Api) -> None:
    response = api.request(
        "OPTIONS",
        "/health",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_simple_request_from_allowed_origin_exposes_request_id(api: Api) -> None:
    response = api.get("/health", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]
    other = api.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
