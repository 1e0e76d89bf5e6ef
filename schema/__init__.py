"""The GraphQL schema: root types merged from each domain module, plus the limits."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.extensions import ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.tools import merge_types

from schema.customers import CustomerMutations, CustomerQueries
from schema.extensions import ErrorPolicy
from schema.users import UserQueries


@strawberry.type
class NodeQueries:
    node: relay.Node | None = relay.node(description="Any object by its global id.")


Query = merge_types("Query", (NodeQueries, UserQueries, CustomerQueries))
Mutation = merge_types("Mutation", (CustomerMutations,))


class RapportSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Errors are classified and logged (with the request id) by ErrorPolicy."""


def build_schema(max_query_depth: int) -> strawberry.Schema:
    return RapportSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=max_query_depth),
            ParserCache,
            ValidationCache,
            ErrorPolicy,
        ],
    )
