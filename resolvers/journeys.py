"""Purchases and touchpoints: record them once (idempotency keys), with everything they
change in one transaction — the customer's running figures, tier and churn risk, the stage
move a purchase proves, and the rollups reports read — and read them within the policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from domain.churn import ChurnRisk, ComplaintHistory, churn_risk
from domain.customers import Customer, request_fingerprint
from domain.errors import BadArgument, IdempotencyKeyReused
from domain.figures import CustomerFigures, after_purchase, after_touchpoint
from domain.lifecycle import Actor, LifecycleEvent, transition
from domain.purchases import (
    CheckedPurchase,
    PurchaseRequest,
    check_purchase,
    lifecycle_effect,
    purchase_reason,
)
from domain.records import Purchase
from domain.rfm import cell_key, frequency_score, monetary_score
from domain.tiers import value_tier
from domain.touchpoints import Touchpoint, TouchpointRequest, check_touchpoint
from domain.value import ValueRules
from repositories.customers import figures_document
from repositories.records import purchase_document, to_purchase
from repositories.rollups import (
    purchase_increments,
    rfm_cell_increments,
    touchpoint_increments,
    transition_increments,
)
from repositories.touchpoints import to_touchpoint, touchpoint_document
from repositories.transactions import in_transaction
from resolvers import effects
from resolvers.access import shown_customer, shown_touchpoint
from resolvers.context import Context
from resolvers.loaders import JourneyRequest
from resolvers.outcome import Outcome, attempt

T = TypeVar("T")

#: Who moves a customer when a fact does (a purchase, the churn scan).
SYSTEM = Actor(id="system", name="system", role="SYSTEM")


@dataclass(frozen=True)
class Recorded:
    """A recorded purchase or touchpoint and the customer as it left them."""

    record: Any  # Purchase | Touchpoint
    customer: Customer


def rfm_cell(figures: CustomerFigures, rules: ValueRules) -> str | None:
    if figures.orders == 0:
        return None
    return cell_key(frequency_score(figures.orders, rules.rfm), monetary_score(figures.spend, rules.rfm))


async def complaint_history(ctx: Any, customer_id: str, now: datetime) -> ComplaintHistory:
    since = now - timedelta(days=ctx.value_rules.churn.complaint_window_days)
    found = await ctx.complaints.churn_histories([customer_id], since)
    return found.get(customer_id, ComplaintHistory())


def _figures_doc(figures: CustomerFigures, churn: ChurnRisk | None, rules: ValueRules) -> dict[str, Any]:
    return figures_document(figures, value_tier(figures, rules.tiers), rfm_cell(figures, rules), churn)


async def _replayed(
    lookup: Callable[[str], Awaitable[tuple[Any, str | None] | None]], key: str | None, fingerprint: str
) -> Any | None:
    """The record an idempotency key already made, or None; the same key with another
    request is refused (replaying would hide that this one was never carried out)."""
    if not key:
        return None
    found = await lookup(key)
    if found is None:
        return None
    record, stored = found
    if stored is not None and stored != fingerprint:
        raise IdempotencyKeyReused(
            "this idempotencyKey was used for a different request; use a new key", "idempotencyKey"
        )
    return record


async def _record_once(
    ctx: Context,
    key: str | None,
    fingerprint: str,
    lookup: Callable[[str], Awaitable[tuple[Any, str | None] | None]],
    write: Callable[[AsyncClientSession], Awaitable[Recorded]],
    customer_id: str,
) -> Recorded:
    """Run `write` in a transaction unless the key recorded it before; a retry racing the
    first request collides on the key's unique index and answers what the first recorded."""
    access = await ctx.access()
    if (first := await _replayed(lookup, key, fingerprint)) is not None:
        customer = await ctx.customers.get(customer_id, access.customers)
        return Recorded(first, shown_customer(access, customer))
    try:
        recorded = await in_transaction(ctx.db, write)
    except DuplicateKeyError:
        if (first := await _replayed(lookup, key, fingerprint)) is None:
            raise
        recorded = Recorded(first, await ctx.customers.get(customer_id, access.customers))
    return Recorded(recorded.record, shown_customer(access, recorded.customer))


async def _writable_customer(ctx: Context, customer_id: str) -> None:
    """The customer must exist and be readable by the writer (else NOT_FOUND, as missing)."""
    await ctx.customers.get(customer_id, (await ctx.access()).customers)


# --- purchases -----------------------------------------------------------------------------


async def record_purchase(ctx: Context, request: PurchaseRequest) -> Outcome[Recorded]:
    async def work() -> Recorded:
        rules, now = ctx.value_rules, ctx.clock()
        checked = check_purchase(request, now, rules.currency)
        await _writable_customer(ctx, checked.customer_id)
        complaints = await complaint_history(ctx, checked.customer_id, now)
        purchase_id = ObjectId()

        async def write(session: AsyncClientSession) -> Recorded:
            return await _write_purchase(ctx, checked, purchase_id, complaints, now, session)

        return await _record_once(
            ctx,
            checked.idempotency_key,
            checked.fingerprint,
            _purchase_by_key(ctx),
            write,
            checked.customer_id,
        )

    return await attempt(work())


def _purchase_by_key(ctx: Context) -> Callable[[str], Awaitable[tuple[Purchase, str | None] | None]]:
    return ctx.records.by_idempotency_key


