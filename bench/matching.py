"""Benchmark matching under load, with and without per-bucket ordered delivery.

    python -m bench.matching [--users 20 50 100] [--buckets 1] [--repeat 3]

For each mode (ordered: the subscription delivers one bucket's messages one after the other;
unordered: the baseline, every message at once) it starts its own local stack, signs up the
users, fires every POST /match at once, and waits until all are matched. It reports, per load,
the median and 95th percentile of the wait (server timestamps: createdAt to endedAt), the time
until the last user was matched, and how many worker deliveries failed and were retried
(transactions that gave up under contention). Medians over ``--repeat`` rounds; the ratio
unordered/ordered is measured in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

import requests

from bench.table import Figure
from devstack import LocalStack
from tests.support import AuthEmulator, EmulatorUser, unique

LANGUAGES = ("python", "javascript", "java", "cpp")


@dataclass
class Round:
    """One burst of requests and what became of them."""

    users: int
    waits: list[float]
    settle_s: float
    unmatched: int
    failed_deliveries: int


def _p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


def _failed_deliveries(stack: LocalStack) -> int:
    count = 0
    for line in stack.services["api"].log_path.read_text().splitlines():
        if line.startswith("{") and "Pub/Sub will deliver it again" in line:
            count += 1
    return count


def _one_round(stack: LocalStack, auth: AuthEmulator, users: int, buckets: int) -> Round:
    api = stack.api_url
    session = requests.Session()

    def player(_: int) -> EmulatorUser:
        user = auth.sign_up()
        body = {"username": unique("b")[:20]}
        session.post(f"{api}/users", json=body, headers=user.headers, timeout=60).raise_for_status()
        return user

    with ThreadPoolExecutor(max_workers=16) as pool:
        players = list(pool.map(player, range(users)))
    failed_before = _failed_deliveries(stack)

    def ask(indexed: tuple[int, EmulatorUser]) -> None:
        index, user = indexed
        body = {"difficulty": "easy", "topics": [], "language": LANGUAGES[index % buckets]}
        response = requests.post(f"{api}/match", json=body, headers=user.headers, timeout=60)
        response.raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(ask, enumerate(players)))
    from common.clients import firestore_client

    requests_ref = firestore_client().collection("matchRequests")
    docs: list[dict[str, Any]] = []
    deadline = started + 120
    while time.monotonic() < deadline:
        docs = [
            s.to_dict() or {}
            for s in firestore_client().get_all(
                [requests_ref.document(user.uid) for user in players]
            )
        ]
        if all(doc.get("status") != "waiting" for doc in docs):
            break
        time.sleep(0.2)
    settle_s = time.monotonic() - started
    matched = [doc for doc in docs if doc.get("status") == "matched"]
    waits = [(doc["endedAt"] - doc["createdAt"]).total_seconds() for doc in matched]
    return Round(
        users, waits, settle_s, users - len(matched), _failed_deliveries(stack) - failed_before
    )


def run_mode(
    *, ordered: bool, loads: list[int], buckets: int, repeat: int
) -> dict[int, list[Round]]:
    """Start a stack in one delivery mode and run every load ``repeat`` times."""
    import os

    from common.config import get_settings

    stack = LocalStack(
        extra_env={"MATCH_RELAX_SECONDS": "60", "MATCH_EXPIRE_SECONDS": "120", "LOG_LEVEL": "INFO"},
        ordered_delivery=ordered,
    )
    results: dict[int, list[Round]] = {}
    with stack.running():
        stack.seed()
        os.environ.update(stack.client_env())
        get_settings.cache_clear()
        import common.clients

        common.clients.firestore_client.cache_clear()
        auth = AuthEmulator(stack)
        for load in loads:
            results[load] = [_one_round(stack, auth, load, buckets) for _ in range(repeat)]
    return results


def _summary(rounds: list[Round]) -> dict[str, float]:
    return {
        "median_wait_s": statistics.median(statistics.median(r.waits) for r in rounds if r.waits),
        "p95_wait_s": statistics.median(_p95(r.waits) for r in rounds if r.waits),
        "settle_s": statistics.median(r.settle_s for r in rounds),
        "unmatched": statistics.median(r.unmatched for r in rounds),
        "failed_deliveries": statistics.median(r.failed_deliveries for r in rounds),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both modes and print a table and a JSON summary."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--buckets", type=int, default=1, choices=range(1, 5), metavar="1..4")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    report: dict[str, dict[int, dict[str, float]]] = {}
    for mode, ordered in (("ordered", True), ("unordered", False)):
        rounds = run_mode(
            ordered=ordered, loads=args.users, buckets=args.buckets, repeat=args.repeat
        )
        report[mode] = {load: _summary(r) for load, r in rounds.items()}
    print(f"matching benchmark: {args.buckets} bucket(s), median of {args.repeat} rounds per load")
    print(
        f"{'users':>5} {'mode':>9} {'median wait':>12} {'p95 wait':>9} {'all matched':>12} "
        f"{'unmatched':>9} {'retried':>8}"
    )
    for load in args.users:
        for mode in report:
            row = report[mode][load]
            retried = row["failed_deliveries"]
            print(
                f"{load:>5} {mode:>9} {row['median_wait_s']:>11.2f}s {row['p95_wait_s']:>8.2f}s "
                f"{row['settle_s']:>11.2f}s {row['unmatched']:>9.0f} {retried:>8.0f}"
            )
        ratio = report["unordered"][load]["settle_s"] / report["ordered"][load]["settle_s"]
        print(f"{load:>5} {'ratio':>9} unordered/ordered time until all matched: {ratio:.2f}x")
    print(json.dumps(report))
    return 0


# ---- for python -m bench: the figures of main's report (its last output line) ----------------

# The target: p95 wait from the request to the match, at 1,000 users in one bucket.
P95_TARGET_S = 1.0


def figures(report: dict[str, dict[str, dict[str, float]]]) -> list[Figure]:
    """Convert main's JSON report into Figures: ordered delivery against the unordered one."""
    result = []
    for load, ordered in report["ordered"].items():
        unordered = report["unordered"][load]
        for key, label, target in (
            ("p95_wait_s", "p95 wait", P95_TARGET_S),
            ("settle_s", "all matched after", None),
            ("unmatched", "unmatched", 0.0),
        ):
            result.append(
                Figure(
                    f"matching {load} users: {label}",
                    ordered[key],
                    "s" if key.endswith("_s") else "users",
                    baseline=unordered[key],
                    target=target,
                    against="unordered delivery",
                )
            )
    return result


class _Tee(io.StringIO):
    """Keep what main prints, and let it through."""

    def __init__(self, through: TextIO) -> None:
        super().__init__()
        self._through = through

    def write(self, text: str) -> int:
        self._through.write(text)
        return super().write(text)

    def flush(self) -> None:
        self._through.flush()


def run(argv: list[str] | None = None) -> list[Figure]:
    """Run main, keeping its output, and return its figures."""
    out = _Tee(sys.stdout)
    with contextlib.redirect_stdout(out):
        main(argv)
    return figures(json.loads(out.getvalue().strip().splitlines()[-1]))


if __name__ == "__main__":
    sys.exit(main())
