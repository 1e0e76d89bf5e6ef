"""Rebuild every running total from the raw collections (`python main.py rollups rebuild`):
customers' figures (tier, F/M cell, churn risk), the experience and lifecycle rollups per
day and month, and the RFM cells. The raw side is aggregation pipelines (purchases and
touchpoints grouped by customer and by day, lifecycle moves unwound from the histories);
the figures go through the same domain functions as the writes, so a rebuild equals what
the writes kept. Run it after changing the tier or RFM settings, or to check the totals.

It replaces the totals while the service may be writing: a purchase recorded during the
rebuild may be counted twice or not at all in the totals it touched; run it again (or
while writes are paused) for an exact result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pymongo
from bson import Decimal128
from pymongo.asynchronous.database import AsyncDatabase

from domain.churn import ComplaintHistory, churn_risk
from domain.figures import CustomerFigures
from domain.jobs import JobResult
from domain.tiers import value_tier
from domain.value import ValueRules
from repositories.complaints import ComplaintRepository
from repositories.customers import CustomerRepository, figures_document
from repositories.records import RecordRepository
from repositories.rollups import EXPERIENCE, LIFECYCLE, RFM_CELLS, add_into, replace_all
from repositories.touchpoints import TouchpointRepository
from resolvers.jobs import JobContext
from resolvers.journeys import rfm_cell


@dataclass(frozen=True)
class Rebuilt:
    customers: int
    experience_documents: int
    lifecycle_documents: int
    rfm_days: int


def _merge_figures(
    purchases: list[dict[str, Any]], touchpoints: list[dict[str, Any]]
) -> dict[str, CustomerFigures]:
    figures: dict[str, CustomerFigures] = {}
    for doc in purchases:
        first = doc["first"]
        figures[str(doc["_id"])] = CustomerFigures(
            orders=doc["orders"],
            units=doc["units"],
            spend=doc["spend"].to_decimal(),
            first_purchase_at=first["at"],
            last_purchase_at=doc["last"],
            first_order_units=first["units"],
            first_purchase_id=str(first["id"]),
        )
    for doc in touchpoints:
        key = str(doc["_id"])
        base = figures.get(key, CustomerFigures())
        answer = doc.get("answer") or {}
        figures[key] = CustomerFigures(
            **{
                **base.__dict__,
                "touchpoints": doc["touchpoints"],
                "first_touchpoint_at": doc["first"],
                "last_touchpoint_at": doc["last"],
                "last_answer_at": answer.get("at"),
                "last_answer_id": str(answer["id"]) if answer.get("id") else None,
                "last_satisfaction": answer.get("satisfaction"),
                "last_nps": answer.get("nps"),
            }
        )
    return figures


def _by_period(days: Iterable[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Day documents and the month documents that sum them."""
    docs: dict[str, dict[str, Any]] = {}
    for day, totals in days:
        for key, period in ((day, "day"), (day[:7], "month")):
            add_into(docs.setdefault(key, {"_id": key, "period": period}), totals)
    return [_stored(d) for d in docs.values()]


def _stored(value: Any) -> Any:
    if isinstance(value, Decimal):
        return Decimal128(value)
    if isinstance(value, Mapping):
        return {k: _stored(v) for k, v in value.items()}
    return value


