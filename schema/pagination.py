"""Relay cursor connections: one generic Connection for every list that can grow.

Cursors are opaque and sealed (repositories.pagination.CursorSeal): edges carry sealed
cursors, and every `after` is opened (`opened`) before it reaches a use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from repositories.pagination import CursorSeal, Page

Node = TypeVar("Node")
Item = TypeVar("Item")


def opened(info: strawberry.Info, after: str | None) -> str | None:
    """The position in a client's `after`, if this service issued it (else VALIDATION)."""
    seal: CursorSeal = info.context.cursors
    return seal.open(after)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    _count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Rows matching the filter; counted only when selected.")
    async def total_count(self) -> int:
        return await self._count_total()

    @classmethod
    def of(cls, page: Page[Item], to_node: Callable[[Item], Node], seal: CursorSeal) -> Connection[Node]:
        edges = [Edge(cursor=seal.seal(cursor), node=to_node(item)) for cursor, item in page.items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count_total=page.count_total,
        )
