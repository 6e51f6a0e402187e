"""A real runner service for the runner's tests: its own process group, on a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runner.support import SANDBOX_UIDS, RunnerService


def stray_sandbox_processes() -> list[str]:
    """Return processes left in a sandbox: a sandbox's uid and pid namespace, but not bwrap.

    (A sandbox being prepared is briefly a fork of the server with its uid: not counted.)
    """
    own_namespace = Path("/proc/self/ns/pid").readlink()
    stray = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid = entry.stat().st_uid
            stat = (entry / "stat").read_text()
            namespace = (entry / "ns" / "pid").readlink()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state = stat.rsplit(")", 1)[-1].split()[0]
        if uid in SANDBOX_UIDS and state != "Z" and name != "bwrap" and namespace != own_namespace:
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                command = ""
            stray.append(f"{entry.name} {name} {state} uid={uid} ppid={stat.split()[3]}: {command}")
    return stray


@pytest.fixture(scope="session")
def runner() -> Iterator[RunnerService]:
    """The runner as deployed locally: cgroups where writable, two slots."""
    service = RunnerService("runner", {"RUNNER_SLOTS": "2"})
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def runner_without_cgroups() -> Iterator[RunnerService]:
    """The runner as on a host without writable cgroups: rlimits and heap flags only."""
    service = RunnerService("runner-rlimits", {"RUNNER_CGROUP": "off", "RUNNER_WARM": "2"})
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(autouse=True)
def _no_stray_sandbox_processes() -> Iterator[None]:
    """After every test, nothing a program started still runs on the host."""
    yield
    deadline = time.monotonic() + 2
    while stray_sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stray_sandbox_processes() == []
