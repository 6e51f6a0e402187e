"""Slots (one program at a time each) and the prepared sandboxes each slot keeps ready.

Every bwrap is started from one long-lived thread: ``--die-with-parent`` ties a sandbox to the
*thread* that forked it, so a sandbox started from a request thread could die with that thread.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from runner.logs import get_logger
from runner.sandbox import Cell, Outcome, Prepared, SandboxError, SandboxSpec, System

__all__ = ["Slot"]

_log = get_logger("runner.pool")


class Slot:
    """A box directory, a few cells, and prepared sandboxes keyed by what they run."""

    def __init__(
        self,
        index: int,
        *,
        system: System,
        box: Path,
        cells: list[Cell],
        warm_max: int,
    ) -> None:
        self.index = index
        self.box = box
        self._system = system
        # One thread per slot forks every sandbox of the slot (see the module's docstring).
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"slot{index}")
        self._warm_max = warm_max
        self._free = list(cells)
        self._warm: OrderedDict[SandboxSpec, Future[Prepared]] = OrderedDict()
        self._lock = threading.Condition()

    # ---- running ---------------------------------------------------------------------------

    def run(self, spec: SandboxSpec, stdin: bytes, *, more: bool = False) -> Outcome:
        """Run ``spec`` once on ``stdin`` in a prepared sandbox, and prepare the next one.

        With ``more`` runs to come the next sandbox is prepared while this one runs; after the
        last run it is prepared once the run is over, so that it does not slow the run down.
        """
        prepared = self._take(spec)
        if more:
            self.keep_warm(spec)
        try:
            return prepared.release(stdin)
        finally:
            # Reaping bwrap and emptying the cell happen after the run, in the background.
            self._spawner.submit(self._finish, prepared, spec, warm=not more)

    def keep_warm(self, spec: SandboxSpec) -> None:
        """Have a sandbox for ``spec`` prepared, evicting the least recently used beyond the cap."""
        if self._warm_max == 0:
            return
        with self._lock:
            if spec in self._warm:
                self._warm.move_to_end(spec)
                return
            self._warm[spec] = self._spawner.submit(self._spawn, spec)
            while len(self._warm) > self._warm_max:
                _, evicted = self._warm.popitem(last=False)
                evicted.add_done_callback(self._discard)

    def wipe_box(self) -> None:
        """Empty the box (never replace it: prepared sandboxes have it mounted)."""
        for entry in self.box.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def close(self) -> None:
        """Kill every prepared sandbox."""
        with self._lock:
            futures = list(self._warm.values())
            self._warm.clear()
        for future in futures:
            self._discard(future)
        self._spawner.shutdown(wait=True)

    # ---- internals -------------------------------------------------------------------------

    def _take(self, spec: SandboxSpec) -> Prepared:
        with self._lock:
            future = self._warm.pop(spec, None)
        if future is None:
            future = self._spawner.submit(self._spawn, spec)
        prepared = future.result()
        if not prepared.alive():
            _log.warning("a prepared sandbox died while waiting", extra={"slot": self.index})
            prepared.discard()
            self._give_back(prepared)
            prepared = self._spawner.submit(self._spawn, spec).result()
        return prepared

    def _spawn(self, spec: SandboxSpec) -> Prepared:
        cell = self._take_cell()
        try:
            return Prepared(self._system, spec, cell, self.box)
        except BaseException:
            with self._lock:
                self._free.append(cell)
                self._lock.notify()
            raise

    def _take_cell(self) -> Cell:
        deadline = time.monotonic() + 10
        while True:
            with self._lock:
                if self._free:
                    return self._free.pop()
                # Every cell holds a sandbox: drop the least recently used prepared one.
                victim = next((spec for spec, f in self._warm.items() if f.done()), None)
                future = self._warm.pop(victim) if victim is not None else None
                if future is None and not self._lock.wait_for(
                    lambda: bool(self._free), timeout=max(0.0, deadline - time.monotonic())
                ):
                    raise SandboxError(f"slot {self.index}: no free cell")
            if future is not None:
                self._discard(future)

    def _finish(self, prepared: Prepared, spec: SandboxSpec, *, warm: bool) -> None:
        try:
            prepared.finish()
        except Exception:
            _log.exception("a sandbox could not be cleaned up", extra={"slot": self.index})
            return
        self._give_back(prepared)
        if warm:
            self.keep_warm(spec)

    def _discard(self, future: Future[Prepared]) -> None:
        try:
            prepared = future.result()
        except Exception:  # a sandbox that failed to start holds no cell
            return
        prepared.discard()
        self._give_back(prepared)

    def _give_back(self, prepared: Prepared) -> None:
        if not prepared.cell_clean:
            _log.error("a cell could not be emptied: left out", extra={"cell": prepared.cell.index})
            return
        with self._lock:
            self._free.append(prepared.cell)
            self._lock.notify()
