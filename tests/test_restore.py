"""Backups in production, exercised with dry runs: deploy.sh's backups section (point-in-time
recovery, the bucket and its retention, the export's account, the daily export) and
ops/restore.sh (restore into a new database, verify, the switch); every gcloud command they plan
or print is accepted by the real gcloud's argument parser."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from devstack.stack import ROOT
from tests.test_deploy import _NO_CREDENTIALS, PROJECT, _check_with_cli, deploy, planned

BUCKET = f"gs://{PROJECT}-firestore-backups"
EXPORT = f"{BUCKET}/2025-01-31T03:00:02_12345"
SA_BACKUP = f"peerprep-backup@{PROJECT}.iam.gserviceaccount.com"
GCLOUD = ["gcloud", f"--project={PROJECT}", "--quiet"]


def restore(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A gcloud that records any call: a dry run must make none (python lists the functions).
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "gcloud").write_text(f'#!/bin/sh\necho "gcloud $@" >> {tmp_path}/calls\nexit 99\n')
    (fake / "gcloud").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "PYTHON": sys.executable}
    return subprocess.run(
        ["bash", str(ROOT / "ops/restore.sh"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def switch_commands(out: str) -> list[list[str]]:
    """The gcloud commands the restore prints for the switch (to run by hand)."""
    text = out.split("== switch", 1)[1].replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.strip().startswith("gcloud ")]


def accepted_by_gcloud(commands: list[list[str]], home: Path) -> list[tuple[str, int, str]]:
    """Return the commands the real gcloud refuses (each must stop at the missing credentials)."""
    assert shutil.which("gcloud") is not None, "the gcloud CLI is missing"
    home.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda c: _check_with_cli(c, home), commands))
    return [
        (" ".join(command), code, output[-300:])
        for command, code, output in outcomes
        if code == 0 or _NO_CREDENTIALS["gcloud"] not in output
    ]


def test_deploy_enables_pitr_and_schedules_a_daily_export_kept_30_days(tmp_path: Path) -> None:
    result = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--skip-web")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "calls").exists()
    out = result.stdout
    section = out.split("== backups", 1)[1].split("\n== ", 1)[0]
    commands = planned(section)
    assert [
        *GCLOUD,
        "firestore",
        "databases",
        "update",
        "--database=(default)",
        "--enable-pitr",
        "--delete-protection",
    ] in commands
    assert [
        *GCLOUD,
        "storage",
        "buckets",
        "create",
        BUCKET,
        "--location=europe-west1",
        "--uniform-bucket-level-access",
        "--public-access-prevention",
    ] in commands
    assert [
        *GCLOUD,
        "storage",
        "buckets",
        "update",
        BUCKET,
        "--lifecycle-file=ops/backup-lifecycle.json",
    ] in commands
    assert json.loads((ROOT / "ops/backup-lifecycle.json").read_text()) == {
        "rule": [{"action": {"type": "Delete"}, "condition": {"age": 30}}]
    }
    # The export's own account: exports on the project, this bucket only for storage.
    grants = {
        (c[c.index("add-iam-policy-binding") + 1], c[-1])
        for c in commands
        if f"--member=serviceAccount:{SA_BACKUP}" in c
    }
    assert grants == {
        (PROJECT, "--condition=None"),
        (BUCKET, "--role=roles/storage.objectAdmin"),
        (BUCKET, "--role=roles/storage.legacyBucketReader"),
    }
    assert any("--role=roles/datastore.importExportAdmin" in c for c in commands)
    job = next(c for c in commands if c[3:7] == ["scheduler", "jobs", "create", "http"])
    assert job[7] == "firestore-daily-export"
    options = dict(arg.split("=", 1) for arg in job[8:])
    assert options == {
        "--location": "europe-west1",
        "--schedule": "0 3 * * *",
        "--time-zone": "Etc/UTC",
        "--uri": f"https://firestore.googleapis.com/v1/projects/{PROJECT}"
        "/databases/(default):exportDocuments",
        "--http-method": "POST",
        # The bucket alone: each export gets a folder named after its start time.
        "--message-body": json.dumps({"outputUriPrefix": BUCKET}, separators=(",", ":")),
        "--oauth-service-account-email": SA_BACKUP,
        "--oauth-token-scope": "https://www.googleapis.com/auth/datastore",
        "--max-retry-attempts": "3",
        "--headers": "Content-Type=application/json",
    }
    again = deploy(tmp_path, "--project", PROJECT, "--dry-run", "--skip-web", existing=True)
    assert again.returncode == 0, again.stderr
    again_section = again.stdout.split("== backups", 1)[1].split("\n== ", 1)[0]
    assert "scheduler jobs update http firestore-daily-export" in again_section
    assert "buckets create" not in again_section
    # tests/test_deploy.py runs every planned command, these included, through gcloud's parser.


def test_deploy_takes_another_retention_and_refuses_a_bad_one(tmp_path: Path) -> None:
    week = deploy(
        tmp_path, "--project", PROJECT, "--dry-run", "--skip-web", "--backup-retention-days", "7"
    )
    assert week.returncode == 0, week.stderr
    assert "a daily export kept 7 days" in week.stdout
    lifecycle = next(
        c for c in planned(week.stdout) if any(a.startswith("--lifecycle-file=") for a in c)
    )
    assert lifecycle[-1] != "--lifecycle-file=ops/backup-lifecycle.json"  # a copy, with 7 days
    for bad in ("0", "-3", "ten", "10000"):
        refused = deploy(tmp_path, "--project", "p", "--dry-run", "--backup-retention-days", bad)
        assert refused.returncode == 2, bad


def test_restore_creates_imports_verifies_and_prints_the_switch(tmp_path: Path) -> None:
    result = restore(
        tmp_path, "--project", PROJECT, "--database", "restored-0131", "--from", EXPORT, "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "calls").exists()
    assert planned(result.stdout) == [
        [
            *GCLOUD,
            "firestore",
            "databases",
            "create",
            "--database=restored-0131",
            "--location=europe-west1",
            "--type=firestore-native",
        ],
        [*GCLOUD, "firestore", "import", EXPORT, "--database=restored-0131"],
        [
            "env",
            f"GOOGLE_CLOUD_PROJECT={PROJECT}",
            sys.executable,
            "-m",
            "jobs.verify_restore",
            "--database=restored-0131",
            "--against=(default)",
        ],
    ]
    switch = switch_commands(result.stdout)
    assert [f"--project={PROJECT}", "firestore", "import", EXPORT, "--database=(default)"] in [
        c[1:] for c in switch
    ]
    # Or the whole product switched by the deploy (tests/test_deploy.py checks what it names).
    assert (
        f"  ./deploy.sh --project {PROJECT} --region europe-west1 --database restored-0131"
        in result.stdout.splitlines()
    )

    pitr = restore(
        tmp_path,
        "--project",
        PROJECT,
        "--database",
        "pitr-0131",
        "--snapshot-time",
        "2025-01-31T09:41:00Z",
        "--dry-run",
    )
    assert pitr.returncode == 0, pitr.stderr
    steps = planned(pitr.stdout)
    snapshot = f"{BUCKET}/pitr-2025-01-31T09-41-00Z"
    assert steps[0] == [
        *GCLOUD,
        "firestore",
        "export",
        snapshot,
        "--database=(default)",
        "--snapshot-time=2025-01-31T09:41:00Z",
    ]
    assert steps[2] == [*GCLOUD, "firestore", "import", snapshot, "--database=pitr-0131"]

    commands = [c for c in [*planned(result.stdout), *switch, *steps] if c[0] == "gcloud"]
    refused = accepted_by_gcloud(commands, tmp_path / "home")
    assert not refused, "\n".join(map(str, refused))


def test_restore_refuses_bad_arguments(tmp_path: Path) -> None:
    base = ["--project", PROJECT, "--dry-run"]
    for args in (
        ["--database", "restored", "--from", EXPORT],  # no --project
        [*base, "--database", "(default)", "--from", EXPORT],  # never the live database
        [*base, "--database", "Restored", "--from", EXPORT],
        [*base, "--database", "restored"],  # neither --from nor --snapshot-time
        [*base, "--database", "restored", "--from", EXPORT, "--snapshot-time", "2025-01-31T09:41Z"],
        [*base, "--database", "restored", "--from", "/local/export"],
        [*base, "--database", "restored", "--snapshot-time", "yesterday"],
        [*base, "--database", "restored", "--from", EXPORT, "--bogus"],
    ):
        assert restore(tmp_path, *args).returncode == 2, args
    assert not (tmp_path / "calls").exists()


def test_restore_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck is missing: make install"
    result = subprocess.run(
        [shellcheck, str(ROOT / "ops/restore.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_backend_uses_the_database_firestore_database_names(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switch to a restored database: FIRESTORE_DATABASE, read by every client."""
    from common.clients import firestore_client
    from common.config import Settings, get_settings

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")  # no credentials needed
    firestore_client.cache_clear()
    try:
        assert get_settings().firestore_database == "(default)"
        default = firestore_client().collection("users").document("u1")._document_path
        project = get_settings().project_id
        assert default == f"projects/{project}/databases/(default)/documents/users/u1"
        monkeypatch.setenv("FIRESTORE_DATABASE", "restored-0131")
        get_settings.cache_clear()
        firestore_client.cache_clear()
        restored = firestore_client().collection("users").document("u1")._document_path
        assert restored == f"projects/{project}/databases/restored-0131/documents/users/u1"
    finally:
        firestore_client.cache_clear()
    for bad in ("Restored", "(other)", "x" * 64, "-restored"):
        with pytest.raises(ValidationError):
            Settings(firestore_database=bad)
