"""The GraphQL schema: root types merged from each domain module, plus the limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.customers import CustomerMutations, CustomerQueries
from schema.error_policy import classify
from schema.key_accounts import KeyAccountMutations, KeyAccountQueries
from schema.scalars import SCALARS
from schema.users import UserQueries


def _root_types() -> tuple[type, type]:
    # Fresh per schema: Strawberry's relay.node() field is bound to the schema it is built in.
    @strawberry.type
    class NodeQueries:
        node: relay.Node | None = relay.node(description="Any object by its global id.")

    query = merge_types("Query", (NodeQueries, UserQueries, CustomerQueries, KeyAccountQueries))
    mutation = merge_types("Mutation", (CustomerMutations, KeyAccountMutations))
    return query, mutation


class RapportSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            classify(error, request_id)


@lru_cache
def build_schema(max_query_depth: int) -> strawberry.Schema:
    """One schema per process (and depth limit): its parser and validation caches live on it."""
    query, mutation = _root_types()
    return RapportSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=max_query_depth),
            ParserCache,
            ValidationCache,
        ],
    )
