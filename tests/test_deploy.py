"""deploy.sh, exercised with --dry-run: it plans every resource and calls nothing; what it plans
is accepted by the real CLIs' parsers; the gateway config it generates is the shape API
Gateway's documentation gives for OpenAPI 2.0."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest
from openapi_spec_validator import validate

from common.registry import all_endpoints
from devstack.stack import ROOT
from tools.deploy_plan import PUBLIC_ACCESS, gateway_document, service_url, web_config

PROJECT = "peerprep-prod"


def _firebase() -> Path | None:
    candidate = ROOT / "node_modules/.bin/firebase"
    return candidate if candidate.exists() else None


def deploy(tmp_path: Path, *args: str, existing: bool = False) -> subprocess.CompletedProcess[str]:
    # A gcloud, firebase and npm that record any call: a dry run must make none.
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    for tool in ("gcloud", "firebase", "npm"):
        (fake / tool).write_text(f'#!/bin/sh\necho "{tool} $@" >> {tmp_path}/calls\nexit 99\n')
        (fake / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "FIREBASE": "firebase"}
    env.pop("GEMINI_API_KEY", None)
    env["DRY_RUN_EXISTING"] = "1" if existing else "0"
    return subprocess.run(
        ["bash", str(ROOT / "deploy.sh"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def planned(out: str) -> list[list[str]]:
    """The commands of a dry run's plan, split as bash would."""
    return [shlex.split(line[2:]) for line in out.splitlines() if line.startswith("+ ")]


def test_dry_run_plans_every_resource_and_calls_nothing(tmp_path: Path) -> None:
    result = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--alert-email", "a@b.example")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not (tmp_path / "calls").exists()
    for endpoint in all_endpoints():
        assert f"--function={endpoint.name} " in out, endpoint.name
    assert "pubsub topics create match-requests-dead-letter" in out
    assert "pubsub subscriptions create match-worker" in out
    assert "--dead-letter-topic=match-requests-dead-letter" in out
    # Dead letters are kept by a subscription, forwarded and acked by the Pub/Sub service agent.
    assert "pubsub subscriptions create match-requests-dead-letter" in out
    agent = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    commands = planned(out)

    def has(*parts: str) -> bool:
        return any(all(part in command for part in parts) for command in commands)

    assert has(
        "topics", "add-iam-policy-binding", "match-requests-dead-letter", f"--member={agent}"
    )
    assert has("subscriptions", "add-iam-policy-binding", "match-worker", f"--member={agent}")
    # /ready reads the topic and the queue.
    assert has("topics", "add-iam-policy-binding", "match-requests", "--role=roles/pubsub.viewer")
    assert has("queues", "add-iam-policy-binding", "--role=roles/cloudtasks.viewer")
    assert "tasks queues create match-timeouts" in out
    assert "secrets create gemini-api-key" in out
    assert "run jobs deploy peerprep-sweeper" in out and "scheduler jobs create http" in out
    sa_scheduler = f"serviceAccount:peerprep-scheduler@{PROJECT}.iam.gserviceaccount.com"
    assert has("jobs", "add-iam-policy-binding", "peerprep-sweeper", f"--member={sa_scheduler}")
    assert "firestore:rules" in out and "firestore:indexes" in out
    assert "--only=hosting" in out and "deploy_plan webconfig" in out
    assert "api-gateway gateways create peerprep-gateway" in out
    assert "logging metrics create match_created" in out
    assert "policies create" in out and "--notification-channels=" in out
    assert "run deploy peerprep-runner" in out


