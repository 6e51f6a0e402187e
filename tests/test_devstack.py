"""The one-command local stack: ready within 90 s, serving, and leaving nothing behind."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
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


@dataclass
class Dev:
    """A ``make dev`` (or ``python -m devstack``) started by a test, up to its ready line."""

    process: subprocess.Popen[str]
    addresses: dict[str, str]
    output: list[str]
    env: dict[str, str]
    state_file: Path
    reader: threading.Thread

    def close(self) -> None:
        """Stop reading the output (once the process has ended)."""
        self.reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def ports(self) -> list[int]:
        """Return every port written to the state file."""
        return [int(port) for port in re.findall(r":(\d+)", " ".join(self.addresses.values()))]


def _start_dev(tmp_path: Path, command: list[str]) -> Dev:
    state_file = tmp_path / "devstack.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")},
        "PEERPREP_STATE_FILE": str(state_file),
        "PEERPREP_LOG_DIR": str(tmp_path / "logs"),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        command,
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
    except BaseException:
        os.killpg(process.pid, signal.SIGTERM)
        raise
    addresses = json.loads(state_file.read_text())
    return Dev(process, addresses, output, env, state_file, reader)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_make_dev_reaches_ready_serves_and_stops_within_10_s(tmp_path: Path) -> None:
    dev = _start_dev(tmp_path, [sys.executable, "-m", "devstack"])
    try:
        assert set(dev.addresses) == {
            "api",
            "web",
            "firestore",
            "auth",
            "pubsub",
            "tasks",
            "runner",
            "projectId",
        }
        assert requests.get(f"{dev.addresses['api']}/health", timeout=10).status_code == 200
        assert requests.get(f"{dev.addresses['runner']}/health", timeout=10).status_code == 200
        web = dev.addresses["web"]
        assert any(web in line for line in dev.output if "local stack ready" in line)
        config = requests.get(f"{web}config.json", timeout=10).json()
        assert config["apiBaseUrl"] == dev.addresses["api"]
        assert config["emulators"]["firestore"] == dev.addresses["firestore"]
        page = requests.get(f"{web}match", timeout=10)
        assert page.status_code == 200
        assert '<div id="root">' in page.text
        preflight = requests.options(
            f"{dev.addresses['api']}/match",
            headers={"Origin": web.rstrip("/"), "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert preflight.headers["Access-Control-Allow-Origin"] == web.rstrip("/")
        printed = subprocess.run(
            [sys.executable, "-m", "devstack", "env"],
            cwd=ROOT,
            env=dev.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert f"export PEERPREP_API={dev.addresses['api']}" in printed
        assert f"export FIRESTORE_EMULATOR_HOST={dev.addresses['firestore']}" in printed
        spawned = _descendants(dev.process.pid)
        assert len(spawned) >= 6  # four emulators, the gateway and the web server, at least
    finally:
        asked = time.monotonic()
        dev.process.send_signal(signal.SIGTERM)
        dev.process.wait(timeout=60)
    stopped_after = time.monotonic() - asked
    dev.close()
    assert dev.process.returncode == 0, "".join(dev.output)
    assert [pid for pid in spawned if _alive(pid)] == []
    assert stopped_after < 10, f"stopped after {stopped_after:.1f} s"
    assert not dev.state_file.exists()
    assert [port for port in dev.ports() if _answers(port)] == []


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-m", "devstack"], id="stack-process-killed"),
        pytest.param(["make", "--no-print-directory", "dev"], id="make-killed"),
    ],
)
def test_a_stack_killed_with_sigkill_leaves_nothing_serving(
    tmp_path: Path, command: list[str]
) -> None:
    dev = _start_dev(tmp_path, command)
    ports = dev.ports()
    assert all(_answers(port) for port in ports), dev.addresses
    os.kill(dev.process.pid, signal.SIGKILL)  # only the process started: make, or the stack
    dev.process.wait(timeout=10)
    dev.close()
    deadline = time.monotonic() + 15
    while any(_answers(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [port for port in ports if _answers(port)] == [], "".join(dev.output)


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