async def _write_purchase(
    ctx: Context,
    purchase: CheckedPurchase,
    purchase_id: ObjectId,
    complaints: ComplaintHistory,
    now: datetime,
    session: AsyncClientSession,
) -> Recorded:
    rules = ctx.value_rules
    doc = purchase_document(purchase, purchase_id, now)
    await ctx.records.record(doc, session)
    customer, stored_cell = await ctx.customers.activity_state(purchase.customer_id, session)
    before = customer.figures
    after = after_purchase(
        before, str(purchase_id), purchase.purchased_at, purchase.amount.amount, purchase.units
    )
    event = None
    if (action := lifecycle_effect(customer.lifecycle_stage, before.orders)) is not None:
        event = LifecycleEvent(
            action,
            customer.lifecycle_stage,
            transition(customer.lifecycle_stage, action),
            now,
            SYSTEM,
            purchase_reason(action, str(purchase_id)),
        )
    churn = churn_risk(after, complaints, now, rules.churn)
    saved = await ctx.customers.record_activity(customer, _figures_doc(after, churn, rules), event, session)
    await ctx.experience_rollups.add(
        [
            (
                purchase.purchased_at.date(),
                purchase_increments(purchase.channel.value, purchase.amount.amount, purchase.units),
            )
        ],
        session,
    )
    await move_rfm_cell(ctx, before, stored_cell, after, session)
    recorded = to_purchase(doc)
    if event is not None:
        await ctx.lifecycle_rollups.add([(event.at.date(), transition_increments(event))], session)
        await effects.after_stage_move(ctx.db, rules, saved, event, session)
    await effects.after_purchase(ctx.db, rules, recorded, saved, session)
    return Recorded(recorded, saved)


async def move_rfm_cell(
    ctx: Context,
    before: CustomerFigures,
    before_cell: str | None,
    after: CustomerFigures,
    session: AsyncClientSession,
) -> None:
    """File the customer under their new last-purchase day and F/M cell (out of the old)."""
    cell = rfm_cell(after, ctx.value_rules)
    assert cell is not None and after.last_purchase_at is not None
    old = None
    if before.last_purchase_at is not None and before_cell is not None:
        old = (before.last_purchase_at.date(), before_cell, before.spend)
    requests = rfm_cell_increments(old, (after.last_purchase_at.date(), cell, after.spend))
    await ctx.rfm_cells.bulk_write(requests, ordered=True, session=session)


# --- touchpoints -----------------------------------------------------------------------------


def _touchpoint_fingerprint(request: TouchpointRequest) -> str:
    return request_fingerprint(
        {
            "customer": request.customer_id,
            "channel": request.channel,
            "stage": request.stage,
            "type": request.type,
            "occurredAt": request.occurred_at.astimezone(UTC).isoformat(),
            "satisfaction": request.satisfaction,
            "nps": request.nps,
            "sentiment": request.sentiment,
            "notes": request.notes,
        }
    )


async def record_touchpoint(ctx: Context, request: TouchpointRequest) -> Outcome[Recorded]:
    async def work() -> Recorded:
        now = ctx.clock()
        checked = check_touchpoint(request, now)
        await _writable_customer(ctx, checked.customer_id)
        complaints = await complaint_history(ctx, checked.customer_id, now)
        fingerprint = _touchpoint_fingerprint(checked)
        touchpoint_id = ObjectId()

        async def write(session: AsyncClientSession) -> Recorded:
            rules = ctx.value_rules
            doc = touchpoint_document(
                checked, touchpoint_id, fingerprint if checked.idempotency_key else None, now
            )
            await ctx.touchpoints.record(doc, session)
            customer, _ = await ctx.customers.activity_state(checked.customer_id, session)
            after = after_touchpoint(
                customer.figures, str(touchpoint_id), checked.occurred_at, checked.satisfaction, checked.nps
            )
            churn = churn_risk(after, complaints, now, rules.churn)
            saved = await ctx.customers.record_activity(
                customer, _figures_doc(after, churn, rules), None, session
            )
            increments = touchpoint_increments(
                checked.channel.value, checked.stage.value, checked.satisfaction, checked.nps, doc["impact"]
            )
            await ctx.experience_rollups.add([(checked.occurred_at.date(), increments)], session)
            touchpoint = to_touchpoint(doc)
            await effects.after_touchpoint(ctx.db, rules, touchpoint, saved, session)
            return Recorded(touchpoint, saved)

        recorded = await _record_once(
            ctx,
            checked.idempotency_key,
            fingerprint,
            ctx.touchpoints.by_idempotency_key,
            write,
            checked.customer_id,
        )
        access = await ctx.access()
        return Recorded(shown_touchpoint(access, recorded.record), recorded.customer)

    return await attempt(work())


# --- reads -----------------------------------------------------------------------------------


async def touchpoints_by_ids(ctx: Context, ids: list[str]) -> list[Touchpoint | None]:
    return await ctx.touchpoint_by_id.load_many(ids)


#: A journey shows at most this many touchpoints (its latest: the end is what counts), over
#: at most this many days.
JOURNEY_TOUCHPOINTS_MAX = 200
JOURNEY_DAYS_MAX = 3660


async def journey(
    ctx: Context, customer_id: str, first: datetime, last: datetime
) -> tuple[list[Touchpoint], int]:
    """The touchpoints of [first, last] in order (the latest JOURNEY_TOUCHPOINTS_MAX) and
    how many there are: empty where the viewer may not read the customer's touchpoints."""
    if last < first:
        raise BadArgument("to must not be before from", "to")
    if (last - first).days >= JOURNEY_DAYS_MAX:
        raise BadArgument(f"a journey covers at most {JOURNEY_DAYS_MAX} days", "to")
    found: tuple[list[Touchpoint], int] = await ctx.journeys_by_customer_id.load(
        JourneyRequest(customer_id, first, last, JOURNEY_TOUCHPOINTS_MAX)
    )
    return found