def _plain(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A pipeline's totals as rollups keep them: counters that stayed 0 are left out (writes
    only ever add the ones an event touches)."""
    return {
        k: v.to_decimal() if isinstance(v, Decimal128) else v for k, v in doc.items() if k != "_id" and v != 0
    }


@dataclass(frozen=True)
class Figures:
    """Every customer's running figures as stored (customer id -> figures document) and the
    RFM cells they are filed under (one document per last-purchase day)."""

    documents: dict[str, dict[str, Any]]
    rfm_cells: list[dict[str, Any]]


#: A rebuild reads every event: its pipelines take tens of seconds on the embedded server at
#: 100,000 events, far beyond the per-operation deadline meant for requests. It is a batch
#: job, so its operations share this deadline instead.
REBUILD_DEADLINE_S = 1800


async def customer_figures(db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime) -> Figures:
    """The figures of every customer with a purchase or a touchpoint, from the raw events
    (and the recent complaints, for churn risk), through the domain functions the writes use."""
    with pymongo.timeout(REBUILD_DEADLINE_S):
        return await _customer_figures(db, rules, now)


async def _customer_figures(db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime) -> Figures:
    records, touchpoints = RecordRepository(db), TouchpointRepository(db)
    since = now - timedelta(days=rules.churn.complaint_window_days)
    histories = await ComplaintRepository(db).churn_histories(None, since)

    figures = _merge_figures(await records.figures_by_customer(), await touchpoints.figures_by_customer())
    cells: dict[str, dict[str, Any]] = {}
    documents: dict[str, dict[str, Any]] = {}
    for customer_id, f in figures.items():
        churn = churn_risk(f, histories.get(customer_id, ComplaintHistory()), now, rules.churn)
        cell = rfm_cell(f, rules)
        documents[customer_id] = figures_document(f, value_tier(f, rules.tiers), cell, churn)
        if cell is not None and f.last_purchase_at is not None:
            day = f.last_purchase_at.date().isoformat()
            add_into(
                cells.setdefault(day, {"_id": day}), {"cells": {cell: {"customers": 1, "spend": f.spend}}}
            )
    return Figures(documents, [_stored(c) for c in cells.values()])


async def rebuild(
    db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime, figures: Figures | None = None
) -> Rebuilt:
    """Replace every running total by what the raw events give; `figures`: what
    customer_figures gave for the same `now`, when the caller has them already."""
    with pymongo.timeout(REBUILD_DEADLINE_S):
        return await _rebuild(db, rules, now, figures)


async def _rebuild(
    db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime, figures: Figures | None
) -> Rebuilt:
    customers, records, touchpoints = CustomerRepository(db), RecordRepository(db), TouchpointRepository(db)
    figures = figures or await _customer_figures(db, rules, now)
    await customers.replace_figures(figures.documents)

    days: list[tuple[str, Mapping[str, Any]]] = []
    for doc in await touchpoints.totals_by_day_channel_stage():
        key = doc["_id"]
        days.append((key["day"], {"cells": {key["channel"]: {key["stage"]: _plain(doc)}}}))
    for doc in await records.totals_by_day_and_channel():
        key = doc["_id"]
        days.append((key["day"], {"cells": {key["channel"] or "UNKNOWN": {"IN_SALE": _plain(doc)}}}))
    experience = _by_period(days)

    moves: list[tuple[str, Mapping[str, Any]]] = []
    for doc in await customers.lifecycle_moves_by_day():
        key, n = doc["_id"], doc["moves"]
        moves.append((key["day"], {"actions": {key["action"]: n}, "net": {key["from"]: -n}}))
        moves.append((key["day"], {"net": {key["to"]: n}}))
    lifecycle = _by_period(moves)

    await replace_all(db[EXPERIENCE], experience)
    await replace_all(db[LIFECYCLE], lifecycle)
    await replace_all(db[RFM_CELLS], figures.rfm_cells)
    return Rebuilt(len(figures.documents), len(experience), len(lifecycle), len(figures.rfm_cells))


async def rollups_rebuild(job: JobContext) -> JobResult:
    """The rebuild as a job, so two rebuilds never run at once (the job's lease)."""
    done = await rebuild(job.db, job.settings.value_rules, job.clock())
    return JobResult(
        examined=done.customers,
        changed=done.experience_documents + done.lifecycle_documents + done.rfm_days,
        summary=f"figures of {done.customers} customers, {done.experience_documents} experience and "
        f"{done.lifecycle_documents} lifecycle documents, {done.rfm_days} RFM days",
    )
