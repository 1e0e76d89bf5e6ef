"""Customer use cases: create, update, move through the lifecycle, read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain.customers import (
    Customer,
    check_idempotency_key,
    check_profile,
    check_reason,
    request_fingerprint,
)
from domain.errors import InvalidTransition, VersionConflict
from domain.lifecycle import Actor, LifecycleAction, LifecycleEvent, transition
from domain.search import search_words
from repositories.customers import CustomerFilter, CustomerOrderField
from repositories.pagination import Page
from resolvers.access import shown_customer
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


def _check_version(customer: Customer, expected_version: int) -> None:
    if customer.version != expected_version:
        raise VersionConflict.stale("customer", customer.version, expected_version)


async def create_customer(
    ctx: Context, profile: Mapping[str, Any], idempotency_key: str | None
) -> Outcome[Customer]:
    async def work() -> Customer:
        key = check_idempotency_key(idempotency_key)
        clean = check_profile(profile, ctx.clock().date(), creating=True, phone_region=ctx.phone_region)
        return await ctx.customers.create(clean, ctx.clock(), key, request_fingerprint(clean))

    return await attempt(work())


async def update_customer(
    ctx: Context, customer_id: str, expected_version: int, changes: Mapping[str, Any]
) -> Outcome[Customer]:
    async def work() -> Customer:
        clean = check_profile(changes, ctx.clock().date(), creating=False, phone_region=ctx.phone_region)
        customer = await ctx.customers.get(customer_id, (await ctx.access()).customers, "id")
        if customer.erased_at is not None:
            raise InvalidTransition("an erased customer's profile cannot be written again", "id")
        _check_version(customer, expected_version)
        if not clean:
            return customer
        return await ctx.customers.update_profile(customer, expected_version, clean, ctx.clock())

    return await attempt(work())


async def change_lifecycle_stage(
    ctx: Context, customer_id: str, expected_version: int, action: LifecycleAction, reason: str
) -> Outcome[Customer]:
    async def work() -> Customer:
        why = check_reason(reason)
        customer = await ctx.customers.get(customer_id, (await ctx.access()).customers)
        _check_version(customer, expected_version)
        target = transition(customer.lifecycle_stage, action)
        viewer = ctx.viewer
        event = LifecycleEvent(
            action=action,
            from_stage=customer.lifecycle_stage,
            to_stage=target,
            at=ctx.clock(),
            actor=Actor(id=viewer.id, name=viewer.name, role=viewer.role.value),
            reason=why,
        )
        return await ctx.customers.record_transition(customer.id, expected_version, event)

    return await attempt(work())


async def customer_by_id(ctx: Context, customer_id: str) -> Customer | None:
    return await ctx.customer_by_id.load(customer_id)


async def list_customers(
    ctx: Context,
    where: CustomerFilter,
    search: str | None,
    order: CustomerOrderField,
    descending: bool,
    first: int | None,
    after: str | None,
) -> Page[Customer]:
    words = search_words(search, "filter.search")
    access = await ctx.access()
    scoped = replace(
        where, search_words=words, scope=access.customers, searchable=access.searchable_customers
    )
    page = await ctx.customers.page(scoped, order, descending, first, after)
    page = replace(page, items=[(cursor, shown_customer(access, c)) for cursor, c in page.items])
    for _, customer in page.items:
        ctx.customer_by_id.prime(customer.id, customer)
    return page
