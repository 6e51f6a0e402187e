"""The Firestore kit every domain uses: the clock, transactions, typed stored documents.

A stored document is a pydantic model (camelCase fields, as in Firestore). ``Collection`` ties a
collection name to its model, so that a domain module reads typed documents, never dicts::

    REQUESTS = Collection("matchRequests", MatchRequestDoc)
    request = REQUESTS.read(REQUESTS.ref(uid).get())   # MatchRequestDoc | None

A transaction is a function decorated with ``transactional``, named by what it does, and called
with ``transaction()``; each call is one span of that name, over all of its attempts::

    @transactional("matching.request.cancel")
    def _cancel(transaction: Transaction) -> MatchRequestDoc: ...

    _cancel(transaction())
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from pydantic import BaseModel

from common.clients import firestore_client
from common.tracing import span

if TYPE_CHECKING:
    from google.cloud.firestore import (
        CollectionReference,
        DocumentReference,
        DocumentSnapshot,
        Transaction,
    )

    Snapshot = DocumentSnapshot[DocumentReference]
else:
    Snapshot = Any  # a document snapshot, for annotations (the real type is generic only there)

__all__ = [
    "TRANSACTION_ATTEMPTS",
    "Collection",
    "Snapshot",
    "now",
    "pages",
    "transaction",
    "transactional",
    "write_if_unchanged",
]

# Attempts of one transaction under contention before google-cloud-firestore gives up.
TRANSACTION_ATTEMPTS = 10

M = TypeVar("M", bound=BaseModel)
P = ParamSpec("P")
R = TypeVar("R")


def now() -> dt.datetime:
    """Return the current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


def transaction(*, attempts: int = TRANSACTION_ATTEMPTS) -> Transaction:
    """Return a new transaction of this instance's client (retried up to ``attempts``)."""
    return firestore_client().transaction(max_attempts=attempts)


def transactional(
    name: str,
) -> Callable[[Callable[Concatenate[Transaction, P], R]], Callable[Concatenate[Transaction, P], R]]:
    """Make a function a Firestore transaction (run again on contention) traced as ``name``.

    The span covers every attempt and records how many there were (``peerprep.attempts``).
    """

    def decorate(
        function: Callable[Concatenate[Transaction, P], R],
    ) -> Callable[Concatenate[Transaction, P], R]:
        from google.cloud import firestore

        @functools.wraps(function)
        def run(transaction: Transaction, /, *args: P.args, **kwargs: P.kwargs) -> R:
            attempts = 0

            def attempt(inner: Transaction, /, *args: P.args, **kwargs: P.kwargs) -> R:
                nonlocal attempts
                attempts += 1
                return function(inner, *args, **kwargs)

            with span(name, attributes={"db.system": "firestore"}) as current:
                try:
                    result: R = firestore.transactional(attempt)(transaction, *args, **kwargs)
                finally:
                    current.set_attribute("peerprep.attempts", attempts)
            return result

        return run

    return decorate


def write_if_unchanged(reference: DocumentReference, read: Snapshot, data: dict[str, Any]) -> bool:
    """Write ``data`` into the document if nobody changed it since ``read``; say if it held.

    Optimistic concurrency without a transaction: ``create`` if it was missing, else an update
    preconditioned on the read's update time. A caller that loses reads again and decides again;
    nobody waits on a lock (contended transactions on one document wait for each other, seconds
    on the emulator).
    """
    from google.api_core import exceptions

    try:
        if read.exists:
            option = firestore_client().write_option(last_update_time=read.update_time)
            reference.update(data, option=option)
        else:
            reference.create(data)
    except (exceptions.Conflict, exceptions.FailedPrecondition, exceptions.Aborted):
        return False
    return True


def pages(query: Any, *, order_by: str, page_size: int) -> Iterator[Snapshot]:
    """Yield every document of ``query`` ordered by ``order_by``, a page at a time.

    The cursor is the last document's values, so documents that leave the query meanwhile (a
    session ended, a request timed out) never make the next page skip one.
    """
    ordered = query.order_by(order_by).order_by("__name__")
    last = None
    while True:
        page = ordered.start_after(last) if last is not None else ordered
        documents = list(page.limit(page_size).stream())
        yield from documents
        if len(documents) < page_size:
            return
        last = documents[-1]


@dataclass(frozen=True)
class Collection(Generic[M]):
    """A top-level collection and the model of its documents."""

    name: str
    model: type[M]

    def collection(self) -> CollectionReference:
        """Return the collection reference."""
        return firestore_client().collection(self.name)

    def ref(self, document_id: str) -> DocumentReference:
        """Return the reference of one document."""
        return self.collection().document(document_id)

    def read(self, snapshot: Snapshot) -> M | None:
        """Return the snapshot's document as the model, or None if it does not exist."""
        if not snapshot.exists:
            return None
        return self.parse(snapshot.to_dict() or {})

    def parse(self, data: dict[str, Any]) -> M:
        """Return stored data as the model."""
        return self.model.model_validate(data)

    @staticmethod
    def dump(document: BaseModel) -> dict[str, Any]:
        """Return a model as the data to store (camelCase, Python types Firestore keeps)."""
        return document.model_dump(by_alias=True)
