"""The schema as a contract: its SDL (committed as schema.graphql, rewritten by
`python main.py export-schema`) and the breaking changes between two versions of it,
found by graphql-core's own comparison (`find_breaking_changes`).

The deprecation policy: a field, argument or enum value is first marked `@deprecated`
with its replacement, and removed in a later commit; removing or changing anything that
was not deprecated in the committed SDL is a breaking change and fails the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import BreakingChange, GraphQLSchema, build_schema, find_breaking_changes
from graphql.type.definition import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)
from strawberry.printer import print_schema

from schema import build_schema as build_rapport_schema
from schema.limits import QueryLimits

SDL_FILE = "schema.graphql"


def current_sdl() -> str:
    """The live schema's SDL, as committed (limits change rules, not the shape)."""
    return print_schema(build_rapport_schema(QueryLimits())) + "\n"


@dataclass(frozen=True)
class Breaking:
    kind: str
    description: str


_FIELD = re.compile(r"\b(\w+)\.(\w+)\b")
_ENUM_VALUE = re.compile(r"\b(\w+) was removed from enum type (\w+)")


def _deprecated(old: GraphQLSchema, change: BreakingChange) -> bool:
    """Whether a removal took away only what the old schema had deprecated."""
    if change.type.name == "VALUE_REMOVED_FROM_ENUM" and (found := _ENUM_VALUE.search(change.description)):
        enum = old.get_type(found.group(2))
        value = enum.values.get(found.group(1)) if isinstance(enum, GraphQLEnumType) else None
        return value is not None and value.deprecation_reason is not None
    if change.type.name == "FIELD_REMOVED" and (found := _FIELD.search(change.description)):
        named = old.get_type(found.group(1))
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            field = named.fields.get(found.group(2))
            return field is not None and getattr(field, "deprecation_reason", None) is not None
    return False


def breaking_changes(old_sdl: str, new_sdl: str) -> list[Breaking]:
    """The breaking changes from `old_sdl` to `new_sdl`, but for removals of what `old_sdl`
    had deprecated first."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return [
        Breaking(change.type.name, change.description)
        for change in find_breaking_changes(old, new)
        if not _deprecated(old, change)
    ]
