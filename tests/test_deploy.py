"""deploy.sh, exercised with --dry-run: it plans every resource and calls nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from openapi_spec_validator import validate

from common.registry import all_endpoints
from devstack.stack import ROOT
from tools.deploy_plan import gateway_document


def deploy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A gcloud that records any call: a dry run must make none.
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "gcloud").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\nexit 99\n')
    (fake / "gcloud").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    env.pop("GEMINI_API_KEY", None)
    return subprocess.run(
        ["bash", str(ROOT / "deploy.sh"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dry_run_plans_every_resource_and_calls_nothing(tmp_path: Path) -> None:
    result = deploy(tmp_path, "--project", "peerprep-prod", "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not (tmp_path / "calls").exists()
    for endpoint in all_endpoints():
        assert f"functions deploy {endpoint.name} " in out, endpoint.name
    assert "pubsub topics create match-requests-dead-letter" in out
    assert "pubsub subscriptions create match-worker" in out and "--enable-message-ordering" in out
    assert "--dead-letter-topic=match-requests-dead-letter" in out
    assert "tasks queues create match-timeouts" in out
    assert "secrets create gemini-api-key" in out
    assert "run jobs deploy peerprep-sweeper" in out and "scheduler jobs create http" in out
    assert "firestore:rules" in out and "firestore:indexes" in out
    assert "api-gateway gateways create peerprep-gateway" in out
    assert "logging metrics create match_created" in out
    assert "policies create" in out
    # Only Cloud Tasks and Pub/Sub may call the internal functions.
    assert "add-invoker-policy-binding match_timeout" in out
    assert "add-invoker-policy-binding match_worker" in out
    timeout_line = next(line for line in out.splitlines() if "deploy match_timeout" in line)
    assert "--no-allow-unauthenticated" in timeout_line


def test_canary_splits_traffic_and_rollback_returns_it(tmp_path: Path) -> None:
    canary = deploy(
        tmp_path, "--project", "peerprep-prod", "--dry-run", "--canary", "10", "--only", "health"
    )
    assert canary.returncode == 0, canary.stderr
    assert "functions deploy health " in canary.stdout
    assert "functions deploy ready " not in canary.stdout
    assert "--to-revisions=SERVING_REVISION=90\\,LATEST=10" in canary.stdout
    rollback = deploy(tmp_path, "--project", "peerprep-prod", "--dry-run", "--rollback")
    assert rollback.returncode == 0
    assert "--to-revisions=PREVIOUS_REVISION=100" in rollback.stdout
    assert "functions deploy" not in rollback.stdout
    promote = deploy(tmp_path, "--project", "peerprep-prod", "--dry-run", "--promote")
    assert "--to-latest" in promote.stdout


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    assert deploy(tmp_path, "--dry-run").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--canary", "150", "--dry-run").returncode == 2
    assert deploy(tmp_path, "--project", "p", "--bogus").returncode == 2


def test_gateway_document_routes_every_operation_to_its_function() -> None:
    document = gateway_document(project="peerprep-prod", region="europe-west1")
    validate(document)
    for item in document["paths"].values():
        for operation in item.values():
            backend = operation["x-google-backend"]
            assert backend["address"].endswith(f"/{operation['operationId']}")
            assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"