def test_internal_functions_are_reached_at_their_own_urls_by_their_callers_only(
    tmp_path: Path,
) -> None:
    result = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--web-origin", "https://x.dev")
    assert result.returncode == 0, result.stderr
    commands = planned(result.stdout)
    timeout_url = service_url("match_timeout", project_number="123456789012", region="europe-west1")
    worker_url = service_url("match_worker", project_number="123456789012", region="europe-west1")
    for endpoint in all_endpoints():
        deploy_cmd = next(c for c in commands if f"--function={endpoint.name}" in c)
        internal = endpoint.access not in PUBLIC_ACCESS
        assert ("--no-allow-unauthenticated" in deploy_cmd) == internal, endpoint.name
        env = next(a for a in deploy_cmd if a.startswith("--set-env-vars="))
        assert env.startswith("--set-env-vars=^;^")
        variables = dict(item.split("=", 1) for item in env.split("^;^", 1)[1].split(";"))
        assert "PUBLIC_BASE_URL" not in variables
        assert variables["MATCH_TIMEOUT_URL"] == timeout_url == variables["TASKS_AUDIENCE"]
        assert variables["ALLOWED_ORIGINS"].split(",") == [
            f"https://{PROJECT}.web.app",
            f"https://{PROJECT}.firebaseapp.com",
            "https://x.dev",
        ]
    invokers = {
        c[c.index("add-iam-policy-binding") + 1]: c
        for c in commands
        if "services" in c and "add-iam-policy-binding" in c
    }
    assert (
        f"--member=serviceAccount:peerprep-tasks@{PROJECT}.iam.gserviceaccount.com"
        in (invokers["match-timeout"])
    )
    assert (
        f"--member=serviceAccount:peerprep-push@{PROJECT}.iam.gserviceaccount.com"
        in (invokers["match-worker"])
    )
    assert set(invokers) == {"match-timeout", "match-worker", "peerprep-runner"}
    push = next(c for c in commands if "create" in c and "match-worker" in c)
    assert f"--push-endpoint={worker_url}" in push
    assert f"--push-auth-token-audience={worker_url}" in push


def test_canary_deploys_with_no_traffic_then_splits_and_rollback_returns_it(
    tmp_path: Path,
) -> None:
    canary = deploy(
        tmp_path, "--project", PROJECT, "--dry-run", "--canary", "10", "--only", "health"
    )
    assert canary.returncode == 0, canary.stderr
    commands = planned(canary.stdout)
    deploys = [c for c in commands if "--function=health" in c]
    assert len(deploys) == 1 and "--no-traffic" in deploys[0] and "--tag=canary" in deploys[0]
    assert not any("--function=ready" in c for c in commands)
    split = commands.index(deploys[0]) + 1
    assert commands[split][-1] == "--to-tags=canary=10"
    assert not any("--to-latest" in c for c in commands)
    rollback = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--rollback")
    assert rollback.returncode == 0
    assert "--to-revisions=PREVIOUS_REVISION=100" in rollback.stdout
    assert "run deploy" not in rollback.stdout
    promote = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--promote")
    assert "--to-latest" in promote.stdout


def test_a_restored_database_is_switched_to_everywhere_it_is_named(tmp_path: Path) -> None:
    """``--database``: the functions' and jobs' environment, the web client's config, the rules
    and indexes, point-in-time recovery and the daily export all name the restored database."""
    result = deploy(
        tmp_path, "--project", PROJECT, "--dry-run", "--database", "restored-0131", existing=True
    )
    assert result.returncode == 0, result.stderr
    commands = planned(result.stdout)
    functions = [c for c in commands if "--function=match_request" in c]
    assert functions
    assert any("FIRESTORE_DATABASE=restored-0131" in part for part in functions[0])
    jobs = [c for c in commands if "jobs" in c and "deploy" in c]
    assert len(jobs) == 2
    environment = f"--set-env-vars=GOOGLE_CLOUD_PROJECT={PROJECT},FIRESTORE_DATABASE=restored-0131"
    assert all(environment in job for job in jobs)
    assert any("--database=restored-0131" in c and "--enable-pitr" in c for c in commands)
    assert any(
        f"--uri=https://firestore.googleapis.com/v1/projects/{PROJECT}/databases/restored-0131"
        ":exportDocuments" in c
        for c in commands
    )
    assert any("--config=firebase.deploy.restored-0131.json" in c for c in commands)
    assert not (ROOT / "firebase.deploy.restored-0131.json").exists()  # removed after the deploy
    assert any("--firestore-database=restored-0131" in c for c in commands)
    # Nothing creates a database by that name: a typo must not switch to an empty one.
    assert not any("databases" in c and "create" in c for c in commands)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    assert deploy(tmp_path, "--dry-run").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--database", "Bad_Name", "--dry-run").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--canary", "150", "--dry-run").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--bogus").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--web-origin", "x.dev", "--dry-run").returncode == 2


