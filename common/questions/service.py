"""Domain logic for the question bank: CRUD, filtered paging, topic counts, random pick.

Firestore layout: ``questions/{id}`` holds a question with its ``slug`` and a random ``rand`` in
[0, 1) for picking; ``questionSlugs/{slug}`` reserves a slug for one question id; the document
``meta/topicCounts`` counts questions per topic and difficulty, kept with increments in the same
transaction as every write, so GET /topics reads one document; ``questionTests/{id}`` holds a
question's hidden tests, which only admins read and write (through the API).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.catalogue import DIFFICULTIES, TOPICS, Difficulty
from common.clients import checked_id, firestore_client
from common.errors import ApiError, ErrorCode
from common.firestore import Snapshot, now, transactional
from common.judging.signature import Signature
from common.logs import get_logger
from common.models import Page
from common.paging import decode_cursor, encode_cursor
from common.questions.models import (
    Question,
    QuestionCreate,
    QuestionsQuery,
    QuestionSummary,
    QuestionTest,
    QuestionTests,
    QuestionUpdate,
    TopicCount,
    TopicList,
    check_tests,
)

if TYPE_CHECKING:
    from google.cloud.firestore import DocumentReference, Query, Transaction, WriteBatch


__all__ = [
    "BankEntry",
    "Judging",
    "QuestionSampler",
    "UpsertResult",
    "create_question",
    "delete_question",
    "get_question",
    "get_question_tests",
    "has_questions",
    "judging_of",
    "list_questions",
    "list_topics",
    "pick_question",
    "plan_upsert",
    "set_question_tests",
    "slugify",
    "update_question",
    "upsert_questions",
]

_log = get_logger(__name__)
# Most documents one list request reads when a text filter rejects many of them.
_SCAN_LIMIT = 1000
_PICK_SAMPLE = 20
# Questions a sweep's sampler reads per topic set.
_SAMPLE = 60


def slugify(title: str) -> str:
    """Derive a URL slug from a title: lower-case ASCII words joined by hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


def _questions() -> Any:
    return firestore_client().collection("questions")


def _tests_ref(question_id: str) -> DocumentReference:
    return firestore_client().collection("questionTests").document(question_id)


def _slug_ref(slug: str) -> DocumentReference:
    return firestore_client().collection("questionSlugs").document(slug)


def _counts_ref() -> DocumentReference:
    return firestore_client().collection("meta").document("topicCounts")


def _question(snapshot: Snapshot) -> Question:
    data = snapshot.to_dict() or {}
    data.pop("rand", None)
    return Question.model_validate({**data, "id": snapshot.id})


CountDelta = dict[tuple[str, str], int]


def _count_delta(
    before: tuple[str, Iterable[str]] | None, after: tuple[str, Iterable[str]] | None
) -> CountDelta:
    delta: CountDelta = {}
    for sign, side in ((-1, before), (1, after)):
        if side is not None:
            difficulty, topics = side
            for topic in topics:
                delta[(topic, difficulty)] = delta.get((topic, difficulty), 0) + sign
    return delta


def _apply_counts(transaction: Transaction | WriteBatch, *deltas: CountDelta) -> None:
    """Add the deltas to ``meta/topicCounts`` in one write (a commit writes a document once)."""
    from google.cloud import firestore

    merged: dict[str, dict[str, Any]] = {}
    for delta in deltas:
        for (topic, difficulty), change in delta.items():
            per = merged.setdefault(topic, {})
            per[difficulty] = per.get(difficulty, 0) + change
    update = {
        topic: {difficulty: firestore.Increment(n) for difficulty, n in per.items() if n}
        for topic, per in merged.items()
    }
    update = {topic: per for topic, per in update.items() if per}
    if update:
        transaction.set(_counts_ref(), update, merge=True)


def _slug_taken(title: str) -> ApiError:
    return ApiError(
        ErrorCode.ALREADY_EXISTS,
        f"A question titled like {title!r} exists",
        details=[{"field": "title", "message": "slug taken", "type": "slug_taken"}],
    )


