"""What a recorded fact sets off, written in the same transaction as the fact: a purchase
earns points and may start a care plan; a stage move starts the plan for the new stage
(retention, win-back) and closes the one of the stage left; a touchpoint may start a
review follow-up. One place for all, so the write paths (recordPurchase, recordTouchpoint,
the lifecycle mutations, the churn scan) cannot forget one."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.customers import Customer
from domain.lifecycle import LifecycleEvent
from domain.records import Purchase
from domain.touchpoints import Touchpoint
from domain.value import ValueRules
from resolvers import care_effects, loyalty


async def after_purchase(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    purchase: Purchase,
    customer: Customer,
    session: AsyncClientSession,
) -> None:
    """`customer` as the purchase left them (figures, stage)."""
    await loyalty.earn_for_purchase(db, rules.loyalty, purchase, customer, session)
    await care_effects.after_purchase(db, rules, purchase, customer, session)


async def after_stage_move(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    customer: Customer,
    event: LifecycleEvent,
    session: AsyncClientSession,
) -> None:
    """`customer` as the move left them."""
    await care_effects.after_stage_move(db, rules, customer, event, session)


async def after_touchpoint(
    db: AsyncDatabase[dict[str, Any]],
    rules: ValueRules,
    touchpoint: Touchpoint,
    customer: Customer,
    session: AsyncClientSession,
) -> None:
    """`customer` as the touchpoint left them: a low review starts a follow-up call, a
    community touchpoint keeps community care going."""
    await care_effects.after_touchpoint(db, rules, touchpoint, customer, session)
