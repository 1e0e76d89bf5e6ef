"""Journey touchpoints: documents <-> domain objects, the (optionally idempotent) insert,
a customer's touchpoints newest first and a journey in order, and the raw pipelines that
rebuilds and past reports run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import PersonalFields, Scope
from domain.records import Channel
from domain.touchpoints import (
    DETRACTOR_UP_TO,
    PROMOTER_FROM,
    SATISFIED_FROM,
    JourneyStage,
    Sentiment,
    Touchpoint,
    TouchpointRequest,
    TouchpointType,
    negative_impact,
)
from repositories.access import about_customers
from repositories.documents import aggregate_all, by_ids, insert_new, object_ids, without_none
from repositories.pagination import Page, Paging, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner
from repositories.records import day_of

TOUCHPOINTS = "touchpoints"
IDEMPOTENCY_INDEX = "touchpoints_idempotency_key_unique"
NEWEST_FIRST = SortKey("occurredAt", descending=True)
#: What the customer said is personal: withheld where the customer is read masked, erased
#: on request (the scores stay, so the figures hold).
MASKED = PersonalFields(hidden=("notes",))
PERSONAL_DATA = Holding(TOUCHPOINTS, Owner.CUSTOMER, ("customerId",), {"notes": None})


def to_touchpoint(doc: Mapping[str, Any]) -> Touchpoint:
    return Touchpoint(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        channel=Channel(doc["channel"]),
        stage=JourneyStage(doc["stage"]),
        type=TouchpointType(doc["type"]),
        occurred_at=doc["occurredAt"],
        satisfaction=doc.get("satisfaction"),
        nps=doc.get("nps"),
        sentiment=Sentiment(doc["sentiment"]) if doc.get("sentiment") else None,
        notes=doc.get("notes"),
        created_at=doc["createdAt"],
    )


def touchpoint_document(
    request: TouchpointRequest, touchpoint_id: ObjectId, fingerprint: str | None, now: datetime
) -> dict[str, Any]:
    """The stored touchpoint, with its negative impact (so rebuilds sum what writes summed)."""
    return without_none(
        {
            "_id": touchpoint_id,
            "customerId": ObjectId(request.customer_id),
            "channel": request.channel.value,
            "stage": request.stage.value,
            "type": request.type.value,
            "occurredAt": request.occurred_at,
            "satisfaction": request.satisfaction,
            "nps": request.nps,
            "sentiment": request.sentiment.value if request.sentiment else None,
            "notes": request.notes,
            "impact": negative_impact(request.satisfaction, request.nps, request.sentiment),
            "idempotencyKey": request.idempotency_key,
            "fingerprint": fingerprint,
            "createdAt": now,
        }
    )


class TouchpointRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._touchpoints = db[TOUCHPOINTS]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[Touchpoint | None]:
        return await by_ids(self._touchpoints, ids, to_touchpoint, about_customers(scope))

    async def record(self, doc: dict[str, Any], session: AsyncClientSession) -> None:
        """Insert a touchpoint; a key used before raises DuplicateKeyError."""
        await self._touchpoints.insert_one(doc, session=session)

    async def by_idempotency_key(self, key: str) -> tuple[Touchpoint, str | None] | None:
        doc = await self._touchpoints.find_one({"idempotencyKey": key})
        return (to_touchpoint(doc), doc.get("fingerprint")) if doc else None

    async def insert_many(self, docs: list[dict[str, Any]]) -> int:
        """Insert prepared touchpoints, skipping those already there (seeding); returns how
        many were added."""
        return await insert_new(self._touchpoints, docs)

    async def pages_by_customer(
        self, customer_ids: Sequence[str], paging: Paging
    ) -> dict[str, Page[Touchpoint]]:
        return await find_child_pages(
            self._touchpoints,
            "customerId",
            object_ids(customer_ids),
            NEWEST_FIRST,
            paging,
            to_touchpoint,
        )

    async def counts_by_customer(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._touchpoints, "customerId", object_ids(customer_ids))

    async def journeys(
        self, customer_ids: Sequence[str], first: datetime, last: datetime, limit: int
    ) -> dict[str, tuple[list[Touchpoint], int]]:
        """Per customer, their touchpoints in [first, last] in time order (the latest `limit`
        of them, the end of a journey being what counts) and how many there are in all."""
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "customerId": {"$in": object_ids(customer_ids)},
                    "occurredAt": {"$gte": first, "$lte": last},
                }
            },
            {
                "$setWindowFields": {
                    "partitionBy": "$customerId",
                    "sortBy": {"occurredAt": -1, "_id": -1},
                    "output": {"_rank": {"$documentNumber": {}}, "_count": {"$count": {}}},
                }
            },
            {"$match": {"_rank": {"$lte": limit}}},
        ]
        found: dict[str, tuple[list[Touchpoint], int]] = {c: ([], 0) for c in customer_ids}
        docs = sorted(
            await aggregate_all(self._touchpoints, pipeline), key=lambda d: (d["occurredAt"], d["_id"])
        )
        for doc in docs:
            key = str(doc["customerId"])
            items, _ = found[key]
            items.append(to_touchpoint(doc))
            found[key] = (items, doc["_count"])
        return found

    # --- raw pipelines: rebuilds, past reports, and the benchmark's comparison ---

    async def figures_by_customer(self) -> list[dict[str, Any]]:
        """Per customer: touchpoints, first and last, and the latest answered touchpoint
        (ties on time broken by id, as domain.figures orders them)."""
        answered = {
            "$or": [
                {"$ne": [{"$ifNull": ["$satisfaction", None]}, None]},
                {"$ne": [{"$ifNull": ["$nps", None]}, None]},
            ]
        }
        pipeline: list[dict[str, Any]] = [
            {
                "$group": {
                    "_id": "$customerId",
                    "touchpoints": {"$sum": 1},
                    "first": {"$min": "$occurredAt"},
                    "last": {"$max": "$occurredAt"},
                    "answer": {
                        "$max": {
                            "$cond": [
                                answered,
                                {
                                    "at": "$occurredAt",
                                    "id": "$_id",
                                    "satisfaction": "$satisfaction",
                                    "nps": "$nps",
                                },
                                None,
                            ]
                        }
                    },
                }
            },
        ]
        return await aggregate_all(self._touchpoints, pipeline)

    async def totals_by_day_channel_stage(
        self, first: datetime | None = None, last: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The experience totals rollups keep, per (UTC day, channel, stage)."""
        bounds: dict[str, Any] = {}
        if first is not None:
            bounds["$gte"] = first
        if last is not None:
            bounds["$lt"] = last

        def count(condition: dict[str, Any]) -> dict[str, Any]:
            return {"$sum": {"$cond": [condition, 1, 0]}}

        has_satisfaction = {"$ne": [{"$ifNull": ["$satisfaction", None]}, None]}
        has_nps = {"$ne": [{"$ifNull": ["$nps", None]}, None]}
        pipeline: list[dict[str, Any]] = [
            {"$match": {"occurredAt": bounds} if bounds else {}},
            {
                "$group": {
                    "_id": {"day": day_of("occurredAt"), "channel": "$channel", "stage": "$stage"},
                    "touchpoints": {"$sum": 1},
                    "satisfaction_sum": {"$sum": {"$ifNull": ["$satisfaction", 0]}},
                    "satisfaction_count": count(has_satisfaction),
                    "satisfied": count(
                        {"$and": [has_satisfaction, {"$gte": ["$satisfaction", SATISFIED_FROM]}]}
                    ),
                    "promoters": count({"$and": [has_nps, {"$gte": ["$nps", PROMOTER_FROM]}]}),
                    "passives": count(
                        {
                            "$and": [
                                has_nps,
                                {"$gt": ["$nps", DETRACTOR_UP_TO]},
                                {"$lt": ["$nps", PROMOTER_FROM]},
                            ]
                        }
                    ),
                    "detractors": count({"$and": [has_nps, {"$lte": ["$nps", DETRACTOR_UP_TO]}]}),
                    "negatives": count({"$gt": ["$impact", 0]}),
                    "negative_impact": {"$sum": "$impact"},
                }
            },
        ]
        return await aggregate_all(self._touchpoints, pipeline)
