"""Per-sandbox cgroups (v1 memory and pids controllers), created once and reused.

Each *cell* is a place one sandbox lives in: a memory cgroup (limit, peak, OOM kills) and a pids
cgroup (process and thread count). Cells are created under the server's own cgroups at start, so
the host's limits on the server still bound every sandbox, and are reconfigured per run with a
few small writes: no helper process, no mkdir in the hot path. Where no v1 hierarchy is writable
(cgroup v2 without delegation, a non-root server), ``CgroupTree.create`` returns ``None`` and the
runner falls back to rlimits and the runtimes' heap flags.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from runner.logs import get_logger

__all__ = ["CgroupCell", "CgroupTree"]

_ROOT = Path("/sys/fs/cgroup")
_OWNER = re.compile(r"^peerprep-runner-(\d+)$")
_log = get_logger("runner.cgroups")


def _own_path(controller: str) -> str | None:
    """Return this process's cgroup path in the v1 hierarchy of ``controller``."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class CgroupCell:
    """One memory cgroup and one pids cgroup, used by one sandbox at a time."""

    memory: Path
    pids: Path

    @property
    def procs_files(self) -> tuple[str, str]:
        """Return the files a new sandbox writes its pid to (before it execs bwrap)."""
        return str(self.memory / "cgroup.procs"), str(self.pids / "cgroup.procs")

    def configure(self, *, memory_bytes: int, processes: int) -> None:
        """Set the memory limit (swap included) and the process limit of an empty cell."""
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        limit = self.memory / "memory.limit_in_bytes"
        current = int(limit.read_text())
        # memsw must never be below the memory limit: raise memsw first, lower it last.
        order = [limit, memsw] if memory_bytes < current else [memsw, limit]
        for path in order:
            if path.exists():
                _write(path, str(memory_bytes))
        _write(self.pids / "pids.max", str(processes))

    def reset_peak(self) -> None:
        """Start measuring the peak memory from now."""
        _write(self.memory / "memory.max_usage_in_bytes", "0")

    def peak_bytes(self) -> int:
        """Return the peak memory since the last reset."""
        return int((self.memory / "memory.max_usage_in_bytes").read_text())

    def oom_kills(self) -> int:
        """Return how many processes the OOM killer has killed in this cell so far."""
        for line in (self.memory / "memory.oom_control").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill":
                return int(value)
        return int((self.memory / "memory.failcnt").read_text())

    def members(self) -> list[int]:
        """Return the pids living in this cell."""
        pids: set[int] = set()
        for directory in (self.memory, self.pids):
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
        return sorted(pids)

    def empty(self, timeout_s: float = 2.0) -> bool:
        """Kill whatever still lives in the cell and wait until it is empty."""
        deadline = time.monotonic() + timeout_s
        while True:
            members = self.members()
            if not members:
                return True
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def remove(self) -> None:
        """Remove both cgroups (the cell must be empty)."""
        for directory in (self.memory, self.pids):
            with contextlib.suppress(FileNotFoundError):
                directory.rmdir()


@dataclass(frozen=True)
class CgroupTree:
    """The runner's own directory in the memory and pids hierarchies, holding its cells."""

    memory: Path
    pids: Path

    @classmethod
    def create(cls) -> CgroupTree | None:
        """Create this process's cgroup directories, or return ``None`` where none is writable."""
        memory_own, pids_own = _own_path("memory"), _own_path("pids")
        if memory_own is None or pids_own is None:
            return None
        parents = (_ROOT / "memory" / memory_own.lstrip("/"), _ROOT / "pids" / pids_own.lstrip("/"))
        if not all((parent / "cgroup.procs").exists() for parent in parents):
            return None
        name = f"peerprep-runner-{os.getpid()}"
        try:
            for parent in parents:
                _remove_stale(parent)
                (parent / name).mkdir(exist_ok=True)
        except OSError as exc:
            if exc.errno not in {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT}:
                raise
            return None
        tree = cls(parents[0] / name, parents[1] / name)
        # A hierarchy's root has no limit files; a child of the right controller has them.
        if (
            not (tree.memory / "memory.limit_in_bytes").exists()
            or not (tree.pids / "pids.max").exists()
        ):
            tree.remove()
            return None
        return tree

    def cell(self, index: int) -> CgroupCell:
        """Create (or reuse) cell ``index``."""
        cell = CgroupCell(self.memory / f"cell{index}", self.pids / f"cell{index}")
        cell.memory.mkdir(exist_ok=True)
        cell.pids.mkdir(exist_ok=True)
        return cell

    def remove(self) -> None:
        """Remove every cell and the runner's directories (at shutdown)."""
        for root in (self.memory, self.pids):
            _remove_tree(root)


def _remove_tree(root: Path) -> None:
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir():
            CgroupCell(child, child).empty(timeout_s=1.0)
            with contextlib.suppress(OSError):
                child.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()


def _remove_stale(parent: Path) -> None:
    """Remove the directories of runners that died without cleaning up."""
    for entry in parent.iterdir():
        match = _OWNER.match(entry.name)
        if match and not _pid_alive(int(match.group(1))):
            _log.info("removing a dead runner's cgroups", extra={"path": str(entry)})
            _remove_tree(entry)
