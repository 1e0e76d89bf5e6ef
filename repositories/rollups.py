"""Running totals that reports read instead of raw events, kept on write (in the
transaction of the purchase, touchpoint or stage move that changes them).

- `experience_rollups`: per UTC day and per month, cells by channel and journey stage:
  touchpoint counts, satisfaction sums and counts, NPS classes, negative experiences and
  their impact, orders, units and revenue (purchases count under IN_SALE).
- `lifecycle_rollups`: per day and month, stage moves by action and the net change of
  each stage's population (so a stage's size on any day is the sum of the nets up to it).
- `rfm_cells`: per last-purchase day, customers and their spend by F/M cell (domain.rfm),
  so a segment distribution reads one document per day on which someone last bought.

A period [first, last] reads its whole months from month documents and the days at its
two ends from day documents: a year is at most 12 + 60 small documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bson import Decimal128
from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from domain.experience import ExperienceTotals
from domain.lifecycle import LifecycleEvent
from domain.touchpoints import SATISFIED_FROM, nps_class
from repositories.documents import DUPLICATE_KEY

EXPERIENCE = "experience_rollups"
LIFECYCLE = "lifecycle_rollups"
RFM_CELLS = "rfm_cells"
ROLLUPS = (EXPERIENCE, LIFECYCLE, RFM_CELLS)

Increments = Mapping[str, int | Decimal]


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_ids(first: date, last: date) -> list[str]:
    """The day and month documents that cover [first, last] exactly, once each."""
    ids: list[str] = []
    day = first
    while day <= last:
        month_end = _next_month(day) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            ids.append(_month(day))
            day = month_end + timedelta(days=1)
        else:
            ids.append(day.isoformat())
            day += timedelta(days=1)
    return ids


def _bson(value: int | Decimal) -> int | Decimal128:
    return Decimal128(value) if isinstance(value, Decimal) else value


def plain(value: Any) -> Any:
    """A stored total as Python: Decimal128 to Decimal, nested documents as dicts."""
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if k not in ("_id", "period")}
    return value


def add_into(into: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Sum nested totals into `into` (ints and Decimals)."""
    for key, value in values.items():
        if isinstance(value, Mapping):
            add_into(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value
    return into


class PeriodRollups:
    """Totals per day and per month in one collection (`period` says which)."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._rollups = collection

    @staticmethod
    def updates(day: date, inc: Increments) -> list[UpdateOne]:
        """The day's and its month's upserts for these increments."""
        update = {"$inc": {k: _bson(v) for k, v in inc.items()}}
        return [
            UpdateOne({"_id": day.isoformat(), "period": "day"}, update, upsert=True),
            UpdateOne({"_id": _month(day), "period": "month"}, update, upsert=True),
        ]

    async def add(
        self, changes: Iterable[tuple[date, Increments]], session: AsyncClientSession | None
    ) -> None:
        requests = [u for day, inc in changes if inc for u in self.updates(day, inc)]
        if requests:
            await self._rollups.bulk_write(requests, ordered=True, session=session)

    async def between(self, first: date, last: date) -> dict[str, Any]:
        """The totals of the days in [first, last], summed."""
        totals: dict[str, Any] = {}
        async for doc in self._rollups.find({"_id": {"$in": period_ids(first, last)}}):
            add_into(totals, plain(doc))
        return totals

    async def up_to(self, last: date) -> dict[str, Any]:
        """The totals of every day up to and including `last`: the months before its month,
        and its month's days. Two queries the embedded server answers from indexes (the month
        documents by `period`, the days by id); an `$or` of the two, or a range of ids, it
        answers by scanning every day ever recorded."""
        month_start = last.replace(day=1)
        totals: dict[str, Any] = {}
        async for doc in self._rollups.find({"period": "month"}):
            if doc["_id"] < _month(month_start):
                add_into(totals, plain(doc))
        return add_into(totals, await self.between(month_start, last))


# --- what one event adds ---------------------------------------------------------------------


def touchpoint_increments(
    channel: str, stage: str, satisfaction: int | None, nps: int | None, impact: int
) -> dict[str, int]:
    cell = f"cells.{channel}.{stage}."
    inc = {cell + "touchpoints": 1}
    if satisfaction is not None:
        inc[cell + "satisfaction_sum"] = satisfaction
        inc[cell + "satisfaction_count"] = 1
        inc[cell + "satisfied"] = 1 if satisfaction >= SATISFIED_FROM else 0
    if (kind := nps_class(nps)) is not None:
        inc[cell + {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}[kind]] = 1
    if impact:
        inc[cell + "negatives"] = 1
        inc[cell + "negative_impact"] = impact
    return inc


def purchase_increments(channel: str | None, amount: Decimal, units: int) -> dict[str, int | Decimal]:
    cell = f"cells.{channel or 'UNKNOWN'}.IN_SALE."
    return {cell + "orders": 1, cell + "units": units, cell + "revenue": amount}


def transition_increments(event: LifecycleEvent) -> dict[str, int]:
    return {
        f"actions.{event.action.value}": 1,
        f"net.{event.from_stage.value}": -1,
        f"net.{event.to_stage.value}": 1,
    }


def experience_cells(totals: Mapping[str, Any]) -> dict[tuple[str, str], ExperienceTotals]:
    """(channel, stage) -> totals, from summed rollups."""
    return {
        (channel, stage): ExperienceTotals.of(values)
        for channel, stages in totals.get("cells", {}).items()
        for stage, values in stages.items()
    }


# --- RFM cells ---------------------------------------------------------------------------------


def rfm_cell_increments(
    before: tuple[date, str, Decimal] | None, after: tuple[date, str, Decimal]
) -> list[UpdateOne]:
    """Move one customer from their old (last-purchase day, cell, spend) to the new one."""
    changes: dict[str, dict[str, int | Decimal]] = {}
    if before is not None:
        day, cell, spend = before
        inc = changes.setdefault(day.isoformat(), {})
        inc[f"cells.{cell}.customers"] = inc.get(f"cells.{cell}.customers", 0) - 1
        inc[f"cells.{cell}.spend"] = inc.get(f"cells.{cell}.spend", Decimal(0)) - spend
    day, cell, spend = after
    inc = changes.setdefault(day.isoformat(), {})
    inc[f"cells.{cell}.customers"] = inc.get(f"cells.{cell}.customers", 0) + 1
    inc[f"cells.{cell}.spend"] = inc.get(f"cells.{cell}.spend", Decimal(0)) + spend
    return [
        UpdateOne({"_id": day_id}, {"$inc": {k: _bson(v) for k, v in inc.items()}}, upsert=True)
        for day_id, inc in changes.items()
    ]


async def rfm_cells_up_to(
    collection: AsyncCollection[dict[str, Any]], last: date
) -> list[tuple[date, str, int, Decimal]]:
    """(last-purchase day, cell, customers, spend) for every day up to `last`."""
    found = []
    async for doc in collection.find({"_id": {"$lte": last.isoformat()}}):
        day = date.fromisoformat(doc["_id"])
        for cell, values in doc.get("cells", {}).items():
            if values.get("customers", 0):
                found.append((day, cell, values["customers"], plain(values.get("spend", Decimal(0)))))
    return found


async def _insert_fresh(
    collection: AsyncCollection[dict[str, Any]], fresh: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Insert documents whose ids were not there (inserting costs the embedded server a fifth
    of an upsert); returns those written meanwhile (a purchase, a touchpoint) instead."""
    if not fresh:
        return []
    try:
        await collection.insert_many(fresh, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return [fresh[e["index"]] for e in errors]
    return []


async def replace_all(collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]) -> int:
    """Make a rollup collection hold exactly these documents (a rebuild), writing only what
    differs: new documents inserted, changed ones replaced, stale ones deleted (found here: a
    `$nin` of every id kept costs the embedded server time quadratic in its length). Returns
    how many documents were written or deleted."""
    stored = {d["_id"]: d async for d in collection.find({})}
    fresh = [d for d in docs if d["_id"] not in stored]
    changed = [d for d in docs if d["_id"] in stored and stored[d["_id"]] != d]
    kept = {d["_id"] for d in docs}
    stale = [key for key in stored if key not in kept]
    changed += await _insert_fresh(collection, fresh)
    if changed:
        await collection.bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in changed], ordered=False
        )
    for start in range(0, len(stale), 100):
        await collection.delete_many({"_id": {"$in": stale[start : start + 100]}})
    return len(fresh) + len(changed) + len(stale)


def _flat(totals: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested totals as the dotted fields an `$inc` adds them to."""
    flat: dict[str, Any] = {}
    for key, value in totals.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


async def add_all(collection: AsyncCollection[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """Add totals documents (days, months, RFM days) into a rollup collection: a document
    whose `_id` is new is inserted, one already there gets the totals added (`$inc`), as the
    writes add theirs."""
    stored = {d["_id"] async for d in collection.find({}, {"_id": 1})}
    known = [d for d in docs if d["_id"] in stored]
    known += await _insert_fresh(collection, [d for d in docs if d["_id"] not in stored])
    if known:
        requests = [
            UpdateOne(
                {k: d[k] for k in ("_id", "period") if k in d},
                {"$inc": _flat({k: v for k, v in d.items() if k not in ("_id", "period")})},
                upsert=True,
            )
            for d in known
        ]
        await collection.bulk_write(requests, ordered=False)
