"""Keyset pagination: one helper for every connection.

A cursor is the sort key and the _id of the last row seen, so pages stay stable while
documents are inserted before or after them (no skip/offset). Clients get it sealed
(CursorSeal: HMAC-SHA256 under the service's cursor key), so a cursor the service did not
issue is refused (VALIDATION on `after`), and a sealed one still decodes only to typed
scalars: nothing from a cursor reaches a query but a value and an ObjectId.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from domain.errors import BadArgument, BadCursor
from repositories.documents import aggregate_all

T = TypeVar("T")

#: Longer than any cursor the service issues (a sort key of at most 1,000 characters).
CURSOR_MAX = 2000
_MAC_BYTES = 16  # 128 bits of HMAC-SHA256: forging one is out of reach


@dataclass(frozen=True)
class CursorSeal:
    key: bytes

    def _mac(self, raw: str) -> str:
        digest = hmac.new(self.key, raw.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")

    def seal(self, raw: str) -> str:
        return f"{raw}.{self._mac(raw)}"

    def open(self, cursor: str | None, field: str = "after") -> str | None:
        """The position inside a cursor this service issued (None for no cursor)."""
        if cursor is None:
            return None
        raw, dot, mac = cursor.rpartition(".")
        given = mac.encode("utf-8", "surrogatepass")
        if len(cursor) > CURSOR_MAX or not dot or not hmac.compare_digest(given, self._mac(raw).encode()):
            raise BadCursor(field)
        return raw


DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False

    @property
    def spec(self) -> list[tuple[str, int]]:
        direction = DESCENDING if self.descending else ASCENDING
        return [(self.field, direction), ("_id", direction)]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item)
    has_next_page: bool
    has_previous_page: bool
    count_total: Callable[[], Awaitable[int]]  # called only when the client asks


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"d": int(value.timestamp() * 1000)}
    return value


#: A sort key's value in a cursor: only scalars reach a query (never an operator document).
_SCALARS = (str, int, float, bool, type(None))
_TEXT_MAX = 1000


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"d"} and type(value["d"]) is int:
        return datetime.fromtimestamp(value["d"] / 1000, tz=UTC)
    if isinstance(value, _SCALARS) and not (isinstance(value, str) and len(value) > _TEXT_MAX):
        return value
    raise ValueError("a cursor holds a scalar sort key")


def encode_cursor(doc: Mapping[str, Any], key: SortKey) -> str:
    raw = orjson.dumps([_encode_value(doc.get(key.field)), str(doc["_id"])])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, ObjectId]:
    """The typed position in a cursor (its signature is checked at the API's edge,
    schema.pagination): a sort-key scalar or time, and an ObjectId."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, oid = orjson.loads(raw)
        if not isinstance(oid, str):
            raise ValueError("a cursor's id is a string")
        return _decode_value(value), ObjectId(oid)
    except Exception as exc:  # any malformed cursor is the client's mistake
        raise BadCursor() from exc


def after_filter(cursor: str, key: SortKey) -> dict[str, Any]:
    value, oid = decode_cursor(cursor)
    beyond = "$lt" if key.descending else "$gt"
    return {"$or": [{key.field: {beyond: value}}, {key.field: value, "_id": {beyond: oid}}]}


def check_page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise BadArgument(f"first must be between 0 and {MAX_PAGE_SIZE}", "first")
    return size


async def find_page(
    collection: Any,
    query: dict[str, Any],
    key: SortKey,
    first: int | None,
    after: str | None,
    to_item: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """One `find` for the page (limit+1 tells whether there is a next one)."""
    size = check_page_size(first)
    paged = {"$and": [query, after_filter(after, key)]} if after else query
    docs = await collection.find(paged).sort(key.spec).limit(size + 1).to_list()
    return Page(
        items=[(encode_cursor(d, key), to_item(d)) for d in docs[:size]],
        has_next_page=len(docs) > size,
        has_previous_page=after is not None,
        count_total=lambda: collection.count_documents(query),
    )


async def find_child_pages(
    collection: Any,
    parent_field: str,
    parent_ids: list[ObjectId],
    key: SortKey,
    first: int | None,
    after: str | None,
    to_item: Callable[[Mapping[str, Any]], T],
    where: Mapping[str, Any] | None = None,
) -> dict[str, Page[T]]:
    """The same page of children for many parents in one aggregate: children are ranked
    within their parent and at most first+1 kept per parent (only those matching `where`,
    when given). Totals are not counted here (see count_children): a page's count_total
    is set by whoever asks for it."""
    size = check_page_size(first)
    match: dict[str, Any] = {parent_field: {"$in": parent_ids}, **(where or {})}
    if after:
        match = {"$and": [match, after_filter(after, key)]}
    direction = -1 if key.descending else 1
    order = {key.field: direction, "_id": direction}
    pipeline = [
        {"$match": match},
        {
            "$setWindowFields": {
                "partitionBy": f"${parent_field}",
                "sortBy": order,
                "output": {"_rank": {"$documentNumber": {}}},
            }
        },
        {"$match": {"_rank": {"$lte": size + 1}}},
        {"$sort": {parent_field: 1, **order}},
    ]
    grouped: dict[str, list[Mapping[str, Any]]] = {str(p): [] for p in parent_ids}
    for doc in await aggregate_all(collection, pipeline):
        grouped[str(doc[parent_field])].append(doc)
    return {
        parent: Page(
            items=[(encode_cursor(d, key), to_item(d)) for d in docs[:size]],
            has_next_page=len(docs) > size,
            has_previous_page=after is not None,
            count_total=_not_counted,
        )
        for parent, docs in grouped.items()
    }


async def _not_counted() -> int:
    raise RuntimeError("count_total of a child page must be supplied by its loader")


async def count_children(
    collection: Any, parent_field: str, parent_ids: list[ObjectId], where: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """How many children each parent has (matching `where`, when given), in one aggregate."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {parent_field: {"$in": parent_ids}, **(where or {})}},
        {"$group": {"_id": f"${parent_field}", "n": {"$sum": 1}}},
    ]
    counts = {str(p): 0 for p in parent_ids}
    for doc in await aggregate_all(collection, pipeline):
        counts[str(doc["_id"])] = doc["n"]
    return counts
