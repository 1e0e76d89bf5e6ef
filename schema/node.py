"""Global ids and the Node interface: every record a client may refetch, reference in a
mutation or cache is a Node, and `node(id:)` / `nodes(ids:)` fetch any of them, under the
same visibility as the record's own query.

A global id is base64("Type:localId") (Relay's form). Ids are encoded once, when a type
is built from its domain object, and are plain attributes from then on. Every id input
names the type it expects: a malformed id or one of another type is refused naming the
field (VALIDATION in a mutation's payload, BAD_USER_INPUT for a query argument), and a
well-formed id of the right type that names nothing is NOT_FOUND (null for a query).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Protocol

import strawberry

from domain.errors import BadArgument, ErrorCode
from domain.ids import is_local_id
from domain.validation import Problems

NODES_MAX = 100


@strawberry.interface(description="An object with a global id: node(id:) fetches it again.")
class Node:
    id: strawberry.ID


class NodeType(Protocol):
    """A Node type: fetches its visible objects by local id, None for the others."""

    __name__: str

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> Sequence[Any]: ...


_NODE_TYPES: dict[str, NodeType] = {}


def node_type(cls: Any) -> Any:
    """Class decorator: `node(id:)` resolves ids of this type through its resolve_nodes."""
    _NODE_TYPES[cls.__name__] = cls
    return cls


def global_id(type_name: str, local_id: str) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{local_id}".encode()).decode())


def parse_global_id(value: str) -> tuple[str, str] | None:
    """(type name, local id), or None when `value` is not an id this API issued."""
    try:
        text = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, colon, local = text.partition(":")
    if not colon or not is_local_id(local):
        return None
    return type_name, local


def node_global_id(value: str) -> strawberry.ID | None:
    """`value` as the global id of a record of a Node type, or None (any other string)."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] not in _NODE_TYPES:
        return None
    return global_id(*parsed)


def _why_not(value: str, type_name: str, field: str) -> tuple[str | None, str]:
    """(the local id, or None) and, when None, why not."""
    parsed = parse_global_id(value)
    if parsed is None:
        return None, f"{field} is not an id this API issued"
    if parsed[0] != type_name:
        return None, f"{field} must be a {type_name} id, not a {parsed[0]} id"
    return parsed[1], ""


class InputIds:
    """Reads the global ids of one mutation input, collecting every problem (VALIDATION,
    naming the field), so the payload lists them all and nothing runs."""

    def __init__(self) -> None:
        self._problems = Problems()

    def one(self, value: str, type_name: str, field: str) -> str:
        local, why = _why_not(value, type_name, field)
        if local is None:
            self._problems.add(field, why, ErrorCode.VALIDATION)
            return ""
        return local

    def optional(self, value: str | None, type_name: str, field: str) -> str | None:
        return None if value is None else self.one(value, type_name, field)

    def many(self, values: Sequence[str] | None, type_name: str, field: str) -> list[str]:
        return [self.one(v, type_name, f"{field}[{i}]") for i, v in enumerate(values or [])]

    def check(self) -> None:
        self._problems.raise_if_any()


def argument_id(value: str, type_name: str, field: str) -> str:
    """The local id of a query argument, or BAD_USER_INPUT naming the argument."""
    local, why = _why_not(value, type_name, field)
    if local is None:
        raise BadArgument(why, field)
    return local


async def _resolve(info: strawberry.Info, ids: Sequence[str], field: str) -> list[Node | None]:
    """Objects for global ids of any Node type: one batch per type."""
    wanted: dict[str, list[str]] = {}
    keys: list[tuple[str, str]] = []
    for i, value in enumerate(ids):
        parsed = parse_global_id(value)
        path = field if len(ids) == 1 and field == "id" else f"{field}[{i}]"
        if parsed is None or parsed[0] not in _NODE_TYPES:
            raise BadArgument(f"{path} is not an id this API issued", path)
        wanted.setdefault(parsed[0], []).append(parsed[1])
        keys.append(parsed)
    found: dict[tuple[str, str], Node | None] = {}
    for type_name, locals_ in wanted.items():
        objects = await _NODE_TYPES[type_name].resolve_nodes(info, locals_)
        found.update(zip(((type_name, i) for i in locals_), objects, strict=True))
    return [found[k] for k in keys]


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null if it does not exist or is not yours.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        [found] = await _resolve(info, [id], "id")
        return found

    @strawberry.field(description=f"Objects by their global ids (at most {NODES_MAX}), in order.")
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > NODES_MAX:
            raise BadArgument(f"ids has more than {NODES_MAX} items", "ids")
        return await _resolve(info, ids, "ids")
