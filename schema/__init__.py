"""The GraphQL schema: root types merged from each domain module, plus the limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.audit import AuditQueries
from schema.audit_trail import AuditTrail
from schema.contacts import ContactMutations
from schema.contracts import ContractMutations
from schema.customers import CustomerMutations, CustomerQueries
from schema.error_policy import classify
from schema.key_accounts import KeyAccountMutations, KeyAccountQueries
from schema.node import NodeQueries
from schema.scalars import SCALARS
from schema.tokens import TokenMutations, TokenQueries
from schema.users import UserQueries
from schema.visits import VisitMutations


class RapportSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            classify(error, request_id)


@lru_cache
def build_schema(max_query_depth: int) -> strawberry.Schema:
    """One schema per process (and depth limit): its parser and validation caches live on it."""
    query = merge_types(
        "Query",
        (NodeQueries, UserQueries, CustomerQueries, KeyAccountQueries, AuditQueries, TokenQueries),
    )
    mutation = merge_types(
        "Mutation",
        (
            CustomerMutations,
            KeyAccountMutations,
            ContactMutations,
            VisitMutations,
            ContractMutations,
            TokenMutations,
        ),
    )
    # The depth rule is one class for the schema's life: the validation cache keys on the
    # rules, so a rule class made per request (QueryDepthLimiter's) would never hit.
    depth_rule = create_validator(max_query_depth, None)
    return RapportSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            lambda: AddValidationRules([depth_rule]),
            ParserCache,
            ValidationCache,
            AuditTrail,  # one audit entry per root mutation field
        ],
    )
