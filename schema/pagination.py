"""Relay cursor connections: one generic Connection for every list that can grow.

A connection field is declared with `@connection(...)` and a `paging: Paging` parameter:
`PageArguments` gives it Relay's four arguments in that place (`first`, `after`, `last`,
`before`) and hands its resolver one checked `Paging`, which is all a use case sees.
Cursors are opaque and sealed (repositories.pagination.CursorSeal): edges carry sealed
cursors, and `after` and `before` are opened here before they reach a use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions import FieldExtension
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CursorSeal, Page, Paging

Node = TypeVar("Node")
Item = TypeVar("Item")

#: Relay's pagination arguments, as every connection takes them.
PAGE_ARGUMENTS: tuple[tuple[str, Any, str], ...] = (
    (
        "first",
        int | None,
        f"The first n items (after `after`): {DEFAULT_PAGE_SIZE} when absent, at most {MAX_PAGE_SIZE}.",
    ),
    ("after", str | None, "A cursor from this connection: the items after it."),
    ("last", int | None, f"The last n items (before `before`), at most {MAX_PAGE_SIZE}; not with `first`."),
    ("before", str | None, "A cursor from this connection: the items before it."),
)


def requested_page(
    info: strawberry.Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Paging:
    """A connection's arguments as one Paging: sizes checked (BAD_USER_INPUT; `first` with
    `last` is VALIDATION on `last`), cursors opened if this service issued them (else
    VALIDATION on `after` or `before`)."""
    seal: CursorSeal = info.context.cursors
    return Paging(first, seal.open(after, "after"), last, seal.open(before, "before"))


class PageArguments(FieldExtension):
    """Puts the four pagination arguments where the resolver's `paging` parameter is and
    calls the resolver with them as one Paging."""

    def apply(self, field: StrawberryField) -> None:
        places = [i for i, argument in enumerate(field.arguments) if argument.python_name == "paging"]
        if not places:
            return  # applied already: a type's fields are shared by every schema built from it
        at = places[0]
        arguments = [
            StrawberryArgument(
                python_name=name,
                graphql_name=None,
                type_annotation=StrawberryAnnotation(annotation),
                description=description,
                default=None,
            )
            for name, annotation, description in PAGE_ARGUMENTS
        ]
        field.arguments = [*field.arguments[:at], *arguments, *field.arguments[at + 1 :]]

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return await next_(source, info, paging=requested_page(info, first, after, last, before), **kwargs)


def connection(**options: Any) -> Any:
    """`strawberry.field` for a connection: its resolver takes `paging: Paging`."""
    return strawberry.field(extensions=[PageArguments()], **options)


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
