"""The web client's server side: the static server of the local stack, and API types in sync.

The browser journey itself is tests/test_web_e2e.py.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from werkzeug.test import Client

from common.openapi import build_openapi
from devstack.web import WEB_DIR, client_config, make_app

CONFIG = client_config(
    api_url="http://127.0.0.1:8080/api",
    project_id="demo-peerprep",
    auth_host="127.0.0.1:9099",
    firestore_host="127.0.0.1:8085",
)


def _client(tmp_path: Path) -> Client:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="root"></div>')
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return Client(make_app(tmp_path, CONFIG))


def test_config_names_the_api_and_the_emulators(tmp_path: Path) -> None:
    response = _client(tmp_path).get("/config.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "apiBaseUrl": "http://127.0.0.1:8080/api",
        "firebase": {
            "apiKey": "demo-key",
            "authDomain": "demo-peerprep.firebaseapp.com",
            "projectId": "demo-peerprep",
        },
        "firestoreDatabase": "(default)",
        "emulators": {"auth": "http://127.0.0.1:9099", "firestore": "127.0.0.1:8085"},
    }


def test_production_config_has_no_emulators() -> None:
    config = client_config(
        api_url="/api", project_id="peerprep-prod", auth_host=None, firestore_host=None
    )
    assert config["emulators"] is None


def test_client_routes_get_index_html_and_assets_are_cached(tmp_path: Path) -> None:
    client = _client(tmp_path)
    for path in ("/", "/match", "/session/abc123", "/admin/questions/q1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<div id="root">' in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-cache"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert "immutable" in asset.headers["Cache-Control"]
    assert client.get("/favicon.svg").headers["Content-Type"].startswith("image/svg+xml")


def test_missing_files_and_other_methods_are_refused(tmp_path: Path) -> None:
    client = _client(tmp_path)
    assert client.get("/assets/gone-123.js").status_code == 404
    assert client.get("/robots.txt").status_code == 404
    assert client.get("/assets/../../../etc/passwd").status_code in {404, 200}
    assert "root:" not in client.get("/assets/../../../etc/passwd").get_data(as_text=True)
    assert client.get("/%2e%2e/%2e%2e/etc/passwd").status_code in {200, 404}
    assert "root:" not in client.get("/%2e%2e/%2e%2e/etc/passwd").get_data(as_text=True)
    assert client.post("/config.json").status_code == 405


def test_an_unbuilt_client_says_so(tmp_path: Path) -> None:
    response = Client(make_app(tmp_path, CONFIG)).get("/match")
    assert response.status_code == 503


def test_the_clients_openapi_document_and_types_are_current(tmp_path: Path) -> None:
    saved = json.loads((WEB_DIR / "openapi.json").read_text())
    assert saved == json.loads(json.dumps(build_openapi())), (
        "web/openapi.json is stale: run `make web-api`"
    )
    generated = tmp_path / "schema.d.ts"
    # The command of `npm run gen:api`, writing elsewhere.
    script = json.loads((WEB_DIR / "package.json").read_text())["scripts"]["gen:api"]
    command = shlex.split(script.replace("src/api/schema.d.ts", str(generated)))
    subprocess.run(
        [str(WEB_DIR / "node_modules" / ".bin" / command[0]), *command[1:]],
        cwd=WEB_DIR,
        check=True,
        capture_output=True,
        timeout=120,
    )
    current = (WEB_DIR / "src" / "api" / "schema.d.ts").read_text()
    assert generated.read_text() == current, "web/src/api/schema.d.ts is stale: run `make web-api`"
