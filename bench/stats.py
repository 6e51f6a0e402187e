"""What benchmarks measure alike: a 95th percentile, and the CPU each part of a stack used."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devstack import LocalStack

__all__ = ["p95", "stack_cpu_s"]


def p95(values: list[float]) -> float:
    """Return the 95th percentile (inclusive method) of one or more values."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def stack_cpu_s(stack: LocalStack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack: every process of its group, children
    included (an emulator's wrapper leaves its JVM running as a child)."""
    ticks = os.sysconf("SC_CLK_TCK")
    groups = {service.process.pid: name for name, service in stack.services.items()}
    used = dict.fromkeys(groups.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = groups.get(int(fields[2]))  # the process group
        if name is not None:
            used[name] += sum(int(value) for value in fields[11:15]) / ticks
    return used
