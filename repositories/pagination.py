"""Keyset pagination: one helper for every connection, forward (`first`/`after`) and
backward (`last`/`before`): `Paging` says which page, `find_page` and `find_child_pages`
read it.

A cursor is the sort key and the _id of a row, so pages stay stable while documents are
inserted before or after them (no skip/offset). Clients get it sealed (CursorSeal:
HMAC-SHA256 under the service's cursor key), so a cursor the service did not issue is
refused (VALIDATION on `after` or `before`), and a sealed one still decodes only to typed
scalars: nothing from a cursor reaches a query but a value and an ObjectId.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from domain.errors import BadArgument, BadCursor, ConflictingArguments
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


def decode_cursor(cursor: str, field: str = "after") -> tuple[Any, ObjectId]:
    """The typed position in a cursor (its signature is checked at the API's edge,
    schema.pagination): a sort-key scalar or time, and an ObjectId."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, oid = orjson.loads(raw)
        if not isinstance(oid, str):
            raise ValueError("a cursor's id is a string")
        return _decode_value(value), ObjectId(oid)
    except Exception as exc:  # any malformed cursor is the client's mistake
        raise BadCursor(field) from exc


def _beyond(cursor: str, key: SortKey, *, before: bool, field: str) -> dict[str, Any]:
    """The rows past a cursor's position in the key's order (or before it)."""
    value, oid = decode_cursor(cursor, field)
    op = "$lt" if key.descending != before else "$gt"
    return {"$or": [{key.field: {op: value}}, {key.field: value, "_id": {op: oid}}]}


def after_filter(cursor: str, key: SortKey) -> dict[str, Any]:
    return _beyond(cursor, key, before=False, field="after")


def before_filter(cursor: str, key: SortKey) -> dict[str, Any]:
    return _beyond(cursor, key, before=True, field="before")


def _check_size(name: str, size: int | None) -> None:
    if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
        raise BadArgument(f"{name} must be between 0 and {MAX_PAGE_SIZE}", name)


@dataclass(frozen=True)
class Paging:
    """Which page of a connection a client asks for (Relay): `first` rows after a position,
    or `last` rows before one; `after` and `before` together bound the rows between them.
    Positions are opened cursors (CursorSeal.open). Checked when made: sizes from 0 to
    MAX_PAGE_SIZE, and not `first` with `last`. Without either, a page is DEFAULT_PAGE_SIZE
    rows, the last ones before `before` when it is given alone.

    A backward page is read in the reverse order (limit+1, so the one more row says whether
    there is a previous page) and handed back in the connection's normal order."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        _check_size("first", self.first)
        _check_size("last", self.last)
        if self.first is not None and self.last is not None:
            raise ConflictingArguments("pass first or last, not both", "last")

    @property
    def backward(self) -> bool:
        return self.last is not None or (
            self.first is None and self.before is not None and self.after is None
        )

    @property
    def size(self) -> int:
        size = self.last if self.backward else self.first
        return DEFAULT_PAGE_SIZE if size is None else size

    def order(self, key: SortKey) -> SortKey:
        """The order to read rows in: the key's, or its reverse for a backward page."""
        return SortKey(key.field, not key.descending) if self.backward else key

    def bounds(self, key: SortKey) -> list[dict[str, Any]]:
        """The filters that keep the rows between the cursors (none without cursors)."""
        return [
            *([after_filter(self.after, key)] if self.after else []),
            *([before_filter(self.before, key)] if self.before else []),
        ]

    def within(self, query: Mapping[str, Any], key: SortKey) -> dict[str, Any]:
        bounds = self.bounds(key)
        return {"$and": [query, *bounds]} if bounds else dict(query)

    def page(
        self,
        docs: Sequence[Mapping[str, Any]],
        key: SortKey,
        to_item: Callable[[Mapping[str, Any]], T],
        count_total: Callable[[], Awaitable[int]],
    ) -> Page[T]:
        """The page from at most size+1 rows read in `order(key)`, in the key's order."""
        kept = list(docs[: self.size])
        more = len(docs) > self.size
        if self.backward:
            kept.reverse()
        return Page(
            items=[(encode_cursor(d, key), to_item(d)) for d in kept],
            has_next_page=self.before is not None if self.backward else more,
            has_previous_page=more if self.backward else self.after is not None,
            count_total=count_total,
        )

    def empty(self) -> Page[Any]:
        """No rows (a parent the viewer may not read), with the flags an empty read gives."""
        return self.page([], SortKey("_id"), lambda d: d, _zero)


async def find_page(
    collection: Any,
    query: dict[str, Any],
    key: SortKey,
    paging: Paging,
    to_item: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """One `find` for the page (limit+1 tells whether there is a page beyond it)."""
    found = collection.find(paging.within(query, key)).sort(paging.order(key).spec).limit(paging.size + 1)
    return paging.page(await found.to_list(), key, to_item, lambda: collection.count_documents(query))


async def find_child_pages(
    collection: Any,
    parent_field: str,
    parent_ids: list[ObjectId],
    key: SortKey,
    paging: Paging,
    to_item: Callable[[Mapping[str, Any]], T],
    where: Mapping[str, Any] | None = None,
) -> dict[str, Page[T]]:
    """The same page of children for many parents in one aggregate: children are ranked
    within their parent and at most size+1 kept per parent (only those matching `where`,
    when given). Totals are not counted here (see count_children): a page's count_total
    is set by whoever asks for it."""
    match = paging.within({parent_field: {"$in": parent_ids}, **(where or {})}, key)
    order = dict(paging.order(key).spec)
    pipeline = [
        {"$match": match},
        {
            "$setWindowFields": {
                "partitionBy": f"${parent_field}",
                "sortBy": order,
                "output": {"_rank": {"$documentNumber": {}}},
            }
        },
        {"$match": {"_rank": {"$lte": paging.size + 1}}},
        {"$sort": {parent_field: 1, **order}},
    ]
    grouped: dict[str, list[Mapping[str, Any]]] = {str(p): [] for p in parent_ids}
    for doc in await aggregate_all(collection, pipeline):
        grouped[str(doc[parent_field])].append(doc)
    return {parent: paging.page(docs, key, to_item, _not_counted) for parent, docs in grouped.items()}


async def _zero() -> int:
    return 0


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
