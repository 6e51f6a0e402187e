"""Hostile programs, one test each per language: the right verdict, within limits, and the runner
keeps serving (a normal program runs right after each one)."""

from __future__ import annotations

import time

import pytest

from tests.runner.programs import HELLO, HOSTILE, Hostile
from tests.runner.support import RunnerService

# Modest limits keep the suite short; Java's JVM needs more CPU to start.
LIMITS: dict[str, dict[str, float]] = {
    "python": {"cpuS": 1, "wallS": 2, "memoryMb": 256},
    "javascript": {"cpuS": 1, "wallS": 2, "memoryMb": 256},
    "java": {"cpuS": 2, "wallS": 3, "memoryMb": 256},
    "cpp": {"cpuS": 1, "wallS": 2, "memoryMb": 256},
}


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: f"{h.language}-{h.case}")
def test_hostile_program_gets_its_verdict_and_the_runner_survives(
    runner: RunnerService, hostile: Hostile
) -> None:
    started = time.monotonic()
    result = runner.run(hostile.language, hostile.source, limits=LIMITS[hostile.language])
    elapsed = time.monotonic() - started

    assert result["verdict"] in hostile.verdicts, result
    assert elapsed < hostile.within_s, f"took {elapsed:.1f} s"
    for test in result["results"]:
        assert len(test["stdout"].encode()) <= 64 * 1024
        assert len(test["stderr"].encode()) <= 64 * 1024
    assert runner.alive()
    after = runner.run("python", HELLO["python"], [{"expected": "hello"}])
    assert after["verdict"] == "accepted", after