def test_deploy_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, (
        "shellcheck is missing: make install (apt-get install shellcheck)"
    )
    result = subprocess.run(
        [shellcheck, str(ROOT / "deploy.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


_NO_CREDENTIALS = {
    "gcloud": "You do not currently have an active account selected",
    "firebase": "Failed to authenticate",
}


def _check_with_cli(command: list[str], home: Path) -> tuple[list[str], int, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    }
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return command, result.returncode, result.stdout + result.stderr


def test_every_planned_command_is_accepted_by_the_real_cli_parsers(tmp_path: Path) -> None:
    """Run each planned gcloud and firebase command for real, with no credentials: each must
    get past its CLI's argument parser and stop at the missing credentials."""
    firebase = _firebase()
    assert shutil.which("gcloud") is not None, "the gcloud CLI is missing"
    assert firebase is not None, "node_modules/.bin/firebase is missing: make install"
    result = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--alert-email", "a@b.example")
    assert result.returncode == 0, result.stderr
    canary = deploy(
        tmp_path, "--project", PROJECT, "--dry-run", "--canary", "5", "--only", "ai_chat"
    )
    rollback = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--rollback", "--only", "health")
    # Every resource present: the plan's update commands.
    again = deploy(
        tmp_path, "--project", PROJECT, "--dry-run", "--alert-email", "a@b.example", existing=True
    )
    assert again.returncode == 0, again.stderr
    assert "policies update" in again.stdout and "subscriptions update match-worker" in again.stdout
    commands = {
        tuple(c)
        for out in (result.stdout, canary.stdout, rollback.stdout, again.stdout)
        for c in planned(out)
        if c[0] in {"gcloud", "firebase"}
    }
    assert len(commands) > 50
    home = tmp_path / "home"
    home.mkdir()
    runnable = [
        [str(firebase), *c[1:]] if c[0] == "firebase" else list(c) for c in sorted(commands)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda c: _check_with_cli(c, home), runnable))
    refused = [
        (" ".join(command), code, output[-300:])
        for command, code, output in outcomes
        if code == 0
        or _NO_CREDENTIALS["firebase" if "firebase" in command[0] else "gcloud"] not in output
    ]
    assert not refused, "\n".join(map(str, refused))


# ---- the API Gateway config ---------------------------------------------------------------------


def _document() -> dict[str, object]:
    return gateway_document(
        project=PROJECT,
        region="europe-west1",
        project_number="123456789012",
        host="peerprep-0abc.apigateway.peerprep-prod.cloud.goog",
    )


def _operations(document: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return [(path, method, op) for path, item in paths.items() for method, op in item.items()]


def test_gateway_config_has_the_blocks_api_gateway_requires() -> None:
    document = _document()
    validate(document)  # a valid OpenAPI 2.0 (Swagger) document
    assert document["swagger"] == "2.0"
    info = document["info"]
    assert isinstance(info, dict) and info["title"] and info["version"]
    # CORS: the gateway forwards preflights to the functions (x-google-endpoints on the host).
    assert document["host"] == "peerprep-0abc.apigateway.peerprep-prod.cloud.goog"
    assert document["x-google-endpoints"] == [{"name": document["host"], "allowCors": True}]
    assert document["basePath"] == "/api"
    assert "securityDefinitions" not in document  # the functions check the Firebase token
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))


def test_gateway_routes_every_public_route_and_no_internal_one() -> None:
    routed = {(path, method.upper()) for path, method, _ in _operations(_document())}
    for endpoint in all_endpoints():
        if endpoint.is_http and endpoint.access in PUBLIC_ACCESS:
            assert (endpoint.path, endpoint.method) in routed, endpoint.name
    expected = {
        (e.path, e.method) for e in all_endpoints() if e.is_http and e.access in PUBLIC_ACCESS
    }
    assert routed == expected
    internal = {e.name for e in all_endpoints() if e.access not in PUBLIC_ACCESS}
    assert {"match_timeout", "match_worker"} <= internal
    for _, _, operation in _operations(_document()):
        assert operation["operationId"] not in internal


def test_gateway_passes_authorization_through_to_each_function_url() -> None:
    by_name = {e.name: e for e in all_endpoints()}
    for path, _, operation in _operations(_document()):
        backend = operation["x-google-backend"]
        assert isinstance(backend, dict)
        name = str(operation["operationId"])
        # disable_auth: no gateway token; the caller's Authorization reaches the function as is.
        assert backend["disable_auth"] is True
        assert "jwt_audience" not in backend
        assert backend["address"] == (
            f"https://{name.replace('_', '-')}-123456789012.europe-west1.run.app"
        )
        assert urlparse(str(backend["address"])).path == ""
        assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"
        assert isinstance(backend["deadline"], float)
        declared = {p["name"] for p in operation.get("parameters", [])}  # type: ignore[attr-defined]
        assert declared == set(by_name[name].path_params), path


def test_each_function_matches_the_path_the_gateway_sends_it() -> None:
    """APPEND_PATH_TO_ADDRESS: the backend gets its address's path (none) followed by the whole
    request path, basePath included: ``/api/questions/two-sum`` for GET /api/questions/two-sum."""
    by_name = {e.name: e for e in all_endpoints()}
    document = _document()
    for path, _, operation in _operations(document):
        endpoint = by_name[str(operation["operationId"])]
        concrete = re.sub(r"{(\w+)}", lambda m: f"value-of-{m.group(1)}", path)
        address = urlparse(str(operation["x-google-backend"]["address"]))  # type: ignore[index]
        received = address.path + str(document["basePath"]) + concrete
        match = endpoint.path_regex().match(received)
        assert match is not None, (endpoint.name, received)
        assert match.groupdict() == {p: f"value-of-{p}" for p in endpoint.path_params}
        # The same function called at its own URL, without the gateway, matches too.
        assert endpoint.path_regex().match(concrete) is not None


def test_web_config_is_the_shape_the_client_reads() -> None:
    sdk = {"status": "success", "result": {"sdkConfig": {"apiKey": "k", "authDomain": "a.b"}}}
    config = web_config(project=PROJECT, api_base_url="https://gw.dev/api/", sdk_config=sdk)
    assert config == {
        "apiBaseUrl": "https://gw.dev/api",
        "firebase": {"apiKey": "k", "authDomain": "a.b", "projectId": PROJECT},
        "firestoreDatabase": "(default)",
        "emulators": None,
    }
    restored = web_config(
        project=PROJECT, api_base_url="https://gw.dev/api", sdk_config=sdk, database="r-0131"
    )
    assert restored["firestoreDatabase"] == "r-0131"
    with pytest.raises(ValueError, match="apiKey"):
        web_config(project=PROJECT, api_base_url="x", sdk_config={})


def test_hosting_serves_the_built_client_as_a_single_page_app() -> None:
    config = json.loads((ROOT / "firebase.deploy.json").read_text())
    assert config["hosting"]["public"] == "web/dist"
    assert {"source": "**", "destination": "/index.html"} in config["hosting"]["rewrites"]
