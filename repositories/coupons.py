"""Coupons: documents <-> domain objects, the issue (one customer, or a segment's customers
in bulk, once per key) and the single-use redemption (one conditional write)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import Decimal128, ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.coupons import Coupon
from domain.lifecycle import Actor
from repositories.access import about_customers
from repositories.documents import INSERT_CHUNK, by_ids, insert_new, money, object_ids, without_none
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner

COUPONS = "coupons"
#: A coupon holds no personal field; it stays whole on erasure (what was given is kept).
PERSONAL_DATA = Holding(COUPONS, Owner.CUSTOMER, ("customerId",))
REDEMPTION_INDEX = "coupons_redemption_key_unique"
NEWEST_FIRST = SortKey("issuedAt", descending=True)


def _actor_document(actor: Actor) -> dict[str, str]:
    return {"id": actor.id, "name": actor.name, "role": actor.role}


def _actor(doc: Mapping[str, Any] | None) -> Actor | None:
    return None if not doc else Actor(id=doc["id"], name=doc["name"], role=doc["role"])


def coupon_document(coupon: Coupon, issue_key: str | None, fingerprint: str | None) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(coupon.id),
            "customerId": ObjectId(coupon.customer_id),
            "value": {"amount": Decimal128(coupon.value.amount), "currency": coupon.value.currency},
            "validFrom": coupon.valid_from,
            "validTo": coupon.valid_to,
            "issuedAt": coupon.issued_at,
            "issuedBy": _actor_document(coupon.issued_by),
            "issueKey": issue_key,
            "fingerprint": fingerprint,
            "redeemedAt": coupon.redeemed_at,
            "redeemedBy": _actor_document(coupon.redeemed_by) if coupon.redeemed_by else None,
        }
    )


def to_coupon(doc: Mapping[str, Any]) -> Coupon:
    value = money(doc["value"])
    issued_by = _actor(doc["issuedBy"])
    assert value is not None and issued_by is not None
    return Coupon(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        value=value,
        valid_from=doc["validFrom"],
        valid_to=doc["validTo"],
        issued_at=doc["issuedAt"],
        issued_by=issued_by,
        redeemed_at=doc.get("redeemedAt"),
        redeemed_by=_actor(doc.get("redeemedBy")),
    )


class CouponRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._coupons = db[COUPONS]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[Coupon | None]:
        return await by_ids(self._coupons, ids, to_coupon, about_customers(scope))

    async def pages_by_customer(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[Coupon]]:
        return await find_child_pages(
            self._coupons, "customerId", object_ids(customer_ids), NEWEST_FIRST, first, after, to_coupon
        )

    async def counts_by_customer(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._coupons, "customerId", object_ids(customer_ids))

    async def issue(self, docs: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """Insert an issue's coupons in one transaction; a key used before for one of the
        customers raises DuplicateKeyError (or BulkWriteError), and nothing is written."""
        for start in range(0, len(docs), INSERT_CHUNK):  # each insert within the deadline
            await self._coupons.insert_many(docs[start : start + INSERT_CHUNK], ordered=True, session=session)

    async def issued_with_key(self, key: str) -> tuple[Coupon, str | None, int] | None:
        """The first coupon an issue key made, its request's fingerprint, and how many
        coupons the key made in all."""
        doc = await self._coupons.find_one({"issueKey": key}, sort=[("_id", 1)])
        if doc is None:
            return None
        count = await self._coupons.count_documents({"issueKey": key})
        return to_coupon(doc), doc.get("fingerprint"), count

    async def redeem(self, coupon_id: str, now: datetime, actor: Actor, key: str) -> Coupon | None:
        """Use the coupon, only if it is unused and inside its window now (one conditional
        write: of two racing redemptions one applies). None when it was not redeemable;
        a key that redeemed another coupon raises DuplicateKeyError."""
        doc = await self._coupons.find_one_and_update(
            {
                "_id": to_object_id(coupon_id),
                "redeemedAt": {"$exists": False},
                "validFrom": {"$lte": now},
                "validTo": {"$gt": now},
            },
            {"$set": {"redeemedAt": now, "redeemedBy": _actor_document(actor), "redemptionKey": key}},
            return_document=ReturnDocument.AFTER,
        )
        return to_coupon(doc) if doc else None

    async def redeemed_with_key(self, key: str) -> Coupon | None:
        doc = await self._coupons.find_one({"redemptionKey": key})
        return to_coupon(doc) if doc else None

    async def get(self, coupon_id: str) -> Coupon | None:
        doc = await self._coupons.find_one({"_id": to_object_id(coupon_id)})
        return to_coupon(doc) if doc else None

    async def insert_many(self, docs: list[dict[str, Any]]) -> int:
        """Insert prepared coupons not there yet (demo data)."""
        return await insert_new(self._coupons, docs)
