"""Care activities (campaigns, domain.md §6): the activity with its running figures
(invited, participated, satisfaction), its audience read from the customers' stored figures
(a tier, or a segment's areas), invitations written in batches (an ACTIVITY plan per invitee,
keyed by activity and customer, with its invitation task), and participation recorded once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.care import CareActivity, CareActivityKind, CareFacts, CarePlanKind, CareTaskKind
from domain.records import Channel
from domain.rfm import Segment, SegmentArea
from domain.tiers import ValueTier
from repositories.care import FACT_FIELDS, PLANS, care_facts
from repositories.customers import segment_filter
from repositories.documents import aggregate_all, by_ids, day, insert_missing, without_none
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, find_page

ACTIVITIES = "care_activities"
HELD_FIRST = SortKey("heldOn")


def to_activity(doc: Mapping[str, Any]) -> CareActivity:
    audience = doc.get("audience") or {}
    return CareActivity(
        id=str(doc["_id"]),
        name=doc["name"],
        kind=CareActivityKind(doc["kind"]),
        held_on=doc["heldOn"].date(),
        segment=Segment(audience["segment"]) if audience.get("segment") else None,
        tier=ValueTier(audience["tier"]) if audience.get("tier") else None,
        task_kind=CareTaskKind(doc["task"]["kind"]),
        channel=Channel(doc["task"]["channel"]),
        owner_id=str(doc["ownerId"]) if doc.get("ownerId") else None,
        created_at=doc["createdAt"],
        invited=doc["invited"],
        participated=doc["participated"],
        satisfaction_sum=doc["satisfactionSum"],
        satisfaction_count=doc["satisfactionCount"],
    )


def activity_document(activity: CareActivity, quarter: str) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(activity.id),
            "name": activity.name,
            "kind": activity.kind.value,
            "heldOn": day(activity.held_on),
            "quarter": quarter,
            "audience": without_none(
                {
                    "segment": activity.segment.value if activity.segment else None,
                    "tier": activity.tier.value if activity.tier else None,
                }
            ),
            "task": {"kind": activity.task_kind.value, "channel": activity.channel.value},
            "ownerId": to_object_id(activity.owner_id) if activity.owner_id else None,
            "invited": activity.invited,
            "participated": activity.participated,
            "satisfactionSum": activity.satisfaction_sum,
            "satisfactionCount": activity.satisfaction_count,
            "createdAt": activity.created_at,
        }
    )


@dataclass(frozen=True)
class Audience:
    tier: ValueTier | None = None
    segment_areas: Sequence[SegmentArea] | None = None


def audience_query(audience: Audience) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"erasedAt": {"$exists": False}}]
    if audience.tier is not None:
        clauses.append({"figures.valueTier": audience.tier.value})
    if audience.segment_areas is not None:
        clauses.append(segment_filter(audience.segment_areas))
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class QuarterTotals:
    activities: int = 0
    invited: int = 0
    participated: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0


class CareActivityRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._activities = db[ACTIVITIES]
        self._plans = db[PLANS]
        self._customers = db["customers"]

    async def create(self, activity: CareActivity, quarter: str) -> CareActivity:
        doc = activity_document(activity, quarter)
        await self._activities.insert_one(doc)
        return to_activity(doc)

    async def by_ids(self, ids: Sequence[str]) -> list[CareActivity | None]:
        return await by_ids(self._activities, ids, to_activity)

    async def page(self, quarter: str, first: int | None, after: str | None) -> Page[CareActivity]:
        return await find_page(self._activities, {"quarter": quarter}, HELD_FIRST, first, after, to_activity)

    async def quarter_totals(self, quarter: str) -> QuarterTotals:
        """The quarter's figures: a sum over its activities' running totals."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"quarter": quarter}},
            {
                "$group": {
                    "_id": None,
                    "activities": {"$sum": 1},
                    "invited": {"$sum": "$invited"},
                    "participated": {"$sum": "$participated"},
                    "satisfactionSum": {"$sum": "$satisfactionSum"},
                    "satisfactionCount": {"$sum": "$satisfactionCount"},
                }
            },
        ]
        found = await aggregate_all(self._activities, pipeline)
        if not found:
            return QuarterTotals()
        d = found[0]
        return QuarterTotals(
            d["activities"], d["invited"], d["participated"], d["satisfactionSum"], d["satisfactionCount"]
        )

    async def audience(
        self, audience: Audience, activity_id: str, limit: int, after_id: str | None = None
    ) -> tuple[list[CareFacts], str | None]:
        """Up to `limit` customers of the audience not invited yet, in id order from
        `after_id`, and the id to go on from (None when the audience is done)."""
        query = audience_query(audience)
        if after_id is not None:
            query = {"$and": [query, {"_id": {"$gt": ObjectId(after_id)}}]}
        found: list[CareFacts] = []
        last: str | None = None
        cursor = self._customers.find(query, FACT_FIELDS).sort([("_id", 1)]).limit(limit).batch_size(limit)
        docs = await cursor.to_list()
        if docs:
            invited = {
                str(d["customerId"])
                for d in await self._plans.find(
                    {"activityId": ObjectId(activity_id), "customerId": {"$in": [d["_id"] for d in docs]}},
                    {"customerId": 1},
                ).to_list()
            }
            found = [care_facts(d) for d in docs if str(d["_id"]) not in invited]
            last = str(docs[-1]["_id"]) if len(docs) == limit else None
        return found, last

    async def recount_invited(self, activity_id: str) -> CareActivity | None:
        """The invited count from the invitations that exist (right after any retry)."""
        invited = await self._plans.count_documents({"activityId": ObjectId(activity_id)})
        doc = await self._activities.find_one_and_update(
            {"_id": ObjectId(activity_id)},
            {"$set": {"invited": invited}},
            return_document=ReturnDocument.AFTER,
        )
        return to_activity(doc) if doc else None

    async def record_participation(
        self,
        activity_id: str,
        customer_id: str,
        participated: bool,
        satisfaction: int | None,
        at: datetime,
        session: AsyncClientSession,
    ) -> str:
        """Record an invitee's participation once, with the activity's running figures.
        Returns "recorded", "not_invited" or "already"."""
        guard = {"activityId": ObjectId(activity_id), "customerId": to_object_id(customer_id)}
        result = await self._plans.update_one(
            {**guard, "kind": CarePlanKind.ACTIVITY.value, "participation": {"$exists": False}},
            {
                "$set": {
                    "participation": without_none(
                        {"participated": participated, "satisfaction": satisfaction, "recordedAt": at}
                    ),
                    "updatedAt": at,
                }
            },
            session=session,
        )
        if result.matched_count == 0:
            invited = await self._plans.count_documents(guard, limit=1, session=session)
            return "already" if invited else "not_invited"
        increments = {"participated": int(participated)}
        if satisfaction is not None:
            increments |= {"satisfactionSum": satisfaction, "satisfactionCount": 1}
        await self._activities.update_one(
            {"_id": ObjectId(activity_id)}, {"$inc": increments}, session=session
        )
        return "recorded"

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        await insert_missing(self._activities, docs)
