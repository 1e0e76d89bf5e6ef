"""Scopes (domain.access) as query filters: the one place a viewer's reach becomes part of
a query, so lists, counts and lookups by id all hold only what the viewer may read."""

from __future__ import annotations

from typing import Any

from domain.access import Scope
from repositories.documents import object_ids

#: A filter no document matches (an empty `$in` is answered from the index at once).
NO_DOCUMENT: dict[str, Any] = {"_id": {"$in": []}}


def scope_filter(
    scope: Scope,
    *,
    partner: str | None = None,
    key_account: str | None = None,
    customer: str | None = None,
    organisation: tuple[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The filter for `scope` in one collection, given which of its fields answer which
    condition (a condition the collection has no field for matches nothing). None means
    no restriction."""
    if scope.everything:
        return None
    clauses: list[dict[str, Any]] = []
    if scope.partner_id is not None and partner:
        clauses.append({partner: scope.partner_id})
    if scope.key_account_ids is not None and key_account:
        clauses.append({key_account: {"$in": object_ids(sorted(scope.key_account_ids))}})
    if scope.customer_ids is not None and customer:
        clauses.append({customer: {"$in": object_ids(sorted(scope.customer_ids))}})
    if scope.organisations and organisation:
        field, value = organisation
        clauses.append({field: value})
    if not clauses:
        return NO_DOCUMENT
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def kept_in_key_accounts(scope: Scope) -> dict[str, Any] | None:
    """Records kept in a key account's dossier (contacts, visits, contracts)."""
    return scope_filter(scope, key_account="keyAccountId")


def about_customers(scope: Scope) -> dict[str, Any] | None:
    """Records about a customer (complaints, purchases)."""
    return scope_filter(scope, customer="customerId")


def within(query: dict[str, Any], scope_clause: dict[str, Any] | None) -> dict[str, Any]:
    """`query` restricted to a scope (flat when the fields differ, so indexes still apply)."""
    if scope_clause is None:
        return query
    if not query:
        return scope_clause
    if query.keys() & scope_clause.keys() or "$or" in query:
        return {"$and": [query, scope_clause]}
    return {**query, **scope_clause}
