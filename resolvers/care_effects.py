"""The care plans a fact starts or closes, written in the fact's own transaction
(resolvers/effects.py calls these): a purchase starts the plan of the tier it gives and adds
its per-purchase tasks; a stage move starts a retention or win-back plan and closes the one
of the stage left; a touchpoint starts a review follow-up or keeps community care going.

The fact's transaction has already written the customer, so two facts about one customer
never interleave here: a plan's key is checked, then the plan inserted, without a race."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.care import (
    CarePlanKind,
    CarePlanStatus,
    CareTemplate,
    PlannedTasks,
    facts_of,
    has_purchase_tasks,
    plan_key,
    purchase_plans,
    purchase_tasks,
    repeat_plan,
    stage_plans,
    stale_reason,
    start_plan,
    touchpoint_facts,
    touchpoint_plans,
)
from domain.customers import Customer
from domain.lifecycle import LifecycleEvent
from domain.records import Purchase
from domain.touchpoints import Touchpoint
from domain.value import ValueRules
from repositories.care import CareRepository, plan_document, plan_ref


async def _start(
    care: CareRepository,
    customer: Customer,
    kind: CarePlanKind,
    key: str,
    started_at: datetime,
    reason: str,
    planned: PlannedTasks,
    now: datetime,
    session: AsyncClientSession,
    last_activity_at: datetime | None = None,
) -> None:
    doc = plan_document(
        customer.id,
        kind,
        key,
        started_at,
        reason,
        now,
        skipped=planned.skipped_channels,
        last_activity_at=last_activity_at,
    )
    await care.start(doc, planned, now, session)


async def after_purchase(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    purchase: Purchase,
    customer: Customer,
    session: AsyncClientSession,
) -> None:
    """A first purchase starts its tier's plan; reaching REGULAR or VIP starts that plan (VIP
    closes REGULAR, whose tasks stay); a repeat customer's purchase adds its per-purchase
    tasks (shipment tracking) to their open plan."""
    change = purchase_plans(customer.figures, purchase.amount.amount, rules.tiers)
    repeat = repeat_plan(customer.figures, rules.tiers)
    kinds = list(change.start) + ([repeat] if repeat is not None and repeat not in change.start else [])
    if not kinds:
        return  # nothing to plan: no round trip
    care = CareRepository(db)
    templates = await care.templates(session)
    now = await care.recorded_at(purchase.id, session) or purchase.purchased_at
    facts = facts_of(customer)
    for kind in change.close:
        reason = f"superseded by the {change.start[0].value} plan"
        await care.close(customer.id, kind, now, reason, session, skip_pending=False)
    for kind in kinds:
        key = plan_key(customer.id, kind)
        plan = await care.plan_by_key(key, session)
        if plan is None:
            # A new plan; also for a repeat customer from before care plans existed.
            planned = start_plan(
                kind, templates, facts, purchase.purchased_at, purchase=(purchase.id, purchase.purchased_at)
            )
            reason = f"{change.reason if kind in change.start else 'purchase'} (purchase {purchase.id})"
            await _start(care, customer, kind, key, purchase.purchased_at, reason, planned, now, session)
        elif plan.status is CarePlanStatus.ACTIVE and has_purchase_tasks(kind, templates):
            planned = purchase_tasks(kind, templates, facts, purchase.id, purchase.purchased_at)
            await care.add_tasks(plan_ref(plan), planned, now, session)


async def after_stage_move(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    customer: Customer,
    event: LifecycleEvent,
    session: AsyncClientSession,
) -> None:
    """Leaving ACQUIRED, AT_RISK or LAPSED closes that stage's plan (its pending tasks are
    skipped: no longer needed); entering AT_RISK or LAPSED starts a retention or win-back plan."""
    change = stage_plans(event)
    if not change.start and not change.close:
        return
    care = CareRepository(db)
    for kind in change.close:
        await care.close(
            customer.id, kind, event.at, stale_reason(event.to_stage), session, skip_pending=True
        )
    templates: list[CareTemplate] = await care.templates(session) if change.start else []
    for kind in change.start:
        planned = start_plan(kind, templates, facts_of(customer), event.at)
        key = plan_key(customer.id, kind, event.at.isoformat())
        await _start(care, customer, kind, key, event.at, change.reason, planned, event.at, session)


async def after_touchpoint(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    touchpoint: Touchpoint,
    customer: Customer,
    session: AsyncClientSession,
) -> None:
    """A negative or doubtful review starts a timely follow-up; a community touchpoint starts
    community care or keeps it active (the templates' `match` says which)."""
    care = CareRepository(db)
    templates = await care.templates(session)
    facts = touchpoint_facts(touchpoint)
    now = touchpoint.created_at
    for kind in touchpoint_plans(facts, templates):
        if kind is CarePlanKind.REVIEW_FOLLOW_UP:
            planned = start_plan(
                kind, templates, facts_of(customer), touchpoint.occurred_at, touchpoint=facts
            )
            key = plan_key(customer.id, kind, touchpoint.id)
            reason = f"{touchpoint.type.value.lower()} rated low (touchpoint {touchpoint.id})"
            await _start(care, customer, kind, key, touchpoint.occurred_at, reason, planned, now, session)
        else:
            key = plan_key(customer.id, kind)
            plan = await care.plan_by_key(key, session)
            if plan is None:
                reason = f"active in a community group (touchpoint {touchpoint.id})"
                await _start(
                    care,
                    customer,
                    kind,
                    key,
                    touchpoint.occurred_at,
                    reason,
                    PlannedTasks(),
                    now,
                    session,
                    last_activity_at=touchpoint.occurred_at,
                )
            else:
                await care.note_activity(plan.id, touchpoint.occurred_at, session)
