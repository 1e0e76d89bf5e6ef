"""The GraphQL schema: root types merged from each domain module, plus the limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.audit import AuditQueries
from schema.audit_trail import audit_mutations
from schema.care import CareMutations, CareQueries
from schema.complaints import ComplaintMutations, ComplaintQueries
from schema.contacts import ContactMutations
from schema.contracts import ContractMutations
from schema.customers import CustomerMutations, CustomerQueries
from schema.error_policy import classify
from schema.journeys import JourneyMutations
from schema.key_accounts import KeyAccountMutations, KeyAccountQueries
from schema.limits import QueryCostLimiter, QueryLimits, RepeatedDirectiveRule
from schema.loyalty import LoyaltyMutations
from schema.node import NodeQueries
from schema.personal_data import PersonalDataMutations, PersonalDataQueries
from schema.reports import ReportQueries
from schema.scalars import SCALARS
from schema.sign_in import SignInMutations
from schema.tokens import TokenMutations, TokenQueries
from schema.users import UserQueries
from schema.visits import VisitMutations, VisitQueries


class RapportSchema(strawberry.Schema):
    field_suggestions = True

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        context = getattr(execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        for error in errors:
            classify(error, request_id)
            if not self.field_suggestions:
                # Every "Did you mean …" (fields, arguments, types, enum values, input
                # fields) names schema members: StrawberryConfig's switch covers fields only.
                error.message = error.message.split(" Did you mean ", 1)[0]


@lru_cache
def build_schema(limits: QueryLimits) -> strawberry.Schema:
    """One schema per process (and limits): its parser and validation caches live on it."""
    query = merge_types(
        "Query",
        (
            NodeQueries,
            UserQueries,
            CustomerQueries,
            KeyAccountQueries,
            AuditQueries,
            TokenQueries,
            PersonalDataQueries,
            ComplaintQueries,
            ReportQueries,
            CareQueries,
            VisitQueries,
        ),
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
            PersonalDataMutations,
            ComplaintMutations,
            JourneyMutations,
            CareMutations,
            LoyaltyMutations,
            SignInMutations,
        ),
    )
    audit_mutations(mutation)  # one audit entry per root mutation field
    # The rules are classes made once for the schema's life: the validation cache keys on
    # the rules, so a rule class made per request (QueryDepthLimiter's) would never hit.
    rules = [
        depth_validator(limits.max_depth, None),
        aliases_validator(limits.max_aliases),
        RepeatedDirectiveRule,
    ]
    if not limits.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    schema = RapportSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            lambda: MaxTokensLimiter(limits.max_tokens),
            lambda: AddValidationRules(rules),
            ParserCache,
            ValidationCache,
            # After validation, with the variables: the cost of what would execute.
            lambda: QueryCostLimiter(limits.max_cost),
        ],
    )
    schema.field_suggestions = limits.field_suggestions
    return schema
