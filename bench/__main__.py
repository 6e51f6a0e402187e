"""Run every benchmark in turn, then print one table of their figures (make bench).

    python -m bench [--only coldstart runner ...] [--skip matching ...]

Each benchmark prints its own detailed output as it goes and returns its figures, each with the
baseline it measured in the same run; the table at the end puts them together with their ratios
and targets. A benchmark that fails is reported, and the others still run; the exit status is 1
if one failed. Targets missed are shown, not an error: benchmarks are measurements, not tests.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable

from bench.table import Figure, render

# name -> module whose ``run(argv) -> list[Figure]`` runs it with its defaults, lightest first
# (the cold start is the most sensitive to a machine still busy with the previous benchmark).
BENCHMARKS: dict[str, str] = {
    "coldstart": "bench.coldstart",
    "runner": "bench.runner",
    "matching": "bench.matching",
    "load": "bench.load",
}


def _runner(module: str) -> Callable[[list[str]], list[Figure]]:
    run: Callable[[list[str]], list[Figure]] = importlib.import_module(module).run
    return run


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks and print one table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--skip", nargs="+", choices=list(BENCHMARKS), default=[])
    args = parser.parse_args(argv)
    chosen = [name for name in args.only if name not in args.skip]
    figures: list[Figure] = []
    failed: list[str] = []
    started = time.monotonic()
    for name in chosen:
        print(f"\n=== {name} ({BENCHMARKS[name]}) ===", flush=True)
        try:
            figures += _runner(BENCHMARKS[name])([])
        except Exception:
            traceback.print_exc()
            failed.append(name)
    minutes = (time.monotonic() - started) / 60
    print()
    print(render(figures, title=f"benchmarks: {', '.join(chosen)} ({minutes:.1f} min)"))
    if failed:
        print(f"FAILED: {', '.join(failed)} (their figures are missing; see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
