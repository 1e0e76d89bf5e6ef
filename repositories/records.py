"""Purchase records: documents <-> domain objects, the idempotent insert, reads for a
dossier or a customer, and the raw pipelines rebuilds and past reports run over them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.purchases import CheckedPurchase
from domain.records import Channel, Purchase, PurchaseLine
from domain.rfm import RfmThresholds
from repositories.access import about_customers
from repositories.documents import (
    aggregate_all,
    by_ids,
    insert_new,
    money,
    money_document,
    object_ids,
)
from repositories.pagination import Page, Paging, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner

PURCHASES = "purchases"
#: Purchases hold no personal field and stay whole, so sales figures do not change when a
#: customer is erased.
PURCHASE_PERSONAL_DATA = Holding(PURCHASES, Owner.CUSTOMER, ("customerId",))
IDEMPOTENCY_INDEX = "purchases_idempotency_key_unique"


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value else None


def to_purchase(doc: Mapping[str, Any]) -> Purchase:
    return Purchase(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        purchased_at=doc["purchasedAt"],
        amount=money(doc["amount"]),  # type: ignore[arg-type]
        units=doc["units"],
        channel=_enum(Channel, doc.get("channel")),
        lines=tuple(
            PurchaseLine(x["sku"], x["quantity"], x["unitPrice"].to_decimal(), x["pointsPerUnit"])
            for x in doc.get("lines", [])
        ),
        points=doc.get("points", 0),
    )


def purchase_document(purchase: CheckedPurchase, purchase_id: ObjectId, now: datetime) -> dict[str, Any]:
    return {
        "_id": purchase_id,
        "customerId": ObjectId(purchase.customer_id),
        "purchasedAt": purchase.purchased_at,
        "channel": purchase.channel.value,
        "amount": money_document(purchase.amount),
        "units": purchase.units,
        "points": purchase.points,
        "lines": [
            {
                "sku": x.sku,
                "quantity": x.quantity,
                "unitPrice": Decimal128(x.unit_price),
                "pointsPerUnit": x.points_per_unit,
            }
            for x in purchase.lines
        ],
        "idempotencyKey": purchase.idempotency_key,
        "fingerprint": purchase.fingerprint,
        "recordedAt": now,
    }


def day_of(field: str) -> dict[str, Any]:
    """A stored time's UTC day as "YYYY-MM-DD", in a pipeline."""
    return {"$dateToString": {"format": "%Y-%m-%d", "date": f"${field}"}}


class RecordRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._purchases = db[PURCHASES]

    async def purchases_by_ids(self, ids: Sequence[str], scope: Scope) -> list[Purchase | None]:
        return await by_ids(self._purchases, ids, to_purchase, about_customers(scope))

    async def purchase_pages(self, customer_ids: Sequence[str], paging: Paging) -> dict[str, Page[Purchase]]:
        key = SortKey("purchasedAt", descending=True)
        return await find_child_pages(
            self._purchases, "customerId", object_ids(customer_ids), key, paging, to_purchase
        )

    async def purchase_counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._purchases, "customerId", object_ids(customer_ids))

    async def insert_purchases(self, docs: list[dict[str, Any]]) -> int:
        """Insert prepared purchases, skipping those already there (seeding); returns how many
        were added."""
        return await insert_new(self._purchases, docs)

    async def record(self, doc: dict[str, Any], session: AsyncClientSession) -> None:
        """Insert a new purchase; a key used before raises DuplicateKeyError."""
        await self._purchases.insert_one(doc, session=session)

    async def by_idempotency_key(self, key: str) -> tuple[Purchase, str | None] | None:
        """The purchase a key recorded, with the fingerprint of the request that did."""
        doc = await self._purchases.find_one({"idempotencyKey": key})
        return (to_purchase(doc), doc.get("fingerprint")) if doc else None

    # --- raw pipelines: rebuilds, past reports, and the benchmark's comparison ---

    async def figures_by_customer(self, up_to: datetime | None = None) -> list[dict[str, Any]]:
        """Per customer: orders, units, spend, first and last purchase, and the first
        purchase's units and id (ties on time broken by id, as domain.figures orders them)."""
        match: dict[str, Any] = {"purchasedAt": {"$lte": up_to}} if up_to else {}
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {
                "$group": {
                    "_id": "$customerId",
                    "orders": {"$sum": 1},
                    "units": {"$sum": "$units"},
                    "spend": {"$sum": "$amount.amount"},
                    "last": {"$max": "$purchasedAt"},
                    "first": {"$min": {"at": "$purchasedAt", "id": "$_id", "units": "$units"}},
                }
            },
        ]
        return await aggregate_all(self._purchases, pipeline)

    async def totals_by_day_and_channel(
        self, first: datetime | None = None, last: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Orders, units and revenue per (UTC day, channel)."""
        bounds: dict[str, Any] = {}
        if first is not None:
            bounds["$gte"] = first
        if last is not None:
            bounds["$lt"] = last
        pipeline: list[dict[str, Any]] = [
            {"$match": {"purchasedAt": bounds} if bounds else {}},
            {
                "$group": {
                    "_id": {"day": day_of("purchasedAt"), "channel": "$channel"},
                    "orders": {"$sum": 1},
                    "units": {"$sum": "$units"},
                    "revenue": {"$sum": "$amount.amount"},
                }
            },
        ]
        return await aggregate_all(self._purchases, pipeline)

    async def rfm_cells_as_of(
        self, last: datetime, thresholds: RfmThresholds
    ) -> list[tuple[date, str, int, Decimal]]:
        """(last-purchase day, F/M cell, customers, spend) of the purchases before `last`,
        scored in the pipeline: what rfm_cells holds, computed from the raw purchases."""

        def score(field: str, limits: Sequence[int | Decimal]) -> dict[str, Any]:
            value = {"$toDecimal": field}
            branches = [
                {"case": {"$gte": [value, Decimal128(Decimal(limit))]}, "then": str(s)}
                for s, limit in zip((5, 4, 3, 2), limits, strict=True)
            ]
            return {"$switch": {"branches": branches, "default": "1"}}

        pipeline: list[dict[str, Any]] = [
            {"$match": {"purchasedAt": {"$lt": last}}},
            {
                "$group": {
                    "_id": "$customerId",
                    "orders": {"$sum": 1},
                    "spend": {"$sum": "$amount.amount"},
                    "last": {"$max": "$purchasedAt"},
                }
            },
            {
                "$group": {
                    "_id": {
                        "day": day_of("last"),
                        "cell": {
                            "$concat": [
                                score("$orders", thresholds.frequency),
                                score("$spend", thresholds.monetary),
                            ]
                        },
                    },
                    "customers": {"$sum": 1},
                    "spend": {"$sum": "$spend"},
                }
            },
        ]
        return [
            (date.fromisoformat(d["_id"]["day"]), d["_id"]["cell"], d["customers"], d["spend"].to_decimal())
            for d in await aggregate_all(self._purchases, pipeline)
        ]
