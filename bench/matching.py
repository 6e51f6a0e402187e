"""Benchmark matching in hot buckets: many users arriving over a few seconds.

    python -m bench.matching [--users 1000] [--buckets 1 4] [--spread-s 10]

It starts its own local stack, signs the users up, then sends their POST /match spread evenly
over ``--spread-s`` seconds, into one bucket or spread over several (same difficulty, one
language each), and waits until nobody waits. It reports the wait of every request (server
timestamps: createdAt to endedAt) as median, p95 and max, the time until the last match, and
invariant violations: a request not matched, a matched request whose session is missing or does
not hold exactly that pair, a user in two sessions. The baseline, measured in the same run, is
the wait of a lone pair asking at an idle moment (the floor: publish, push, one sweep).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.stats import p95, stack_cpu_s
from bench.table import Figure
from devstack import LocalStack
from tests.support import AuthEmulator, EmulatorUser, unique

LANGUAGES = ("python", "javascript", "java", "cpp")
TARGET_P95_S = 1.0


@dataclass
class Round:
    """One burst of requests and what became of them."""

    users: int
    buckets: int
    waits: list[float]
    last_match_s: float
    violations: list[str] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        """Return the round's figures."""
        return {
            "users": self.users,
            "buckets": self.buckets,
            "matched": len(self.waits),
            "medianWaitS": round(statistics.median(self.waits), 3) if self.waits else None,
            "p95WaitS": round(p95(self.waits), 3) if self.waits else None,
            "maxWaitS": round(max(self.waits), 3) if self.waits else None,
            "lastMatchS": round(self.last_match_s, 2),
            "violations": len(self.violations),
            "cpuS": self.cpu_s,
        }


def _players(stack: LocalStack, auth: AuthEmulator, count: int) -> list[EmulatorUser]:
    session = requests.Session()

    def player(_: int) -> EmulatorUser:
        user = auth.sign_up()
        body = {"username": unique("b")[:20]}
        response = session.post(
            f"{stack.api_url}/users", json=body, headers=user.headers, timeout=60
        )
        response.raise_for_status()
        return user

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(player, range(count)))


def _check(players: list[EmulatorUser], docs: list[dict[str, Any]]) -> list[str]:
    """Every invariant the burst must keep, as a list of what broke."""
    from common.clients import firestore_client

    violations = []
    by_uid = {user.uid: doc for user, doc in zip(players, docs, strict=True)}
    sessions_of: dict[str, set[str]] = {}
    session_ids = {doc["sessionId"] for doc in docs if doc.get("status") == "matched"}
    sessions = {
        s.id: s.to_dict() or {}
        for s in firestore_client().get_all(
            [firestore_client().collection("sessions").document(i) for i in session_ids]
        )
        if s.exists
    }
    for uid, doc in by_uid.items():
        if doc.get("status") != "matched":
            violations.append(f"{uid}: {doc.get('status')} ({doc.get('reason')})")
            continue
        session = sessions.get(doc["sessionId"])
        partner = str((doc.get("partner") or {}).get("uid"))
        if session is None:
            violations.append(f"{uid}: session {doc['sessionId']} missing")
        elif sorted(session.get("participants") or []) != sorted([uid, partner]):
            violations.append(f"{uid}: session {doc['sessionId']} holds another pair")
        elif by_uid.get(partner, {}).get("sessionId") != doc["sessionId"]:
            violations.append(f"{uid}: partner {partner} is in another session")
        sessions_of.setdefault(uid, set()).add(doc["sessionId"])
    participants: dict[str, int] = {}
    for session in sessions.values():
        for uid in session.get("participants") or []:
            participants[uid] = participants.get(uid, 0) + 1
    violations += [f"{uid}: in {n} sessions" for uid, n in participants.items() if n > 1]
    return violations


def _burst(
    stack: LocalStack, players: list[EmulatorUser], *, buckets: int, spread_s: float
) -> Round:
    """Send every player's request at its moment of the spread; wait until nobody waits."""
    from common.clients import firestore_client

    cpu_before = stack_cpu_s(stack)
    session = requests.Session()
    started = time.monotonic()
    step = spread_s / max(1, len(players) - 1) if spread_s else 0.0

    def ask(indexed: tuple[int, EmulatorUser]) -> None:
        index, user = indexed
        delay = started + index * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = {"difficulty": "easy", "topics": [], "language": LANGUAGES[index % buckets]}
        response = session.post(
            f"{stack.api_url}/match", json=body, headers=user.headers, timeout=60
        )
        response.raise_for_status()

    with ThreadPoolExecutor(max_workers=48) as pool:
        list(pool.map(ask, enumerate(players)))
    references = [firestore_client().collection("matchRequests").document(u.uid) for u in players]
    docs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        docs = [s.to_dict() or {} for s in firestore_client().get_all(references)]
        if all(doc.get("status") != "waiting" for doc in docs):
            break
        time.sleep(0.25)
    matched = [doc for doc in docs if doc.get("status") == "matched"]
    waits = [(doc["endedAt"] - doc["createdAt"]).total_seconds() for doc in matched]
    first = min((doc["createdAt"] for doc in docs), default=None)
    last = max((doc["endedAt"] for doc in matched), default=None)
    last_match_s = (last - first).total_seconds() if first and last else 0.0
    round_ = Round(len(players), buckets, waits, last_match_s)
    round_.violations = _check(players, docs)
    cpu_after = stack_cpu_s(stack)
    round_.cpu_s = {k: round(cpu_after[k] - cpu_before.get(k, 0.0), 1) for k in cpu_after}
    return round_


