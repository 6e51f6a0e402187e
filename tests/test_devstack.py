"""The one-command local stack: ready within 90 s, serving, and leaving nothing behind."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from devstack import LocalStack
from devstack.stack import ROOT

READY_WITHIN_S = 90


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_dev_reaches_ready_serves_and_stops_cleanly(tmp_path: Path) -> None:
    state_file = tmp_path / "devstack.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")},
        "PEERPREP_STATE_FILE": str(state_file),
        "PEERPREP_LOG_DIR": str(tmp_path / "logs"),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    output: list[str] = []
    try:
        while not any("local stack ready" in line for line in output):
            assert time.monotonic() - started < READY_WITHIN_S, "".join(output)
            assert process.poll() is None, "".join(output)
            try:
                output.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        addresses = json.loads(state_file.read_text())
        assert set(addresses) == {"api", "web", "firestore", "auth", "pubsub", "tasks", "projectId"}
        assert requests.get(f"{addresses['api']}/health", timeout=10).status_code == 200
        assert any(addresses["web"] in line for line in output if "local stack ready" in line)
        config = requests.get(f"{addresses['web']}config.json", timeout=10).json()
        assert config["apiBaseUrl"] == addresses["api"]
        assert config["emulators"]["firestore"] == addresses["firestore"]
        page = requests.get(f"{addresses['web']}match", timeout=10)
        assert page.status_code == 200
        assert '<div id="root">' in page.text
        preflight = requests.options(
            f"{addresses['api']}/match",
            headers={
                "Origin": addresses["web"].rstrip("/"),
                "Access-Control-Request-Method": "POST",
            },
            timeout=10,
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == addresses["web"].rstrip("/")
        printed = subprocess.run(
            [sys.executable, "-m", "devstack", "env"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert f"export PEERPREP_API={addresses['api']}" in printed
        assert f"export FIRESTORE_EMULATOR_HOST={addresses['firestore']}" in printed
        spawned = _descendants(process.pid)
        assert len(spawned) >= 6  # four emulators, the gateway and the web server, at least
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
        stdout.close()
    assert process.returncode == 0, "".join(output)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in spawned if _alive(pid)] == []
    assert not state_file.exists()


def test_the_walkthrough_runs_against_a_stack(stack: LocalStack, tmp_path: Path) -> None:
    state_file = tmp_path / "devstack.json"
    state_file.write_text(json.dumps(stack.addresses()))
    result = subprocess.run(
        [sys.executable, "-m", "devstack.demo"],
        cwd=ROOT,
        env={**os.environ, "PEERPREP_STATE_FILE": str(state_file)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[10] each has the attempt" in result.stdout
    assert "# alice's idea 4" in result.stdout and "# bob's test 4" in result.stdout
    # Without a running stack it says so and fails.
    missing = subprocess.run(
        [sys.executable, "-m", "devstack.demo"],
        cwd=ROOT,
        env={**os.environ, "PEERPREP_STATE_FILE": str(tmp_path / "none.json")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 1
    assert "make dev" in missing.stderr