def _write(
    transaction: Transaction,
    *,
    existing: Snapshot | None,
    fields: dict[str, Any],
    now: dt.datetime,
    slug_checked: bool = False,
) -> tuple[DocumentReference, CountDelta]:
    """Write a question (new when ``existing`` is None) and its slug; return the count delta."""
    slug = slugify(str(fields["title"]))
    if not slug:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "title: needs at least one letter or digit")
    reference = existing.reference if existing is not None else _questions().document()
    old = existing.to_dict() or {} if existing is not None else None
    if old is None or old.get("slug") != slug:
        slug_snapshot = None if slug_checked else _slug_ref(slug).get(transaction=transaction)
        if (
            slug_snapshot is not None
            and slug_snapshot.exists
            and slug_snapshot.get("id") != reference.id
        ):
            raise ApiError(
                ErrorCode.ALREADY_EXISTS,
                f"A question titled like {fields['title']!r} exists",
                details=[{"field": "title", "message": "slug taken", "type": "slug_taken"}],
            )
        if old is not None:
            transaction.delete(_slug_ref(str(old["slug"])))
        transaction.set(_slug_ref(slug), {"id": reference.id})
    document = {**(old or {}), **fields, "slug": slug, "updatedAt": now}
    if old is None:
        document["createdAt"] = now
        document["rand"] = random.random()  # noqa: S311 - a sampling key, not a secret
    transaction.set(reference, document)
    before = (old["difficulty"], old["topics"]) if old is not None else None
    return reference, _count_delta(before, (document["difficulty"], document["topics"]))


def create_question(*, data: QuestionCreate) -> Question:
    """Add a question to the bank (409 if its slug is taken).

    One batch: the slug reservation and the question are ``create`` writes, so a taken slug
    fails its precondition and nothing is written; racing creates take no locks and exactly one
    wins.
    """
    from google.api_core import exceptions as google_exceptions

    client = firestore_client()
    at = now()
    reference = _questions().document()
    slug = slugify(data.title)
    document = {
        **data.model_dump(by_alias=True),
        "slug": slug,
        "createdAt": at,
        "updatedAt": at,
        "rand": random.random(),  # noqa: S311 - a sampling key, not a secret
    }
    batch = client.batch()
    batch.create(_slug_ref(slug), {"id": reference.id})
    batch.create(reference, document)
    _apply_counts(batch, _count_delta(None, (data.difficulty, data.topics)))
    try:
        batch.commit()
    except google_exceptions.AlreadyExists:
        raise _slug_taken(data.title) from None
    _log.info("question created", extra={"event": "question_created", "questionId": reference.id})
    return _question(reference.get())


def get_question(*, question_id: str) -> Question:
    """Return one question (404 if there is none)."""
    snapshot = _questions().document(checked_id(question_id, what="question")).get()
    if not snapshot.exists:
        raise ApiError(ErrorCode.NOT_FOUND, "No question has this id")
    return _question(snapshot)