def _lone_pairs(stack: LocalStack, auth: AuthEmulator, pairs: int) -> list[float]:
    """The wait of a pair asking alone at an idle moment, ``pairs`` times."""
    waits: list[float] = []
    for _ in range(pairs):
        duo = _players(stack, auth, 2)
        result = _burst(stack, duo, buckets=1, spread_s=0)
        waits += result.waits
        time.sleep(0.5)
    return waits


def measure(
    *, users: int, buckets: list[int], spread_s: float, worker_apart: bool = True
) -> dict[str, Any]:
    """Start a stack, measure the lone-pair floor, then one burst per bucket count."""
    from common.config import get_settings

    stack = LocalStack(
        extra_env={"MATCH_RELAX_SECONDS": "60", "MATCH_EXPIRE_SECONDS": "120", "LOG_LEVEL": "INFO"},
        worker_apart=worker_apart,
    )
    report: dict[str, Any] = {
        "spreadS": spread_s,
        "workerApart": worker_apart,
        "rounds": [],
        "logDir": str(stack.log_dir),
    }
    with stack.running():
        stack.seed()
        os.environ.update(stack.client_env())
        get_settings.cache_clear()
        import common.clients

        common.clients.firestore_client.cache_clear()
        auth = AuthEmulator(stack)
        floor = _lone_pairs(stack, auth, 5)
        report["lonePairWaitS"] = round(statistics.median(floor), 3)
        for count in buckets:
            players = _players(stack, auth, users)
            result = _burst(stack, players, buckets=count, spread_s=spread_s)
            report["rounds"].append({**result.figures(), "examples": result.violations[:5]})
    return report


def figures(report: dict[str, Any]) -> list[Figure]:
    """Return each burst's p95 wait (against the lone pair's), unmatched users and violations."""
    floor = report["lonePairWaitS"]
    found = []
    for row in report["rounds"]:
        spread = report["spreadS"]
        label = f"matching {row['users']} users over {spread:g} s, {row['buckets']} bucket(s)"
        found += [
            Figure(
                name=f"{label}: p95 wait",
                value=row["p95WaitS"] or math.nan,
                unit="s",
                baseline=floor,
                target=TARGET_P95_S,
                against="a lone pair's wait",
            ),
            Figure(
                name=f"{label}: not matched",
                value=row["users"] - row["matched"],
                unit="users",
                target=0,
            ),
            Figure(
                name=f"{label}: invariant violations", value=row["violations"], unit="", target=0
            ),
        ]
    return found


def run(argv: list[str] | None = None) -> list[Figure]:
    """Parse the arguments, run the bursts, print the table; return the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--buckets", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--spread-s", type=float, default=10.0)
    parser.add_argument(
        "--one-gateway",
        action="store_true",
        help="serve the worker from the API's gateway process (by default it runs apart)",
    )
    args = parser.parse_args(argv)
    report = measure(
        users=args.users,
        buckets=args.buckets,
        spread_s=args.spread_s,
        worker_apart=not args.one_gateway,
    )
    floor = report["lonePairWaitS"]
    print(
        f"matching benchmark: {args.users} users arriving over {args.spread_s:g} s; "
        f"baseline: a lone pair's wait {floor:.3f} s (median of 5)"
    )
    print(
        f"{'buckets':>7} {'matched':>8} {'median':>8} {'p95':>7} {'max':>7} {'last':>7} "
        f"{'p95/floor':>9} {'target p95':>10} {'violations':>10}"
    )
    for row in report["rounds"]:
        p95 = row["p95WaitS"] or 0.0
        print(
            f"{row['buckets']:>7} {row['matched']:>8} {row['medianWaitS'] or 0:>7.3f}s "
            f"{p95:>6.3f}s {row['maxWaitS'] or 0:>6.3f}s {row['lastMatchS']:>6.2f}s "
            f"{p95 / floor if floor else 0:>8.1f}x {'<' + str(TARGET_P95_S) + ' s':>10} "
            f"{row['violations']:>10}"
        )
    print(json.dumps(report))
    return figures(report)


def main(argv: list[str] | None = None) -> int:
    """Run the bursts; print a table and a JSON summary."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
