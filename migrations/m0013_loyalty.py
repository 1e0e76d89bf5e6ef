"""Loyalty (domain.md §7): the points ledger (append-only, numbered per customer), the lots
points are held in, each customer's running balance (never below zero), referrals, and
coupons."""

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 13
DESCRIPTION = "loyalty: points ledger, lots, balances, referrals; coupons"

OID = {"bsonType": "objectId"}
REASONS = ("PURCHASE", "ACTIVITY", "REFERRAL", "QUESTIONNAIRE", "PROFILE_COMPLETION", "ADJUSTMENT")
ACTOR: dict[str, Any] = {
    "bsonType": "object",
    "required": ["id", "name", "role"],
    "properties": {"id": STRING, "name": STRING, "role": STRING},
}
COUNT = {**INT, "minimum": 0}

LEDGER: dict[str, Any] = {
    "bsonType": "object",
    "required": ["customerId", "seq", "kind", "points", "balanceAfter", "at", "recordedAt"],
    "properties": {
        "customerId": OID,
        "seq": {**INT, "minimum": 1},
        "kind": enum_of("EARN", "REDEEM", "EXPIRE"),
        "points": INT,
        "balanceAfter": COUNT,  # the balance never goes below zero
        "at": DATE,
        "awardReason": enum_of(*REASONS),
        "text": {**STRING, "maxLength": 200},
        "shares": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["lotId", "points"],
                "properties": {"lotId": OID, "points": {**INT, "minimum": 1}},
            },
        },
        "purchaseId": OID,
        "referredCustomerId": OID,
        "actor": ACTOR,
        "idempotencyKey": {**STRING, "maxLength": 200},
        "fingerprint": STRING,
        "origin": {**STRING, "maxLength": 100},
        "recordedAt": DATE,
    },
}

LOTS: dict[str, Any] = {
    "bsonType": "object",
    "required": ["customerId", "points", "remaining", "reason", "earnedAt", "availableAt", "expiresAt"],
    "properties": {
        "customerId": OID,
        "points": {**INT, "minimum": 1},
        "remaining": COUNT,
        "reason": enum_of(*REASONS),
        "earnedAt": DATE,
        "availableAt": DATE,
        "expiresAt": DATE,
    },
}

BALANCES: dict[str, Any] = {
    "bsonType": "object",
    "required": ["balance", "earned", "redeemed", "expired", "entries", "updatedAt"],
    "properties": {
        "_id": OID,  # the customer's id
        "balance": COUNT,
        "earned": COUNT,
        "redeemed": COUNT,
        "expired": COUNT,
        "entries": COUNT,
        "updatedAt": DATE,
    },
}

REFERRALS: dict[str, Any] = {
    "bsonType": "object",
    "required": ["referrerId", "status", "recordedAt", "actor"],
    "properties": {
        "_id": OID,  # the referred customer's id: a customer is referred once
        "referrerId": OID,
        "status": enum_of("PENDING", "VERIFIED"),
        "recordedAt": DATE,
        "actor": ACTOR,
        "verifiedAt": DATE,
        "purchaseId": OID,
    },
}

COUPONS: dict[str, Any] = {
    "bsonType": "object",
    "required": ["customerId", "value", "validFrom", "validTo", "issuedAt", "issuedBy"],
    "properties": {
        "customerId": OID,
        "value": {
            "bsonType": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"bsonType": "decimal"},
                "currency": {**STRING, "pattern": "^[A-Z]{3}$"},
            },
        },
        "validFrom": DATE,
        "validTo": DATE,
        "issuedAt": DATE,
        "issuedBy": ACTOR,
        "issueKey": {**STRING, "maxLength": 200},
        "fingerprint": STRING,
        "redeemedAt": DATE,
        "redeemedBy": ACTOR,
        "redemptionKey": {**STRING, "maxLength": 200},
    },
}

OPEN_LOT = {"remaining": {"$gt": 0}}


def _unique_key(field: str, name: str, *also: str) -> IndexModel:
    return IndexModel(
        [(field, ASC), *((f, ASC) for f in also)],
        name=name,
        unique=True,
        partialFilterExpression={field: {"$type": "string"}},
    )


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "loyalty_ledger", LEDGER)
    await db["loyalty_ledger"].create_indexes(
        [
            # A customer's ledger in write order; unique, so two writes can never both be
            # entry n (the balance document hands out the numbers in the same transaction).
            IndexModel([("customerId", ASC), ("seq", ASC)], name="ledger_customer_seq", unique=True),
            _unique_key("idempotencyKey", "ledger_idempotency_key_unique"),
            # What the service credits by itself, once: "purchase:<id>", "referral:<customer>",
            # "expiry:<lot>".
            _unique_key("origin", "ledger_origin_unique"),
        ]
    )
    await ensure_collection(db, "loyalty_lots", LOTS)
    await db["loyalty_lots"].create_indexes(
        [
            # A customer's open lots, soonest expiry first: what a redemption spends and
            # `loyalty.lots` lists.
            IndexModel(
                [("customerId", ASC), ("expiresAt", ASC), ("_id", ASC)],
                name="lots_open_by_customer",
                partialFilterExpression=OPEN_LOT,
            ),
            # What the expiry job takes: open lots by expiry.
            IndexModel([("expiresAt", ASC)], name="lots_open_by_expiry", partialFilterExpression=OPEN_LOT),
        ]
    )
    await ensure_collection(db, "loyalty_balances", BALANCES)
    await ensure_collection(db, "loyalty_referrals", REFERRALS)
    await db["loyalty_referrals"].create_index([("referrerId", ASC)], name="referrals_referrer")
    await ensure_collection(db, "coupons", COUPONS)
    await db["coupons"].create_indexes(
        [
            IndexModel([("customerId", ASC), ("issuedAt", DESC), ("_id", DESC)], name="coupons_customer"),
            # One coupon per customer per issue: a retried (or racing) bulk issue adds none.
            _unique_key("issueKey", "coupons_issue_key_unique", "customerId"),
            _unique_key("redemptionKey", "coupons_redemption_key_unique"),
        ]
    )
