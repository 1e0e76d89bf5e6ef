"""Customer use cases: create, update, move through the lifecycle, read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from domain.access import Scope
from domain.consent import CONSENT_SOURCE_MAX, Consent, consent_changes
from domain.customers import (
    Customer,
    check_idempotency_key,
    check_profile,
    check_reason,
    request_fingerprint,
)
from domain.errors import BadArgument, InvalidTransition, VersionConflict
from domain.lifecycle import Actor, LifecycleAction, LifecycleEvent, transition
from domain.rfm import Segment, segment_areas
from domain.search import search_words
from domain.validation import Problems
from repositories.customers import CustomerFilter, CustomerOrderField
from repositories.pagination import Page
from repositories.rollups import transition_increments
from repositories.transactions import in_transaction
from resolvers import effects
from resolvers.access import shown_customer
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


def _check_version(customer: Customer, expected_version: int) -> None:
    if customer.version != expected_version:
        raise VersionConflict.stale("customer", customer.version, expected_version)


@dataclass(frozen=True)
class ConsentRequest:
    """Consent as a client sent it: the three channels and where it was given."""

    consent: Consent
    source: str | None = None


def _consent_source(ctx: Context, source: str | None) -> str:
    """Where consent was given: as the client says, else the token it came with (the
    integration or session that sent it)."""
    problems = Problems()
    text = problems.text(source, "consent.source", required=False, limit=CONSENT_SOURCE_MAX)
    problems.raise_if_any()
    return text or (ctx.token.name if ctx.token is not None else "api")


async def create_customer(
    ctx: Context,
    profile: Mapping[str, Any],
    idempotency_key: str | None,
    consent: ConsentRequest | None = None,
) -> Outcome[Customer]:
    async def work() -> Customer:
        key = check_idempotency_key(idempotency_key)
        clean = check_profile(profile, ctx.clock().date(), creating=True, phone_region=ctx.phone_region)
        now = ctx.clock()
        given = consent.consent if consent else Consent()
        source = _consent_source(ctx, consent.source if consent else None)
        history = consent_changes(Consent(), given, now, source, _actor(ctx))
        asked = {**clean, "consent": [given.sms, given.email, given.phone]} if history else clean
        fingerprint = request_fingerprint(asked)
        return await ctx.customers.create(clean, now, key, fingerprint, given, history)

    return await attempt(work())


def _actor(ctx: Context) -> Actor:
    viewer = ctx.viewer
    return Actor(id=viewer.id, name=viewer.name, role=viewer.role.value)


async def update_customer(
    ctx: Context,
    customer_id: str,
    expected_version: int,
    changes: Mapping[str, Any],
    consent: ConsentRequest | None = None,
) -> Outcome[Customer]:
    async def work() -> Customer:
        clean = check_profile(changes, ctx.clock().date(), creating=False, phone_region=ctx.phone_region)
        source = _consent_source(ctx, consent.source) if consent else ""
        customer = await ctx.customers.get(customer_id, (await ctx.access()).customers, "id")
        if customer.erased_at is not None:
            raise InvalidTransition("an erased customer's profile cannot be written again", "id")
        _check_version(customer, expected_version)
        now = ctx.clock()
        history = []
        if consent is not None:
            history = consent_changes(
                customer.consent or Consent(), consent.consent, now, source, _actor(ctx)
            )
        if not clean and not history:
            return customer
        given = consent.consent if history and consent else None
        return await ctx.customers.update_profile(customer, expected_version, clean, now, given, history)

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
        return await record_transition(ctx, customer.id, expected_version, event)

    return await attempt(work())


async def record_transition(
    ctx: Context, customer_id: str, expected_version: int, event: LifecycleEvent
) -> Customer:
    """The move and the lifecycle rollup it changes, in one transaction."""

    async def record(session: AsyncClientSession) -> Customer:
        saved = await ctx.customers.record_transition(customer_id, expected_version, event, session)
        await ctx.lifecycle_rollups.add([(event.at.date(), transition_increments(event))], session)
        await effects.after_stage_move(ctx.db, ctx.value_rules, saved, event, session)
        return saved

    return await in_transaction(ctx.db, record)


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
    segment: Segment | None = None,
) -> Page[Customer]:
    words = search_words(search, "filter.search")
    access = await ctx.access()
    scoped = replace(
        where, search_words=words, scope=access.customers, searchable=access.searchable_customers
    )
    if segment is not None or where.value_tier is not None or where.churn_risk_above is not None:
        # Filters on figures read only customers whose figures the viewer may read.
        scoped = replace(scoped, scope=_narrower(access.customers, access.figures))
    if segment is not None:
        scoped = replace(
            scoped, segment_areas=segment_areas(segment, ctx.clock().date(), ctx.value_rules.rfm)
        )
    if where.churn_risk_above is not None and not 0 <= where.churn_risk_above <= 1:
        raise BadArgument("churnRiskAbove is from 0 to 1", "filter.churnRiskAbove")
    page = await ctx.customers.page(scoped, order, descending, first, after)
    page = replace(page, items=[(cursor, shown_customer(access, c)) for cursor, c in page.items])
    for _, customer in page.items:
        ctx.customer_by_id.prime(customer.id, customer)
    return page


def _narrower(rows: Scope, figures: Scope) -> Scope:
    """Of two scopes of customers, the one a figures filter may search: the policy gives
    figures to everyone who reads all customers or to a subset of them, never more."""
    return rows if figures.everything else figures