def update_question(*, question_id: str, changes: QuestionUpdate) -> Question:
    """Change some fields of a question; a new title moves its slug."""

    reference = _questions().document(checked_id(question_id, what="question"))

    @transactional("questions.update")
    def _update(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            raise ApiError(ErrorCode.NOT_FOUND, "No question has this id")
        current = snapshot.to_dict() or {}
        fields = {**current, **changes.model_dump(by_alias=True, exclude_unset=True)}
        _valid_together(
            fields, _stored_tests(_tests_ref(reference.id).get(transaction=transaction))
        )
        _, delta = _write(transaction, existing=snapshot, fields=fields, now=now())
        _apply_counts(transaction, delta)

    _update(firestore_client().transaction())
    return _question(reference.get())


def delete_question(*, question_id: str) -> None:
    """Remove a question from the bank; sessions keep their own snapshot of it."""

    reference = _questions().document(checked_id(question_id, what="question"))

    @transactional("questions.delete")
    def _delete(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            raise ApiError(ErrorCode.NOT_FOUND, "No question has this id")
        data = snapshot.to_dict() or {}
        transaction.delete(reference)
        transaction.delete(_tests_ref(reference.id))
        transaction.delete(_slug_ref(str(data["slug"])))
        _apply_counts(transaction, _count_delta((data["difficulty"], data["topics"]), None))

    _delete(firestore_client().transaction())
    _log.info("question deleted", extra={"event": "question_deleted", "questionId": question_id})


def _stored_tests(snapshot: Snapshot) -> list[QuestionTest]:
    stored = (snapshot.to_dict() or {}).get("tests") or []
    return [QuestionTest.model_validate(test) for test in stored]


def _valid_together(fields: dict[str, Any], hidden: list[QuestionTest]) -> None:
    """Answer 422 unless the changed question, and its hidden tests, fit its signature."""
    from common.http import validate_model

    question = validate_model(
        QuestionCreate,
        {key: fields[key] for key in fields if key in _CREATE_KEYS},
        code=ErrorCode.VALIDATION_ERROR,
    )
    try:
        check_tests(question.signature, hidden, "hidden tests")
    except ValueError as error:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, f"{error}; replace the hidden tests first"
        ) from None


_CREATE_KEYS = frozenset(field.alias or name for name, field in QuestionCreate.model_fields.items())


def get_question_tests(*, question_id: str) -> QuestionTests:
    """Return a question's hidden tests (404 without the question)."""
    question = get_question(question_id=question_id)
    return QuestionTests(tests=_stored_tests(_tests_ref(question.id).get()))


def set_question_tests(*, question_id: str, data: QuestionTests) -> QuestionTests:
    """Replace a question's hidden tests (422 unless they fit its signature)."""

    reference = _questions().document(checked_id(question_id, what="question"))

    @transactional("questions.tests.set")
    def _set(transaction: Transaction) -> None:
        snapshot = reference.get(transaction=transaction)
        if not snapshot.exists:
            raise ApiError(ErrorCode.NOT_FOUND, "No question has this id")
        question = _question(snapshot)
        try:
            check_tests(question.signature, data.tests, "tests")
        except ValueError as error:
            raise ApiError(ErrorCode.VALIDATION_ERROR, str(error)) from None
        transaction.set(
            _tests_ref(reference.id),
            {**data.model_dump(by_alias=True), "updatedAt": now()},
        )

    _set(firestore_client().transaction())
    _log.info(
        "question tests set",
        extra={"event": "question_tests_set", "questionId": question_id, "tests": len(data.tests)},
    )
    return data


@dataclass(frozen=True)
class Judging:
    """What judging a question's code needs: its signature, visible and hidden tests."""

    question: Question
    signature: Signature
    visible: list[QuestionTest]
    hidden: list[QuestionTest]


def judging_of(question_id: str) -> Judging | None:
    """Return what judging the question needs, or None if it cannot be judged (or is gone)."""
    snapshot = _questions().document(question_id).get()
    if not snapshot.exists:
        return None
    question = _question(snapshot)
    if question.signature is None:
        return None
    visible = [example.test for example in question.examples if example.test is not None]
    hidden = _stored_tests(_tests_ref(question_id).get())
    if not visible and not hidden:
        return None
    return Judging(question=question, signature=question.signature, visible=visible, hidden=hidden)


def _filtered_query(*, difficulty: Difficulty | None, topics: list[str], order: str) -> Query:
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = _questions()
    if difficulty is not None:
        query = query.where(filter=FieldFilter("difficulty", "==", difficulty))
    if topics:
        query = query.where(filter=FieldFilter("topics", "array_contains_any", topics))
    return query.order_by(order)  # type: ignore[no-any-return]


def _title_matches(title: str, words: list[str]) -> bool:
    folded = title.casefold()
    return all(word in folded for word in words)


def list_questions(*, query: QuestionsQuery) -> Page[QuestionSummary]:
    """Return one page of the questions that pass every filter, ordered by slug.

    Difficulty and topics are filtered by Firestore; the title words are checked here, reading
    at most a bounded number of documents per page (a page may then hold fewer items, with a
    cursor to go on).
    """
    base = _filtered_query(difficulty=query.difficulty, topics=query.topic, order="slug").select(
        ["title", "slug", "difficulty", "topics"]
    )
    words = query.text.casefold().split() if query.text else []
    after = decode_cursor(query.cursor, keys={"slug"})["slug"] if query.cursor else None
    items: list[QuestionSummary] = []
    scanned = 0
    batch_size = min(max(query.limit * 2, 20), 200)
    while True:
        page_query = base.start_after({"slug": after}) if after is not None else base
        snapshots = list(page_query.limit(batch_size).stream())
        for snapshot in snapshots:
            scanned += 1
            data = snapshot.to_dict() or {}
            if words and not _title_matches(str(data.get("title", "")), words):
                after = str(data["slug"])
                continue
            if len(items) == query.limit:
                # One more match exists: the page is full and there is a next one.
                return Page[QuestionSummary](
                    items=items, next_cursor=encode_cursor({"slug": items[-1].slug})
                )
            items.append(QuestionSummary.model_validate({**data, "id": snapshot.id}))
            after = str(data["slug"])
        if len(snapshots) < batch_size:
            return Page[QuestionSummary](items=items, next_cursor=None)
        if scanned >= _SCAN_LIMIT:
            return Page[QuestionSummary](items=items, next_cursor=encode_cursor({"slug": after}))


def list_topics() -> TopicList:
    """Return every catalogue topic with its question count per difficulty."""
    counts = _counts_ref().get().to_dict() or {}
    items = []
    for slug, name in TOPICS.items():
        per = {
            difficulty: int(counts.get(slug, {}).get(difficulty, 0)) for difficulty in DIFFICULTIES
        }
        items.append(TopicCount(slug=slug, name=name, counts=per, total=sum(per.values())))
    return TopicList(items=items)


def pick_question(
    *, difficulty: Difficulty, topics: list[str], avoid_ids: set[str] | None = None
) -> Question | None:
    """Pick a random question of ``difficulty`` carrying any of ``topics`` (any topic if empty),
    preferring one whose id is not in ``avoid_ids``; None if the bank has no such question.

    Reads from a random point of the ``rand`` order, wrapping around, a batch at a time, until a
    batch holds a question not to avoid (or every candidate was read).
    """
    from google.cloud.firestore_v1.base_query import FieldFilter

    avoid = avoid_ids or set()
    base = _filtered_query(difficulty=difficulty, topics=topics, order="rand")
    start = random.random()  # noqa: S311 - a sampling key, not a secret
    first: list[Any] = []
    for lower, upper in ((start, None), (None, start)):
        query = base
        if lower is not None:
            query = query.where(filter=FieldFilter("rand", ">=", lower))
        if upper is not None:
            query = query.where(filter=FieldFilter("rand", "<", upper))
        after = None
        while True:
            page = query.start_after({"rand": after}) if after is not None else query
            batch = list(page.limit(_PICK_SAMPLE).stream())
            first = first or batch
            fresh = [snapshot for snapshot in batch if snapshot.id not in avoid]
            if fresh:
                return _question(random.choice(fresh))  # noqa: S311
            if len(batch) < _PICK_SAMPLE:
                break
            after = batch[-1].get("rand")
    # Every candidate is to be avoided: any of them is still better than no match.
    return _question(random.choice(first)) if first else None  # noqa: S311


class QuestionSampler:
    """Random picks for many pairs of one difficulty, reading each topic set's sample once.

    A sweep pairs up to hundreds of couples: one query per topic set, not one per couple.
    """

    def __init__(self, difficulty: Difficulty) -> None:
        self.difficulty = difficulty
        self._samples: dict[tuple[str, ...], list[Question]] = {}

    def _sample(self, topics: list[str]) -> list[Question]:
        from google.cloud.firestore_v1.base_query import FieldFilter

        key = tuple(sorted(topics))
        if key not in self._samples:
            base = _filtered_query(difficulty=self.difficulty, topics=list(key), order="rand")
            start = random.random()  # noqa: S311 - a sampling key, not a secret
            above = list(
                base.where(filter=FieldFilter("rand", ">=", start)).limit(_SAMPLE).stream()
            )
            below: list[Any] = []
            if len(above) < _SAMPLE:
                wrapped = base.where(filter=FieldFilter("rand", "<", start))
                below = list(wrapped.limit(_SAMPLE - len(above)).stream())
            self._samples[key] = [_question(snapshot) for snapshot in above + below]
        return self._samples[key]

    def pick(self, *, topics: list[str], avoid_ids: set[str]) -> Question | None:
        """Pick as ``pick_question`` does, from this sampler's sample of the topic set."""
        sample = self._sample(topics)
        fresh = [question for question in sample if question.id not in avoid_ids]
        if fresh:
            return random.choice(fresh)  # noqa: S311
        if len(sample) == _SAMPLE:
            # The sample is all to avoid, the bank may not be: look further, as one pick does.
            return pick_question(difficulty=self.difficulty, topics=topics, avoid_ids=avoid_ids)
        return random.choice(sample) if sample else None  # noqa: S311


def has_questions(*, difficulty: Difficulty, topics: list[str]) -> bool:
    """Tell whether any question of ``difficulty`` carries one of ``topics`` (any if empty)."""
    query = _filtered_query(difficulty=difficulty, topics=topics, order="rand")
    return any(True for _ in query.limit(1).stream())


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did (``created``, ``updated`` or ``unchanged``) and its count delta."""

    slug: str
    outcome: str
    question_id: str
    delta: CountDelta


@dataclass(frozen=True)
class BankEntry:
    """A question of the bank file, with its hidden tests."""

    question: QuestionCreate
    hidden: list[QuestionTest]


def upsert_questions(transaction: Transaction, *, items: list[BankEntry]) -> list[UpsertResult]:
    """Upsert several questions by slug in one transaction (all reads first, then writes)."""
    plans = [plan_upsert(transaction, entry=entry) for entry in items]
    results = []
    for entry, existing, unchanged in plans:
        if unchanged is not None:
            results.append(unchanged)
            continue
        reference, delta = _write(
            transaction,
            existing=existing,
            fields=entry.question.model_dump(by_alias=True),
            now=now(),
            slug_checked=True,
        )
        transaction.set(
            _tests_ref(reference.id),
            {**QuestionTests(tests=entry.hidden).model_dump(by_alias=True), "updatedAt": now()},
        )
        outcome = "updated" if existing is not None else "created"
        results.append(UpsertResult(slugify(entry.question.title), outcome, reference.id, delta))
    _apply_counts(transaction, *(result.delta for result in results))
    return results


def plan_upsert(
    transaction: Transaction | None, *, entry: BankEntry
) -> tuple[BankEntry, Snapshot | None, UpsertResult | None]:
    """Read what an upsert needs: the question holding the slug, and whether it differs."""
    slug = slugify(entry.question.title)
    fields = entry.question.model_dump(by_alias=True)
    slug_snapshot = _slug_ref(slug).get(transaction=transaction)
    existing = None
    if slug_snapshot.exists:
        existing = _questions().document(str(slug_snapshot.get("id"))).get(transaction=transaction)
        if not existing.exists:
            existing = None
    if existing is not None:
        current = existing.to_dict() or {}
        hidden = _stored_tests(_tests_ref(existing.id).get(transaction=transaction))
        if hidden == entry.hidden and all(
            current.get(key) == value for key, value in fields.items()
        ):
            return entry, existing, UpsertResult(slug, "unchanged", existing.id, {})
    return entry, existing, None
