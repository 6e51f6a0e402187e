"""Production authentication: Google-signed OIDC ID tokens, checked against keys served from a
local stand-in for Google's certificate endpoint (real RSA signatures, nothing mocked)."""

from __future__ import annotations

import datetime
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from devstack.stack import HOST, free_port
from runner.auth import Authenticator
from runner.config import Settings
from runner.errors import ApiError

AUDIENCE = "https://runner-abc-ew.a.run.app"
INVOKER = "functions@demo-peerprep.iam.gserviceaccount.com"


class _Keys:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.certs = {"k1": cert.public_bytes(serialization.Encoding.PEM).decode()}
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.signer = crypt.RSASigner.from_string(pem, key_id="k1")  # type: ignore[no-untyped-call]

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": AUDIENCE,
            "email": INVOKER,
            "email_verified": True,
            "iat": now,
            "exp": now + 600,
            "sub": "1234",
            **claims,
        }
        token: bytes = jwt.encode(self.signer, payload)  # type: ignore[no-untyped-call]
        return token.decode()


@pytest.fixture(scope="module")
def keys() -> _Keys:
    return _Keys()


@pytest.fixture(scope="module")
def certs_url(keys: _Keys) -> Iterator[str]:
    body = json.dumps(keys.certs).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((HOST, free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/certs"
    finally:
        server.shutdown()
        server.server_close()


def _authenticator(certs_url: str) -> Authenticator:
    settings = Settings.model_validate(
        {
            "K_SERVICE": "runner",
            "audience": AUDIENCE,
            "allowed_invokers": f"other@x.iam.gserviceaccount.com, {INVOKER.upper()}",
            "oidc_certs_url": certs_url,
        }
    )
    return Authenticator(settings)


def _refused(authenticator: Authenticator, header: str) -> ApiError:
    with pytest.raises(ApiError) as caught:
        authenticator.check({"Authorization": header})
    return caught.value


def test_the_functions_service_account_is_let_in(keys: _Keys, certs_url: str) -> None:
    authenticator = _authenticator(certs_url)

    assert authenticator.check({"Authorization": f"Bearer {keys.token()}"}) == INVOKER


def test_another_account_is_forbidden(keys: _Keys, certs_url: str) -> None:
    token = keys.token(email="someone@example.com")

    assert _refused(_authenticator(certs_url), f"Bearer {token}").status == 403


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://elsewhere.a.run.app"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iss": "https://evil.example.com"},
        {"email_verified": False},
    ],
    ids=["audience", "expired", "issuer", "unverified-email"],
)
def test_a_token_with_a_bad_claim_is_unauthenticated(
    keys: _Keys, certs_url: str, claims: dict[str, Any]
) -> None:
    error = _refused(_authenticator(certs_url), f"Bearer {keys.token(**claims)}")

    assert (error.status, error.code.value) == (401, "unauthenticated")


def test_a_token_signed_by_another_key_is_unauthenticated(certs_url: str) -> None:
    forged = _Keys().token()

    assert _refused(_authenticator(certs_url), f"Bearer {forged}").status == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_a_missing_or_malformed_token_is_unauthenticated(certs_url: str, header: str) -> None:
    assert _refused(_authenticator(certs_url), header).status == 401


def test_keys_that_cannot_be_fetched_make_the_runner_unavailable(keys: _Keys) -> None:
    authenticator = _authenticator(f"http://{HOST}:{free_port()}/certs")

    error = _refused(authenticator, f"Bearer {keys.token()}")

    assert error.status == 503
    assert error.headers["Retry-After"]
