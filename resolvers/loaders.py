"""DataLoaders: one database round trip per relation level, created per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader

from repositories.pagination import Page, Paging

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(DataLoader[K, V], Generic[K, V]):
    """Loads every key asked for in one tick with one call of `fetch`, which returns
    the values in the order of the keys (None where there is none)."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        super().__init__()
        self._fetch = fetch

    async def batch_load_fn(self, keys: Sequence[K]) -> list[V]:
        return list(await self._fetch(list(keys)))


@dataclass(frozen=True)
class PageRequest:
    parent_id: str
    paging: Paging


class ChildPagesLoader(DataLoader[PageRequest, Page[Any]]):
    """A page of children for many parents: one query per distinct Paging asked for in the
    tick (one in practice), and one count query if any totalCount is selected."""

    def __init__(
        self,
        fetch_pages: Callable[[list[str], Paging], Awaitable[dict[str, Page[Any]]]],
        fetch_counts: Callable[[list[str]], Awaitable[dict[str, int]]],
        prime: Callable[[Any], object] | None = None,
    ) -> None:
        super().__init__()
        self._fetch_pages = fetch_pages
        self._prime = prime
        self._counts: BatchLoader[str, int] = BatchLoader(lambda ids: _aligned(fetch_counts, ids))

    async def batch_load_fn(self, requests: Sequence[PageRequest]) -> list[Page[Any]]:
        groups: dict[Paging, list[str]] = {}
        for request in requests:
            groups.setdefault(request.paging, []).append(request.parent_id)
        pages: dict[PageRequest, Page[Any]] = {}
        for paging, parents in groups.items():
            found = await self._fetch_pages(list(dict.fromkeys(parents)), paging)
            for parent in parents:
                page = replace(found[parent], count_total=partial(self._counts.load, parent))
                for _, item in page.items if self._prime else ():
                    self._prime(item)  # type: ignore[misc]
                pages[PageRequest(parent, paging)] = page
        return [pages[r] for r in requests]


async def _aligned(fetch: Callable[[list[str]], Awaitable[dict[str, int]]], ids: list[str]) -> list[int]:
    counts = await fetch(ids)
    return [counts[i] for i in ids]


@dataclass(frozen=True)
class JourneyRequest:
    customer_id: str
    first: Any  # datetime
    last: Any  # datetime
    limit: int


class JourneyLoader(DataLoader[JourneyRequest, tuple[list[Any], int]]):
    """Journeys for many customers: one query per distinct period asked for in the tick."""

    def __init__(
        self, fetch: Callable[[list[str], Any, Any, int], Awaitable[dict[str, tuple[list[Any], int]]]]
    ) -> None:
        super().__init__()
        self._fetch = fetch

    async def batch_load_fn(self, requests: Sequence[JourneyRequest]) -> list[tuple[list[Any], int]]:
        groups: dict[tuple[Any, Any, int], list[str]] = {}
        for r in requests:
            groups.setdefault((r.first, r.last, r.limit), []).append(r.customer_id)
        found: dict[JourneyRequest, tuple[list[Any], int]] = {}
        for (first, last, limit), customers in groups.items():
            journeys = await self._fetch(list(dict.fromkeys(customers)), first, last, limit)
            for c in customers:
                found[JourneyRequest(c, first, last, limit)] = journeys[c]
        return [found[r] for r in requests]
