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
from domain.figures import CustomerFigures, after_purchase, after_touchpoint
from domain.jobs import JobResult
from domain.lifecycle import LifecycleEvent
from domain.tiers import value_tier
from domain.value import ValueRules
from repositories.complaints import ComplaintRepository
from repositories.customers import CustomerRepository, figures_document
from repositories.records import RecordRepository
from repositories.rollups import (
    EXPERIENCE,
    LIFECYCLE,
    RFM_CELLS,
    add_all,
    add_into,
    purchase_increments,
    replace_all,
    touchpoint_increments,
    transition_increments,
)
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


async def churn_histories(
    db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime
) -> dict[str, ComplaintHistory]:
    """Every customer's complaints that count for churn risk at `now`."""
    since = now - timedelta(days=rules.churn.complaint_window_days)
    return await ComplaintRepository(db).churn_histories(None, since)


async def _customer_figures(db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime) -> Figures:
    """The figures of every customer with a purchase or a touchpoint, from the raw events
    (and the recent complaints, for churn risk), through the domain functions the writes use."""
    records, touchpoints = RecordRepository(db), TouchpointRepository(db)
    histories = await churn_histories(db, rules, now)
    figures = _merge_figures(await records.figures_by_customer(), await touchpoints.figures_by_customer())
    return filed(figures, histories, rules, now)


def filed(
    figures: Mapping[str, CustomerFigures],
    histories: Mapping[str, ComplaintHistory],
    rules: ValueRules,
    now: datetime,
) -> Figures:
    """The figures as stored (with the tier, F/M cell and churn risk at `now`) and the RFM
    cells the customers are filed under."""
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


async def rebuild(db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime) -> Rebuilt:
    """Replace every running total by what the raw events give."""
    with pymongo.timeout(REBUILD_DEADLINE_S):
        return await _rebuild(db, rules, now)


async def _rebuild(db: AsyncDatabase[dict[str, Any]], rules: ValueRules, now: datetime) -> Rebuilt:
    customers, records, touchpoints = CustomerRepository(db), RecordRepository(db), TouchpointRepository(db)
    figures = await _customer_figures(db, rules, now)
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


def _nested(increments: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted increments ("cells.APP.IN_SALE.orders": 1) as the nested totals they add to."""
    nested: dict[str, Any] = {}
    for path, value in increments.items():
        *parents, leaf = path.split(".")
        node = nested
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return nested


def _without_zeros(value: Any) -> Any:
    """Experience totals as a rebuild keeps them: counters at 0 left out (see _plain)."""
    if isinstance(value, Mapping):
        return {k: _without_zeros(v) for k, v in value.items() if v != 0}
    return value


class Tally:
    """Running totals summed in memory from events at hand (documents as stored), with the
    rules and increments the writes use (domain.figures, repositories.rollups): what a seed
    that has just made its events stores, instead of reading them back through the
    rebuild's pipelines. A rebuild of the same events gives the same documents."""

    def __init__(self) -> None:
        self.figures: dict[str, CustomerFigures] = {}
        self._experience: dict[str, dict[str, Any]] = {}  # per UTC day
        self._lifecycle: dict[str, dict[str, Any]] = {}

    def purchase(self, doc: Mapping[str, Any]) -> None:
        customer_id, at, units = str(doc["customerId"]), doc["purchasedAt"], doc["units"]
        amount = doc["amount"]["amount"].to_decimal()
        before = self.figures.get(customer_id, CustomerFigures())
        self.figures[customer_id] = after_purchase(before, str(doc["_id"]), at, amount, units)
        self._add(self._experience, at, purchase_increments(doc.get("channel"), amount, units))

    def touchpoint(self, doc: Mapping[str, Any]) -> None:
        customer_id, at = str(doc["customerId"]), doc["occurredAt"]
        satisfaction, nps = doc.get("satisfaction"), doc.get("nps")
        before = self.figures.get(customer_id, CustomerFigures())
        self.figures[customer_id] = after_touchpoint(before, str(doc["_id"]), at, satisfaction, nps)
        increments = touchpoint_increments(doc["channel"], doc["stage"], satisfaction, nps, doc["impact"])
        self._add(self._experience, at, increments)

    def move(self, event: LifecycleEvent) -> None:
        self._add(self._lifecycle, event.at, transition_increments(event))

    @staticmethod
    def _add(days: dict[str, dict[str, Any]], at: datetime, increments: Mapping[str, Any]) -> None:
        add_into(days.setdefault(at.date().isoformat(), {}), _nested(increments))

    def experience_documents(self) -> list[dict[str, Any]]:
        return _by_period((day, _without_zeros(totals)) for day, totals in self._experience.items())

    def lifecycle_documents(self) -> list[dict[str, Any]]:
        return _by_period(self._lifecycle.items())


async def add_tally(db: AsyncDatabase[dict[str, Any]], tally: Tally, figures: Figures) -> None:
    """Add a tally's experience and lifecycle totals and the RFM cells of its customers'
    figures (`filed(tally.figures, …)`; the figures themselves are the caller's to store, with
    the customers) to the rollups."""
    with pymongo.timeout(REBUILD_DEADLINE_S):
        await add_all(db[EXPERIENCE], tally.experience_documents())
        await add_all(db[LIFECYCLE], tally.lifecycle_documents())
        await add_all(db[RFM_CELLS], figures.rfm_cells)


async def rollups_rebuild(job: JobContext) -> JobResult:
    """The rebuild as a job, so two rebuilds never run at once (the job's lease)."""
    done = await rebuild(job.db, job.settings.value_rules, job.clock())
    return JobResult(
        examined=done.customers,
        changed=done.experience_documents + done.lifecycle_documents + done.rfm_days,
        summary=f"figures of {done.customers} customers, {done.experience_documents} experience and "
        f"{done.lifecycle_documents} lifecycle documents, {done.rfm_days} RFM days",
    )
