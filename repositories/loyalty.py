"""Loyalty points: the append-only ledger, the lots points are held in, each customer's
running balance, and referrals — documents <-> domain objects, the guarded writes a
transaction makes, and the reads of a customer's loyalty.

Every credit, redemption and expiry is one transaction that writes the ledger entry, the
lots it creates or takes from, and the balance document together. The balance document
hands out each entry's number (`seq`, unique per customer) and only decreases under a
guard (`balance >= points`), and the lots only under a guard on what was read of them, so
a write that raced another is tried again on fresh data rather than applied twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import PersonalFields, Scope
from domain.lifecycle import Actor
from domain.loyalty import (
    EntryKind,
    InsufficientPoints,
    LedgerEntry,
    Lot,
    LoyaltyAccount,
    PointsAwardReason,
    Referral,
    ReferralStatus,
    Share,
)
from repositories.access import about_customers
from repositories.documents import aggregate_all, by_ids, find_all, insert_new, object_ids, without_none
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner
from repositories.transactions import StaleRead

LEDGER = "loyalty_ledger"
LOTS = "loyalty_lots"
BALANCES = "loyalty_balances"
REFERRALS = "loyalty_referrals"
IDEMPOTENCY_INDEX = "ledger_idempotency_key_unique"

#: A redemption's reason and an award's note are free text written about the customer:
#: withheld where the customer is read masked, erased on request (the points stay, so
#: the balance and every total hold).
MASKED = PersonalFields(hidden=("text",))
LEDGER_PERSONAL_DATA = Holding(LEDGER, Owner.CUSTOMER, ("customerId", "referredCustomerId"), {"text": None})
LOTS_PERSONAL_DATA = Holding(LOTS, Owner.CUSTOMER, ("customerId",))
BALANCES_PERSONAL_DATA = Holding(BALANCES, Owner.CUSTOMER, ("_id",))
REFERRALS_PERSONAL_DATA = Holding(REFERRALS, Owner.CUSTOMER, ("_id", "referrerId"))

NEWEST_FIRST = SortKey("seq", descending=True)
SOONEST_EXPIRY = SortKey("expiresAt")
OPEN = {"remaining": {"$gt": 0}}
#: Where the entry's totals go on the balance document, by kind.
TOTALS = {EntryKind.EARN: "earned", EntryKind.REDEEM: "redeemed", EntryKind.EXPIRE: "expired"}


def _actor_document(actor: Actor | None) -> dict[str, str] | None:
    return None if actor is None else {"id": actor.id, "name": actor.name, "role": actor.role}


def _actor(doc: Mapping[str, Any] | None) -> Actor | None:
    return None if not doc else Actor(id=doc["id"], name=doc["name"], role=doc["role"])


def _oid(value: str | None) -> ObjectId | None:
    return None if value is None else ObjectId(value)


def entry_document(
    entry: LedgerEntry,
    *,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    origin: str | None = None,
) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(entry.id),
            "customerId": ObjectId(entry.customer_id),
            "seq": entry.seq,
            "kind": entry.kind.value,
            "points": entry.points,
            "balanceAfter": entry.balance_after,
            "at": entry.at,
            "awardReason": entry.award_reason.value if entry.award_reason else None,
            "text": entry.text,
            "shares": [{"lotId": ObjectId(s.lot_id), "points": s.points} for s in entry.shares] or None,
            "purchaseId": _oid(entry.purchase_id),
            "referredCustomerId": _oid(entry.referred_customer_id),
            "actor": _actor_document(entry.actor),
            "idempotencyKey": idempotency_key,
            "fingerprint": fingerprint,
            "origin": origin,
            "recordedAt": entry.recorded_at or entry.at,
        }
    )


def to_entry(doc: Mapping[str, Any]) -> LedgerEntry:
    def text_of(field: str) -> str | None:
        return str(doc[field]) if doc.get(field) is not None else None

    return LedgerEntry(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        seq=doc["seq"],
        kind=EntryKind(doc["kind"]),
        points=doc["points"],
        balance_after=doc["balanceAfter"],
        at=doc["at"],
        award_reason=PointsAwardReason(doc["awardReason"]) if doc.get("awardReason") else None,
        text=doc.get("text"),
        shares=tuple(Share(str(s["lotId"]), s["points"]) for s in doc.get("shares", [])),
        purchase_id=text_of("purchaseId"),
        referred_customer_id=text_of("referredCustomerId"),
        actor=_actor(doc.get("actor")),
        recorded_at=doc.get("recordedAt"),
    )


def lot_document(lot: Lot) -> dict[str, Any]:
    return {
        "_id": ObjectId(lot.id),
        "customerId": ObjectId(lot.customer_id),
        "points": lot.points,
        "remaining": lot.remaining,
        "reason": lot.reason.value,
        "earnedAt": lot.earned_at,
        "availableAt": lot.available_at,
        "expiresAt": lot.expires_at,
    }


def to_lot(doc: Mapping[str, Any]) -> Lot:
    return Lot(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        points=doc["points"],
        remaining=doc["remaining"],
        reason=PointsAwardReason(doc["reason"]),
        earned_at=doc["earnedAt"],
        available_at=doc["availableAt"],
        expires_at=doc["expiresAt"],
    )


def balance_document(account: LoyaltyAccount, now: datetime) -> dict[str, Any]:
    return {
        "_id": ObjectId(account.customer_id),
        "balance": account.balance,
        "earned": account.earned,
        "redeemed": account.redeemed,
        "expired": account.expired,
        "entries": account.entries,
        "updatedAt": now,
    }


def to_account(doc: Mapping[str, Any]) -> LoyaltyAccount:
    return LoyaltyAccount(
        customer_id=str(doc["_id"]),
        balance=doc["balance"],
        earned=doc["earned"],
        redeemed=doc["redeemed"],
        expired=doc["expired"],
        entries=doc["entries"],
    )


def referral_document(referral: Referral) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(referral.customer_id),
            "referrerId": ObjectId(referral.referrer_id),
            "status": referral.status.value,
            "recordedAt": referral.recorded_at,
            "actor": _actor_document(referral.actor),
            "verifiedAt": referral.verified_at,
            "purchaseId": _oid(referral.purchase_id),
        }
    )


def to_referral(doc: Mapping[str, Any]) -> Referral:
    actor = _actor(doc["actor"])
    assert actor is not None
    return Referral(
        customer_id=str(doc["_id"]),
        referrer_id=str(doc["referrerId"]),
        status=ReferralStatus(doc["status"]),
        recorded_at=doc["recordedAt"],
        actor=actor,
        verified_at=doc.get("verifiedAt"),
        purchase_id=str(doc["purchaseId"]) if doc.get("purchaseId") else None,
    )


class LoyaltyRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._ledger = db[LEDGER]
        self._lots = db[LOTS]
        self._balances = db[BALANCES]
        self._referrals = db[REFERRALS]

    # --- reads ---------------------------------------------------------------------------

    async def accounts(self, customer_ids: Sequence[str]) -> dict[str, LoyaltyAccount]:
        """The running totals of these customers (those with no entry yet are left out)."""
        docs = await find_all(self._balances, {"_id": {"$in": object_ids(customer_ids)}})
        return {str(d["_id"]): to_account(d) for d in docs}

    async def available(self, customer_ids: Sequence[str], now: datetime) -> dict[str, int]:
        """Points each customer can spend now: their open lots that are available and
        not expired, summed in the database."""
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "customerId": {"$in": object_ids(customer_ids)},
                    **OPEN,
                    "availableAt": {"$lte": now},
                    "expiresAt": {"$gt": now},
                }
            },
            {"$group": {"_id": "$customerId", "points": {"$sum": "$remaining"}}},
        ]
        return {str(d["_id"]): d["points"] for d in await aggregate_all(self._lots, pipeline)}

    async def entry_pages(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[LedgerEntry]]:
        return await find_child_pages(
            self._ledger, "customerId", object_ids(customer_ids), NEWEST_FIRST, first, after, to_entry
        )

    async def entry_counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._ledger, "customerId", object_ids(customer_ids))

    async def lot_pages(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[Lot]]:
        """Lots with points left, soonest expiry first."""
        return await find_child_pages(
            self._lots, "customerId", object_ids(customer_ids), SOONEST_EXPIRY, first, after, to_lot, OPEN
        )

    async def lot_counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._lots, "customerId", object_ids(customer_ids), OPEN)

    async def entries_by_ids(self, ids: Sequence[str], scope: Scope) -> list[LedgerEntry | None]:
        return await by_ids(self._ledger, ids, to_entry, about_customers(scope))

    async def lots_by_ids(self, ids: Sequence[str], scope: Scope) -> list[Lot | None]:
        return await by_ids(self._lots, ids, to_lot, about_customers(scope))

    async def by_idempotency_key(self, key: str) -> tuple[LedgerEntry, str | None] | None:
        """The entry a key wrote, with the fingerprint of the request that wrote it."""
        doc = await self._ledger.find_one({"idempotencyKey": key})
        return (to_entry(doc), doc.get("fingerprint")) if doc else None

    async def referrals(self, customer_ids: Sequence[str]) -> dict[str, Referral]:
        """How these customers were referred (those who were)."""
        docs = await find_all(self._referrals, {"_id": {"$in": object_ids(customer_ids)}})
        return {str(d["_id"]): to_referral(d) for d in docs}

    # --- in a transaction ----------------------------------------------------------------

    async def open_lots(self, customer_id: str, session: AsyncClientSession) -> list[Lot]:
        """The customer's lots with points left (spendable, pending or past expiry)."""
        cursor = self._lots.find({"customerId": to_object_id(customer_id), **OPEN}, session=session)
        docs = await cursor.sort([("expiresAt", 1), ("_id", 1)]).to_list()
        return [to_lot(d) for d in docs]

    async def credit(
        self,
        entry: LedgerEntry,
        lot: Lot,
        session: AsyncClientSession,
        *,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        origin: str | None = None,
    ) -> LedgerEntry:
        """Add `lot` and its EARN entry (the lot has the entry's id); the balance document
        numbers the entry and says the balance after it. A key or origin used before
        raises DuplicateKeyError, and the transaction writes nothing."""
        seq, balance = await self._move_balance(entry, session)
        written = dataclasses.replace(entry, seq=seq, balance_after=balance)
        await self._ledger.insert_one(
            entry_document(written, idempotency_key=idempotency_key, fingerprint=fingerprint, origin=origin),
            session=session,
        )
        await self._lots.insert_one(lot_document(lot), session=session)
        return written

    async def debit(
        self,
        entry: LedgerEntry,
        lots: Sequence[Lot],
        session: AsyncClientSession,
        *,
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
        origin: str | None = None,
    ) -> LedgerEntry:
        """Take the entry's shares from the lots as they were read (a lot changed since is
        StaleRead: the transaction runs again on fresh data) and its points from the
        balance, never below zero; then append the entry."""
        read = {lot.id: lot for lot in lots}
        for share in entry.shares:
            lot = read[share.lot_id]
            taken = await self._lots.update_one(
                {"_id": ObjectId(lot.id), "remaining": lot.remaining},
                {"$inc": {"remaining": -share.points}},
                session=session,
            )
            if taken.matched_count == 0:
                raise StaleRead("lot")
        seq, balance = await self._move_balance(entry, session)
        written = dataclasses.replace(entry, seq=seq, balance_after=balance)
        await self._ledger.insert_one(
            entry_document(written, idempotency_key=idempotency_key, fingerprint=fingerprint, origin=origin),
            session=session,
        )
        return written

    async def _move_balance(self, entry: LedgerEntry, session: AsyncClientSession) -> tuple[int, int]:
        """Apply the entry's points to the balance document and number the entry: (seq,
        balance after). A decrease applies only while the balance covers it."""
        customer = ObjectId(entry.customer_id)
        points = entry.points
        update = {
            "$inc": {"balance": points, TOTALS[entry.kind]: abs(points), "entries": 1},
            "$set": {"updatedAt": entry.recorded_at or entry.at},
        }
        if points >= 0:
            doc = await self._balances.find_one_and_update(
                {"_id": customer},
                {
                    **update,
                    "$setOnInsert": {other: 0 for kind, other in TOTALS.items() if kind is not entry.kind},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
        else:
            doc = await self._balances.find_one_and_update(
                {"_id": customer, "balance": {"$gte": -points}},
                update,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if doc is None:
                # The lots said the points were there and the balance does not: refuse
                # rather than go below zero.
                current = await self._balances.find_one({"_id": customer}, session=session)
                raise InsufficientPoints(current["balance"] if current else 0, -points)
        assert doc is not None  # an upsert always answers the document
        return doc["entries"], doc["balance"]

    async def customers_with_expired_lots(
        self, now: datetime, limit: int, after: str | None = None
    ) -> list[str]:
        """Customers with points left in a lot past its expiry, in id order from after
        `after` (at most `limit`)."""
        match: dict[str, Any] = {**OPEN, "expiresAt": {"$lte": now}}
        if after is not None:
            match["customerId"] = {"$gt": ObjectId(after)}
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$group": {"_id": "$customerId"}},
            {"$sort": {"_id": 1}},
            {"$limit": limit},
        ]
        return [str(d["_id"]) for d in await aggregate_all(self._lots, pipeline)]

    async def record_referral(self, referral: Referral, session: AsyncClientSession) -> None:
        """A customer is referred once: a second referral raises DuplicateKeyError."""
        await self._referrals.insert_one(referral_document(referral), session=session)

    async def verify_referral(
        self, customer_id: str, purchase_id: str, at: datetime, session: AsyncClientSession
    ) -> Referral | None:
        """Mark the customer's pending referral verified by this purchase; None when there
        is none pending (never referred, or verified before)."""
        doc = await self._referrals.find_one_and_update(
            {"_id": ObjectId(customer_id), "status": ReferralStatus.PENDING.value},
            {
                "$set": {
                    "status": ReferralStatus.VERIFIED.value,
                    "verifiedAt": at,
                    "purchaseId": ObjectId(purchase_id),
                }
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return to_referral(doc) if doc else None

    # --- bulk (demo data) and the consistency check ---------------------------------------

    async def insert_many(
        self,
        entries: list[dict[str, Any]],
        lots: list[dict[str, Any]],
        balances: list[dict[str, Any]],
        referrals: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Insert prepared documents not there yet; returns how many entries were added.
        The balances go last: a balance is there only once its ledger is."""
        added = await insert_new(self._ledger, entries)
        await insert_new(self._lots, lots)
        await insert_new(self._referrals, list(referrals))
        await insert_new(self._balances, balances)
        return added

    async def inconsistencies(self) -> list[dict[str, Any]]:
        """Customers whose running balance is not what their ledger adds up to, or not
        what is left in their lots (a rebuild's check: empty when all is well)."""
        ledger = {
            d["_id"]: d
            for d in await aggregate_all(
                self._ledger,
                [{"$group": {"_id": "$customerId", "points": {"$sum": "$points"}, "entries": {"$sum": 1}}}],
            )
        }
        lots = {
            d["_id"]: d["points"]
            for d in await aggregate_all(
                self._lots, [{"$group": {"_id": "$customerId", "points": {"$sum": "$remaining"}}}]
            )
        }
        balances = {d["_id"]: d for d in await find_all(self._balances, {})}
        found = []
        for customer in sorted(set(ledger) | set(lots) | set(balances)):
            balance = balances.get(customer, {})
            held = {
                "balance": balance.get("balance", 0),
                "ledger": ledger.get(customer, {}).get("points", 0),
                "lots": lots.get(customer, 0),
                "entries": balance.get("entries", 0),
                "ledgerEntries": ledger.get(customer, {}).get("entries", 0),
            }
            if (
                len({held["balance"], held["ledger"], held["lots"]}) > 1
                or held["entries"] != held["ledgerEntries"]
            ):
                found.append({"customerId": str(customer), **held})
        return found
