"""Cloud Run job: upsert the question bank from a JSON file, idempotently, by slug.

    python -m jobs.import_questions [--file data/questions.json] [--dry-run] [--batch-size 20]

A question's judging data, when the file's folder has ``judging/<slug>.json`` (its signature, one
test per example, its hidden tests), comes with it. Every entry is validated first; one invalid
entry stops the import before anything is written. Each batch is one transaction; a line is
logged per batch and a summary at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from common.clients import firestore_client
from common.config import get_settings
from common.judging.signature import JudgeTest
from common.logs import configure_logging, get_logger
from common.questions import BankEntry, plan_upsert, slugify, upsert_questions
from common.questions.models import QuestionCreate, QuestionTest, check_tests

__all__ = ["main"]

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "questions.json"
_log = get_logger("jobs.import_questions")
_OUTCOMES = ("created", "updated", "unchanged")


def _with_judging(entry: Any, folder: Path) -> tuple[Any, list[QuestionTest]]:
    """Return the entry with its signature and example tests, and its hidden tests."""
    if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
        return entry, []
    path = folder / f"{slugify(entry['title'])}.json"
    if not path.is_file():
        return entry, []
    judging = json.loads(path.read_text(encoding="utf-8"))
    visible = [QuestionTest.of(JudgeTest.model_validate(test)) for test in judging["examples"]]
    examples = entry.get("examples") or []
    if len(visible) != len(examples):
        raise ValueError(f"{path.name}: {len(visible)} example tests for {len(examples)} examples")
    entry = {
        **entry,
        "signature": judging["signature"],
        "examples": [
            {**example, "test": test.model_dump(by_alias=True)}
            for example, test in zip(examples, visible, strict=True)
        ],
    }
    return entry, [QuestionTest.of(JudgeTest.model_validate(test)) for test in judging["hidden"]]


def load(path: Path) -> list[BankEntry]:
    """Read and validate every question of the file; raise ValueError listing the bad ones."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON array of questions")
    questions: list[BankEntry] = []
    problems = []
    for index, raw in enumerate(entries):
        title = raw.get("title") if isinstance(raw, dict) else None
        try:
            entry, hidden = _with_judging(raw, path.parent / "judging")
            question = QuestionCreate.model_validate(entry)
            check_tests(question.signature, hidden, "hidden")
            questions.append(BankEntry(question=question, hidden=hidden))
        except ValidationError as exc:
            problems.append(
                f"#{index} {title!r}: {exc.error_count()} error(s): {exc.errors()[0]['msg']}"
            )
        except ValueError as exc:
            problems.append(f"#{index} {title!r}: {exc}")
    seen: dict[str, int] = {}
    for index, entry in enumerate(questions):
        slug = slugify(entry.question.title)
        if slug in seen:
            problems.append(f"#{index} {entry.question.title!r}: same slug as #{seen[slug]}")
        seen[slug] = index
    if problems:
        raise ValueError("invalid questions:\n" + "\n".join(problems))
    return questions


def _fields(outcomes: Counter[str]) -> dict[str, int]:
    # Log fields of their own: "created" would clash with LogRecord.created.
    return {f"questions{outcome.title()}": outcomes[outcome] for outcome in _OUTCOMES}


def run(*, path: Path, dry_run: bool, batch_size: int) -> Counter[str]:
    """Import the file and return how many questions were created, updated, unchanged."""
    questions = load(path)
    totals: Counter[str] = Counter()
    batches = [questions[i : i + batch_size] for i in range(0, len(questions), batch_size)]
    for number, batch in enumerate(batches, start=1):
        if dry_run:
            outcomes = Counter(
                "unchanged" if plan[2] else ("updated" if plan[1] is not None else "created")
                for plan in (plan_upsert(None, entry=entry) for entry in batch)
            )
        else:
            from google.cloud import firestore

            @firestore.transactional
            def _apply(transaction: firestore.Transaction, items: list[BankEntry]) -> Counter[str]:
                return Counter(r.outcome for r in upsert_questions(transaction, items=items))

            outcomes = _apply(firestore_client().transaction(), batch)
        totals.update(outcomes)
        _log.info(
            "batch %d/%d%s: %d created, %d updated, %d unchanged",
            number,
            len(batches),
            " (dry run)" if dry_run else "",
            outcomes["created"],
            outcomes["updated"],
            outcomes["unchanged"],
            extra={"event": "import_batch", "batch": number, **_fields(outcomes)},
        )
    _log.info(
        "imported %d questions from %s%s: %d created, %d updated, %d unchanged",
        len(questions),
        path.name,
        " (dry run: nothing written)" if dry_run else "",
        totals["created"],
        totals["updated"],
        totals["unchanged"],
        extra={"event": "import_summary", "dryRun": dry_run, **_fields(totals)},
    )
    return totals


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the import; exit 2 when the file is invalid."""
    parser = argparse.ArgumentParser(description="Upsert the question bank by slug.")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    parser.add_argument(
        "--batch-size", type=int, default=20, choices=range(1, 101), metavar="1..100"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(project_id=settings.project_id, level=settings.log_level)
    try:
        run(path=args.file, dry_run=args.dry_run, batch_size=args.batch_size)
    except (ValueError, OSError) as exc:
        _log.error("import failed: %s", exc, extra={"event": "import_failed"})
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
