"""Where no cgroup is writable (as on some Cloud Run instances) memory is bounded by RLIMIT_DATA
and the runtimes' heap flags, processes by RLIMIT_NPROC: the same verdicts."""

from __future__ import annotations

import pytest

from tests.runner.programs import HELLO, HOSTILE
from tests.runner.support import RunnerService
from tests.runner.test_hostile import LIMITS

CASES = {(h.language, h.case): h for h in HOSTILE}


def test_health_says_rlimits(runner_without_cgroups: RunnerService) -> None:
    health = runner_without_cgroups.http.get(f"{runner_without_cgroups.url}/health", timeout=10)

    assert health.json()["sandbox"] == "rlimits+uid-per-cell"


@pytest.mark.parametrize("language", list(HELLO))
def test_allocating_2_gib_is_a_memory_limit(
    runner_without_cgroups: RunnerService, language: str
) -> None:
    hostile = CASES[(language, "allocate_2gib")]

    result = runner_without_cgroups.run(language, hostile.source, limits=LIMITS[language])

    assert result["verdict"] == "memory_limit", result
    assert runner_without_cgroups.run(language, HELLO[language])["verdict"] == "accepted"


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_a_fork_bomb_is_bounded(runner_without_cgroups: RunnerService, language: str) -> None:
    hostile = CASES[(language, "fork_bomb")]

    result = runner_without_cgroups.run(language, hostile.source, limits=LIMITS[language])

    assert result["verdict"] in hostile.verdicts, result
    assert runner_without_cgroups.run("python", HELLO["python"])["verdict"] == "accepted"
