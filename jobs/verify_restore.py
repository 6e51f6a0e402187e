"""Verify a restored Firestore database: count the documents of every collection that matters.

    python -m jobs.verify_restore --database restored-0612 --against '(default)'
        compare with the live database: exit 1 if a collection the live one holds is empty in
        the restored one (the live one has moved on since the backup, so counts may differ)
    python -m jobs.verify_restore --database restored-0612 --manifest counts.json
        compare with counts taken at the backup's time: exit 1 unless every count is equal
    python -m jobs.verify_restore --database '(default)' --write-manifest counts.json
        take those counts (run it when you export by hand, or against a restored copy)

Counts are Firestore ``count()`` aggregations over collection groups (subcollections included),
so the verification reads no documents and costs one read per 1000 documents counted. The
report goes to standard output, one line per collection; GOOGLE_CLOUD_PROJECT names the project.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from common.config import get_settings

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["COLLECTIONS", "compare", "count_documents", "main"]

# Every collection group the backend keeps (DESIGN.md, section 2), subcollections included.
COLLECTIONS = (
    "users",
    "usernames",
    "attempts",
    "questions",
    "questionTests",
    "questionSlugs",
    "matchRequests",
    "sessions",
    "updates",
    "messages",
    "presence",
    "runs",
)

Counts = dict[str, int]


def _client(database: str) -> firestore.Client:
    from google.cloud import firestore

    return firestore.Client(project=get_settings().project_id, database=database)


def count_documents(client: firestore.Client) -> Counts:
    """Return the number of documents of each collection group of ``COLLECTIONS``."""
    from google.cloud.firestore_v1.aggregation import AggregationQuery

    counts: Counts = {}
    for name in COLLECTIONS:
        # Built directly: Query.count() is annotated as returning the class, not an instance.
        query = AggregationQuery(client.collection_group(name)).count(alias="n")
        counts[name] = int(query.get()[0][0].value)
    return counts


def compare(restored: Counts, reference: Counts, *, exact: bool) -> list[str]:
    """Return the problems found: counts that differ (``exact``) or collections left empty."""
    problems = []
    for name in COLLECTIONS:
        have, want = restored.get(name, 0), reference.get(name, 0)
        if (exact and have != want) or (want > 0 and have == 0):
            problems.append(f"{name}: {have} documents restored, {want} expected")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Count, compare and report; exit 1 when the restored database fails the comparison."""
    parser = argparse.ArgumentParser(
        prog="python -m jobs.verify_restore", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database", required=True, help="the restored database's id")
    reference = parser.add_mutually_exclusive_group()
    reference.add_argument("--against", help="a live database to compare with")
    reference.add_argument("--manifest", type=Path, help="counts to match exactly")
    reference.add_argument("--write-manifest", type=Path, help="write the counts here")
    args = parser.parse_args(argv)

    restored = count_documents(_client(args.database))
    if args.write_manifest is not None:
        args.write_manifest.write_text(json.dumps(restored, indent=2, sort_keys=True) + "\n")
        sys.stdout.write(f"{sum(restored.values())} documents counted into {args.write_manifest}\n")
        return 0
    if args.manifest is not None:
        expected: Counts = json.loads(args.manifest.read_text())
        label, exact = str(args.manifest), True
    elif args.against is not None:
        expected, label, exact = count_documents(_client(args.against)), args.against, False
    else:
        expected, label, exact = {}, "nothing", False

    sys.stdout.write(f"{'collection':<16}{args.database:>20}{label:>20}\n")
    for name in COLLECTIONS:
        sys.stdout.write(f"{name:<16}{restored[name]:>20}{expected.get(name, 0):>20}\n")
    problems = compare(restored, expected, exact=exact)
    if sum(restored.values()) == 0:
        problems.append(f"{args.database} holds no document at all")
    for problem in problems:
        sys.stdout.write(f"FAILED {problem}\n")
    if not problems:
        sys.stdout.write(f"OK: {args.database} holds every collection ({label})\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
