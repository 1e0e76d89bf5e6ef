"""Journeys and value (domain.md §1, §3, §8): purchases become recordable (lines, points, an
idempotency key), touchpoints get their collection, customers carry their running figures
(tier, RFM cell, churn risk) with the indexes their filters use, marketing consent with
its history and a child's birthday, and the rollups reports
read: experience and lifecycle totals per day and month, and RFM cells per last-purchase day."""

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations import m0003_key_accounts, m0008_sharing_and_erasure
from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 12
DESCRIPTION = "purchases with lines, touchpoints, customer figures, experience/lifecycle/RFM rollups"

OID = {"bsonType": "objectId"}
DECIMAL = {"bsonType": "decimal"}
CHANNELS = (
    "PHONE",
    "EMAIL",
    "CHAT",
    "SOCIAL",
    "SMS",
    "STORE",
    "APP",
    "MINI_PROGRAM",
    "WEBSITE",
    "VISIT",
    "COMMUNITY",
)
TIERS = ("NONE", "NEW", "QUALITY_NEW", "REGULAR", "VIP")

PURCHASES: dict[str, Any] = {
    **m0003_key_accounts.PURCHASES,
    "properties": {
        **m0003_key_accounts.PURCHASES["properties"],
        "channel": enum_of(*CHANNELS),
        "lines": {
            "bsonType": "array",
            "maxItems": 100,
            "items": {
                "bsonType": "object",
                "required": ["sku", "quantity", "unitPrice", "pointsPerUnit"],
                "properties": {
                    "sku": {**STRING, "maxLength": 64},
                    "quantity": {**INT, "minimum": 1},
                    "unitPrice": DECIMAL,
                    "pointsPerUnit": {**INT, "minimum": 0},
                },
            },
        },
        "points": {**INT, "minimum": 0},
        "idempotencyKey": {**STRING, "maxLength": 200},
        "fingerprint": STRING,
        "recordedAt": DATE,
    },
}

TOUCHPOINTS: dict[str, Any] = {
    "bsonType": "object",
    "required": ["customerId", "channel", "stage", "type", "occurredAt", "impact", "createdAt"],
    "properties": {
        "customerId": OID,
        "channel": enum_of(*CHANNELS),
        "stage": enum_of("PRE_SALE", "IN_SALE", "AFTER_SALE"),
        "type": enum_of(
            "INQUIRY",
            "CALL",
            "PURCHASE",
            "PAYMENT",
            "DELIVERY",
            "USAGE",
            "SERVICE_REQUEST",
            "COMPLAINT",
            "REVIEW",
            "SURVEY",
            "CARE",
            "VISIT",
        ),
        "occurredAt": DATE,
        "satisfaction": {**INT, "minimum": 1, "maximum": 5},
        "nps": {**INT, "minimum": 0, "maximum": 10},
        "sentiment": enum_of("POSITIVE", "NEUTRAL", "NEGATIVE"),
        "notes": {**STRING, "maxLength": 2000},
        "impact": {**INT, "minimum": 0, "maximum": 1000},
        "idempotencyKey": {**STRING, "maxLength": 200},
        "fingerprint": STRING,
        "createdAt": DATE,
    },
}

_CUSTOMERS: dict[str, Any] = m0008_sharing_and_erasure.SCHEMA
CUSTOMERS: dict[str, Any] = {
    **_CUSTOMERS,
    "properties": {
        **_CUSTOMERS["properties"],
        "childBirthday": DATE,
        "consent": {
            "bsonType": "object",
            "required": ["sms", "email", "phone"],
            "properties": {
                "sms": {"bsonType": "bool"},
                "email": {"bsonType": "bool"},
                "phone": {"bsonType": "bool"},
            },
        },
        "consentHistory": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["channel", "given", "at", "source", "actor"],
                "properties": {
                    "channel": enum_of("SMS", "EMAIL", "PHONE"),
                    "given": {"bsonType": "bool"},
                    "at": DATE,
                    "source": {**STRING, "maxLength": 100},
                },
            },
        },
        "figures": {
            "bsonType": "object",
            "required": ["orders", "units", "spend", "touchpoints", "valueTier"],
            "properties": {
                "orders": {**INT, "minimum": 0},
                "units": {**INT, "minimum": 0},
                "spend": DECIMAL,
                "firstPurchaseAt": DATE,
                "lastPurchaseAt": DATE,
                "touchpoints": {**INT, "minimum": 0},
                "valueTier": enum_of(*TIERS),
                "rfmCell": {**STRING, "pattern": "^[1-5][1-5]$"},
            },
        },
    },
}

#: A rollup document: a day ("2026-11-22") or a month ("2026-11") of running totals.
PERIOD_ROLLUP: dict[str, Any] = {
    "bsonType": "object",
    "required": ["_id", "period"],
    "properties": {
        "_id": {**STRING, "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"},
        "period": enum_of("day", "month"),
    },
}
RFM_CELLS: dict[str, Any] = {
    "bsonType": "object",
    "required": ["_id"],
    "properties": {
        "_id": {**STRING, "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "cells": {"bsonType": "object"},
    },
}

UNIQUE_KEY = {"idempotencyKey": {"$type": "string"}}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "purchases", PURCHASES)
    await db["purchases"].create_indexes(
        [
            IndexModel(
                [("idempotencyKey", ASC)],
                name="purchases_idempotency_key_unique",
                unique=True,
                partialFilterExpression=UNIQUE_KEY,
            ),
            # Raw pipelines (rebuilds, past reports) read purchases by time.
            IndexModel([("purchasedAt", ASC)], name="purchases_time"),
        ]
    )
    await ensure_collection(db, "touchpoints", TOUCHPOINTS)
    await db["touchpoints"].create_indexes(
        [
            IndexModel(
                [("customerId", ASC), ("occurredAt", DESC), ("_id", DESC)], name="touchpoints_customer"
            ),
            IndexModel([("occurredAt", ASC)], name="touchpoints_time"),
            IndexModel(
                [("idempotencyKey", ASC)],
                name="touchpoints_idempotency_key_unique",
                unique=True,
                partialFilterExpression=UNIQUE_KEY,
            ),
        ]
    )
    await ensure_collection(db, "customers", CUSTOMERS)
    await db["customers"].create_indexes(
        [
            IndexModel(
                [("figures.valueTier", ASC), ("createdAt", ASC), ("_id", ASC)], name="customers_tier_created"
            ),
            IndexModel([("figures.churnRisk.score", ASC)], name="customers_churn_risk"),
            IndexModel([("figures.lastPurchaseAt", ASC)], name="customers_last_purchase"),
            IndexModel(
                [("figures.rfmCell", ASC), ("figures.lastPurchaseAt", ASC)], name="customers_rfm_cell"
            ),
        ]
    )
    # Rollups: one document per UTC day ("2026-11-22") and per month ("2026-11"), so a
    # period reads its whole months and the days at its ends. RFM cells: one document per
    # last-purchase day. Their _id is their key; no other index is needed.
    for name in ("experience_rollups", "lifecycle_rollups"):
        await ensure_collection(db, name, PERIOD_ROLLUP)
    await ensure_collection(db, "rfm_cells", RFM_CELLS)
    await db["experience_rollups"].create_index([("period", ASC), ("_id", ASC)], name="experience_period")
    await db["lifecycle_rollups"].create_index([("period", ASC), ("_id", ASC)], name="lifecycle_period")
