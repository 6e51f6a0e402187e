"""The GitHub Actions pipeline: actionlint passes, and it is the pipeline the README describes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from devstack.stack import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _actionlint() -> str | None:
    found = shutil.which("actionlint")
    beside = Path(sys.executable).parent / "actionlint"
    return found or (str(beside) if beside.exists() else None)


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_actionlint_passes() -> None:
    actionlint = _actionlint()
    assert actionlint is not None, "actionlint is missing: make install (requirements-dev.txt)"
    result = subprocess.run(
        [actionlint, str(WORKFLOW)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_push_and_pull_request_runs_the_readme_test_command() -> None:
    workflow = _workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert "push" in triggers and "pull_request" in triggers
    assert triggers["push"] is None and triggers["pull_request"] is None  # every branch
    test = workflow["jobs"]["test"]
    assert any(step.get("run") == "make test" for step in test["steps"])
    assert "continue-on-error" not in WORKFLOW.read_text()


def test_main_deploys_to_staging_then_a_production_canary_after_approval() -> None:
    jobs = _workflow()["jobs"]
    staging = jobs["deploy-staging"]
    assert staging["needs"] == ["test", "scan"] and "refs/heads/main" in staging["if"]
    assert staging["environment"] == "staging"
    canary = jobs["production-canary"]
    assert canary["needs"] == "deploy-staging" and canary["environment"] == "production"
    assert any("--canary" in step.get("run", "") for step in canary["steps"])
    assert jobs["production-promote"]["needs"] == "production-canary"
    assert jobs["production-promote"]["environment"] == "production-promote"
    assert "failure()" in jobs["production-rollback"]["if"]
    assert any("--rollback" in s.get("run", "") for s in jobs["production-rollback"]["steps"])


def test_google_credentials_come_from_workload_identity_federation_only() -> None:
    text = WORKFLOW.read_text()
    setup = (ROOT / ".github/actions/deploy-setup/action.yml").read_text()
    for forbidden in ("credentials_json", "GOOGLE_APPLICATION_CREDENTIALS", "secrets."):
        assert forbidden not in text and forbidden not in setup
    assert "workload_identity_provider" in setup
    jobs = _workflow()["jobs"]
    assert "id-token" not in jobs["test"].get("permissions", {})
    assert jobs["scan"]["permissions"] == {"contents": "read"}  # scans need no Google access
    assert _workflow()["permissions"] == {"contents": "read"}
    for name, job in jobs.items():
        if name not in {"test", "scan"}:
            assert job["permissions"]["id-token"] == "write", name


def test_the_runner_image_and_the_pinned_dependencies_are_scanned_failing_on_high() -> None:
    scan = _workflow()["jobs"]["scan"]
    assert scan["if"] == _workflow()["jobs"]["test"]["if"]  # every push and pull request
    steps = scan["steps"]
    build = next(s for s in steps if "docker build" in s.get("run", ""))
    assert (
        "--file runner/Dockerfile" in build["run"]
        and 'peerprep-runner:${GITHUB_SHA}"' in build["run"]
    )
    trivy = [s for s in steps if s.get("uses", "").startswith("aquasecurity/trivy-action@")]
    assert len(trivy) == 2
    for step in trivy:
        # Pinned by commit, not by a tag that can move.
        assert re.fullmatch(r"aquasecurity/trivy-action@[0-9a-f]{40}", step["uses"])
        assert step["with"]["severity"] == "HIGH,CRITICAL"
        assert step["with"]["exit-code"] == "1" and step["with"]["ignore-unfixed"] is True
    image, dependencies = (step["with"] for step in trivy)
    assert (
        image["scan-type"] == "image" and image["image-ref"] == "peerprep-runner:${{ github.sha }}"
    )
    assert dependencies["scan-type"] == "fs" and dependencies["scan-ref"] == "dependencies"
    gather = next(s["run"] for s in steps if "dependencies/" in s.get("run", ""))
    for lockfile in (
        "requirements.txt",
        "requirements-dev.txt",
        "runner/requirements.txt",
        "package-lock.json",
        "web/package-lock.json",
    ):
        assert lockfile in re.split(r"[\s;]+", gather), lockfile
    audits = [s for s in steps if s.get("run") == "npm audit --audit-level=high"]
    assert [s.get("working-directory", ".") for s in audits] == [".", "web"]
