"""Value conversions every repository shares: dates, money, ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from bson import Decimal128, ObjectId
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError

from domain.errors import NotFound, VersionConflict
from domain.money import Money
from repositories.ids import to_object_id

T = TypeVar("T")

DUPLICATE_KEY = 11000


def day(value: date | None) -> datetime | None:
    # BSON has no date type: a calendar day is stored as midnight UTC of that day.
    return None if value is None else datetime.combine(value, time(), tzinfo=UTC)


def day_of(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def money_document(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": Decimal128(value.amount), "currency": value.currency}


def money(doc: Mapping[str, Any] | None) -> Money | None:
    return None if doc is None else Money(amount=doc["amount"].to_decimal(), currency=doc["currency"])


def object_ids(ids: Iterable[str]) -> list[ObjectId]:
    """The valid ObjectIds among `ids` (an invalid one names nothing, so it matches nothing)."""
    return [oid for oid in map(to_object_id, ids) if oid is not None]


def without_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


async def insert_missing(collection: Any, docs: list[dict[str, Any]]) -> int:
    """Insert the documents whose _id is not there yet (idempotent seeding); returns how many."""
    if not docs:
        return 0
    existing = await ids_present(collection, [d["_id"] for d in docs])
    fresh = [d for d in docs if d["_id"] not in existing]
    if fresh:
        await collection.insert_many(fresh, ordered=False)
    return len(fresh)


#: The embedded server answers an `$in` in time quadratic in its length (3,000 ids: minutes
#: on a busy machine); past this many ids, seeding looks them up by range instead.
IN_MAX = 100


def _among(ids: list[Any]) -> dict[str, Any]:
    """A query for documents with these ids: `$in` for a few; for many ObjectIds (seeded ids
    are packed: created together or numbered), the range they span, which may also match
    documents not asked about."""
    if len(ids) > IN_MAX and all(isinstance(i, ObjectId) for i in ids):
        return {"_id": {"$gte": min(ids), "$lte": max(ids)}}
    return {"_id": {"$in": ids}}


async def ids_present(collection: Any, ids: list[Any]) -> set[Any]:
    """Which of these ids the collection holds."""
    if not ids:
        return set()
    wanted = set(ids)
    found = await find_all(collection, _among(ids), projection={"_id": 1})
    return {d["_id"] for d in found if d["_id"] in wanted}


#: Documents per insert when seeding: each insert is one operation under the deadline
#: (RAPPORT_MONGODB_TIMEOUT_MS), which a busy embedded server needs seconds for at 1,000.
INSERT_CHUNK = 250


async def insert_new(collection: Any, docs: list[dict[str, Any]]) -> int:
    """Insert the documents whose _id is not there yet, in unordered inserts whose
    duplicate-key errors are the documents already there (idempotent bulk seeding);
    returns how many were added. Unlike insert_missing it sends no `$in` of every id,
    which the embedded server answers in time quadratic in the ids (600 ids: ~2 s)."""
    added = 0
    for start in range(0, len(docs), INSERT_CHUNK):
        try:
            result = await collection.insert_many(docs[start : start + INSERT_CHUNK], ordered=False)
        except BulkWriteError as error:
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise
            added += int(error.details.get("nInserted", 0))
        else:
            added += len(result.inserted_ids)
    return added


#: Loader queries return everything asked for in one reply (up to MongoDB's 16 MB
#: batch limit): the default first batch of 101 documents would add getMore round trips
#: as the number of parents grows.
ONE_BATCH = 10_000


async def find_all(
    collection: Any,
    query: dict[str, Any],
    sort: list[tuple[str, int]] | None = None,
    projection: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    cursor = collection.find(query, projection).batch_size(ONE_BATCH)
    if sort:
        cursor = cursor.sort(sort)
    docs: list[dict[str, Any]] = await cursor.to_list()
    return docs


async def by_ids(
    collection: Any,
    ids: Sequence[str],
    to_item: Callable[[Mapping[str, Any]], T],
    scope: dict[str, Any] | None = None,
) -> list[T | None]:
    """The items for `ids`, in their order (None where missing or outside `scope`, a
    filter from repositories.access): one query for all."""
    query: dict[str, Any] = {"_id": {"$in": object_ids(ids)}}
    if scope is not None:
        query = {"$and": [query, scope]}
    found = {str(d["_id"]): to_item(d) for d in await find_all(collection, query)}
    return [found.get(i) for i in ids]


async def aggregate_all(collection: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = await (await collection.aggregate(pipeline, batchSize=ONE_BATCH)).to_list()
    return docs


async def update_at_version(
    collection: Any,
    object_id: ObjectId | None,
    expected_version: int,
    now: datetime,
    *,
    set_fields: dict[str, Any],
    unset_fields: Iterable[str] = (),
    push: dict[str, Any] | None = None,
    guard: dict[str, Any] | None = None,
    noun: str,
    id_field: str,
    session: Any = None,
) -> dict[str, Any]:
    """A versioned write: applies only if the document is still at `expected_version` (and
    matches `guard`), bumping the version and `updatedAt`; otherwise says why: gone, or
    changed since. Returns the document as written."""
    update: dict[str, Any] = {"$set": {**set_fields, "updatedAt": now}, "$inc": {"version": 1}}
    if unset := {name: "" for name in unset_fields}:
        update["$unset"] = unset
    if push:
        update["$push"] = push
    doc: dict[str, Any] | None = await collection.find_one_and_update(
        {"_id": object_id, "version": expected_version, **(guard or {})},
        update,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if doc is not None:
        return doc
    current = await collection.find_one({"_id": object_id}, {"version": 1}, session=session)
    if current is None:
        raise NotFound(f"no {noun} with this id", id_field)
    raise VersionConflict.stale(noun, current["version"], expected_version)
