"""Complaint figures kept on write: one document per day (UTC) of running totals, updated
in the same transaction as the move that changes them, so `complaintStats` reads at most
a year of day documents with one aggregation instead of scanning the items.

A day holds: items filed (by category, kind and channel, on the day they were received),
first-response times in seconds (on the day of the response; kept as a list so the
median is exact), clocks met and met on time (overall, per owner and per department, on
the day they were met), resolutions and reopenings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.complaints import Complaint
from domain.sla import SlaClock

DAILY = "complaint_stats_daily"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


class ComplaintStatsRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._daily = db[DAILY]

    async def _inc(
        self, day: str, inc: Mapping[str, int], session: AsyncClientSession | None, push: Any = None
    ) -> None:
        update: dict[str, Any] = {"$inc": dict(inc)}
        if push is not None:
            update["$push"] = push
        await self._daily.update_one({"_id": day}, update, upsert=True, session=session)

    async def filed(self, complaint: Complaint, session: AsyncClientSession | None = None) -> None:
        await self._inc(
            _day(complaint.received_at),
            {
                "filed": 1,
                f"byCategory.{complaint.category.value}": 1,
                f"byKind.{complaint.kind.value}": 1,
                f"byChannel.{complaint.channel.value}": 1,
            },
            session,
        )

    async def moved(
        self, before: Complaint, after: Complaint, now: datetime, session: AsyncClientSession | None = None
    ) -> None:
        """The totals a move changes: clocks it met, a resolution, a reopening."""
        inc: dict[str, int] = {}
        push: dict[str, Any] | None = None
        for name, clock in after.clocks.items():
            was = before.clocks.get(name)
            if clock.met_at is None or (
                was is not None and was.met_at is not None and was.started_at == clock.started_at
            ):
                continue
            state = after.clock(name, now)
            assert state is not None
            on_time = 0 if state.breached else 1
            keys = [f"clocks.{name.value}"]
            if after.owner_id:
                keys.append(f"owners.{after.owner_id}.{name.value}")
            if after.department_id:
                keys.append(f"departments.{after.department_id}.{name.value}")
            for key in keys:
                inc[f"{key}.met"] = inc.get(f"{key}.met", 0) + 1
                inc[f"{key}.onTime"] = inc.get(f"{key}.onTime", 0) + on_time
            if name is SlaClock.FIRST_RESPONSE:
                push = {"firstResponseSeconds": int((clock.met_at - clock.started_at).total_seconds())}
        if after.status.value == "RESOLVED" and before.status.value != "RESOLVED":
            inc["resolved"] = 1
        if after.status.value == "IN_PROGRESS" and before.status.value in ("RESOLVED", "CLOSED"):
            inc["reopened"] = 1
        if inc or push:
            await self._inc(_day(now), inc, session, push)

    async def between(self, first_day: date, last_day: date) -> dict[str, Any]:
        """The totals of the days in [first_day, last_day], summed in the database."""
        match = {"$match": {"_id": {"$gte": first_day.isoformat(), "$lte": last_day.isoformat()}}}
        totals: dict[str, Any] = {}
        # At most a year of day documents of totals (their keys vary: categories, owners).
        async for day in await self._daily.aggregate([match, {"$project": {"firstResponseSeconds": 0}}]):
            _add(totals, {k: v for k, v in day.items() if k not in ("_id", "firstResponseSeconds")})
        times_pipeline: list[dict[str, Any]] = [
            match,
            {"$unwind": "$firstResponseSeconds"},
            {"$group": {"_id": None, "times": {"$push": "$firstResponseSeconds"}}},
        ]
        times: list[int] = []
        async for doc in await self._daily.aggregate(times_pipeline):
            times = sorted(doc["times"])
        totals["firstResponseSeconds"] = times
        return totals


def _add(into: dict[str, Any], values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, Mapping):
            _add(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value
