"""Process groups: tell whether one still has a live member, stop several at once, and have a
watchdog stop them if their owner dies.

Every part of the local stack runs in a process group of its own, because the gcloud wrappers
leave their Java child running when only the wrapper is killed. Stopping a part means stopping
its whole group; stopping the stack means stopping every group at the same time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["Watchdog", "group_alive", "stop_groups"]

_ROOT = Path(__file__).resolve().parent.parent


def group_alive(pgid: int) -> bool:
    """Tell whether any process of the group still runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader keeps the group id alive until reaped; look for live members.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _signal_all(pgids: Iterable[int], sig: signal.Signals) -> None:
    for pgid in pgids:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            continue


def _wait_gone(pgids: set[int], timeout_s: float, reap: Iterable[object] = ()) -> set[int]:
    deadline = time.monotonic() + timeout_s
    alive = set(pgids)
    while alive and time.monotonic() < deadline:
        for process in reap:
            poll = getattr(process, "poll", None)
            if poll is not None:
                poll()
        alive = {pgid for pgid in alive if group_alive(pgid)}
        if alive:
            time.sleep(0.05)
    return alive


def stop_groups(pgids: Iterable[int], *, grace_s: float, reap: Iterable[object] = ()) -> set[int]:
    """SIGTERM every group at once, SIGKILL what is left after ``grace_s``; return survivors.

    ``reap``: Popen objects of the group leaders, polled so that their zombies go away.
    """
    groups = set(pgids)
    leaders = list(reap)
    _signal_all(groups, signal.SIGTERM)
    left = _wait_gone(groups, grace_s, leaders)
    if left:
        _signal_all(left, signal.SIGKILL)
        left = _wait_gone(left, 3.0, leaders)
    return left


class Watchdog:
    """The writing end of ``python -m devstack.watchdog``: started on first use, it guards
    and releases process groups.

    Whoever holds it (the stack, a test's own service) may die in any way: the groups it
    guards are stopped all the same.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def _tell(self, action: str, pgid: int) -> None:
        if self._process is None or self._process.poll() is not None:
            if action == "release":
                return
            self._process = subprocess.Popen(
                [sys.executable, "-m", "devstack.watchdog"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                cwd=_ROOT,
                start_new_session=True,
            )
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.write(f"{action} {pgid}\n".encode())
            self._process.stdin.flush()

    def guard(self, pgid: int) -> None:
        """Stop this group if the holder dies without releasing it."""
        self._tell("guard", pgid)

    def release(self, pgid: int) -> None:
        """Forget this group (it was stopped)."""
        self._tell("release", pgid)

    def close(self) -> None:
        """Let the watchdog end, once every group is released."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(BrokenPipeError):
            if process.stdin is not None:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
