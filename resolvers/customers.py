"""Customer use cases: create, update, move through the lifecycle, read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.customers import Customer, check_profile, check_reason
from domain.errors import VersionConflict
from domain.lifecycle import Actor, LifecycleAction, LifecycleEvent, transition
from repositories.customers import CustomerFilter, CustomerOrderField
from repositories.pagination import Page
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


def _check_version(customer: Customer, expected_version: int) -> None:
    if customer.version != expected_version:
        raise VersionConflict.stale("customer", customer.version, expected_version)


async def create_customer(
    ctx: Context, profile: Mapping[str, Any], idempotency_key: str | None
) -> Outcome[Customer]:
    async def work() -> Customer:
        clean = check_profile(profile, ctx.clock().date(), creating=True)
        return await ctx.customers.create(clean, ctx.clock(), idempotency_key)

    return await attempt(work())


async def update_customer(
    ctx: Context, customer_id: str, expected_version: int, changes: Mapping[str, Any]
) -> Outcome[Customer]:
    async def work() -> Customer:
        clean = check_profile(changes, ctx.clock().date(), creating=False)
        customer = await ctx.customers.get(customer_id)
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
        customer = await ctx.customers.get(customer_id)
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
    order: CustomerOrderField,
    descending: bool,
    first: int | None,
    after: str | None,
) -> Page[Customer]:
    return await ctx.customers.page(where, order, descending, first, after)
