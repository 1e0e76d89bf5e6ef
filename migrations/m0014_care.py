"""Care plans (domain.md §6, §4 letters): the care rules as data — templates (the playbook's
tables as defaults) and statutory holidays —, plans and their dated tasks with the indexes
the due list and the schedule job read, care activities with their running figures, and
the running totals of key-account letter answers per period."""

import hashlib
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of
from migrations.m0012_journeys import CHANNELS, TIERS

VERSION = 14
DESCRIPTION = "care: templates, holidays, plans, tasks, activities, key-account letter totals"

OID = {"bsonType": "objectId"}
PLAN_KINDS = (
    "QUALITY_NEW",
    "NEW",
    "REGULAR",
    "VIP",
    "ACTIVATION",
    "RETENTION",
    "WIN_BACK",
    "REVIEW_FOLLOW_UP",
    "COMMUNITY",
    "KEY_ACCOUNT_LETTERS",
    "ACTIVITY",
)
TASK_KINDS = ("PHONE_CALL", "EMAIL", "SMS", "GREETING", "GIFT", "SURVEY", "VISIT", "OFFER")
TASK_STATUSES = ("PENDING", "DONE", "SKIPPED", "FAILED")
SCHEDULES = ("AFTER", "EVERY", "PER_PURCHASE", "MONTHLY", "BIRTHDAY", "HOLIDAY", "LETTER")
SEGMENTS = ("HIGH_VALUE_LOYAL", "POTENTIAL", "NEW", "AT_RISK", "CANNOT_LOSE", "DORMANT")
DAYS = {**INT, "minimum": 0, "maximum": 3660}

TEMPLATES_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["_id", "rule", "name", "appliesTo", "task", "schedule", "marketing", "active", "order"],
    "properties": {
        "_id": OID,
        "rule": {**STRING, "pattern": "^[a-z0-9-]{1,64}$"},
        "name": {**STRING, "maxLength": 200},
        "appliesTo": {"bsonType": "array", "minItems": 1, "items": enum_of(*PLAN_KINDS)},
        "task": {
            "bsonType": "object",
            "required": ["kind", "channel"],
            "properties": {"kind": enum_of(*TASK_KINDS), "channel": enum_of(*CHANNELS)},
        },
        "schedule": {
            "bsonType": "object",
            "required": ["type"],
            "properties": {
                "type": enum_of(*SCHEDULES),
                "days": DAYS,
                "forDays": DAYS,
                "monthDays": {"bsonType": "array", "items": {**INT, "minimum": 1, "maximum": 31}},
                "everyMonths": {**INT, "enum": [1, 2, 3, 4, 6, 12]},
                "ofChild": {"bsonType": "bool"},
            },
        },
        "marketing": {"bsonType": "bool"},
        "match": {
            "bsonType": "object",
            "properties": {
                "types": {"bsonType": "array", "items": STRING},
                "channels": {"bsonType": "array", "items": enum_of(*CHANNELS)},
                "satisfactionAtMost": {**INT, "minimum": 1, "maximum": 5},
                "npsAtMost": {**INT, "minimum": 0, "maximum": 10},
                "negativeSentiment": {"bsonType": "bool"},
                "activeWithinDays": DAYS,
            },
        },
        "active": {"bsonType": "bool"},
        "order": INT,
        "source": STRING,
    },
}

HOLIDAYS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["_id", "day", "name"],
    "properties": {
        "_id": {**STRING, "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "day": DATE,
        "name": {**STRING, "maxLength": 200},
    },
}

PLANS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["key", "customerId", "kind", "status", "startedAt", "startDay", "reason", "createdAt"],
    "properties": {
        "key": {**STRING, "maxLength": 300},
        "customerId": OID,
        "kind": enum_of(*PLAN_KINDS),
        "status": enum_of("ACTIVE", "COMPLETED", "CLOSED"),
        "startedAt": DATE,
        "startDay": {**INT, "minimum": 1, "maximum": 31},
        "reason": {**STRING, "maxLength": 500},
        "skippedChannels": {"bsonType": "array", "items": enum_of(*CHANNELS)},
        "closedAt": DATE,
        "closedReason": {**STRING, "maxLength": 500},
        "lastActivityAt": DATE,
        "keyAccountId": OID,
        "activityId": OID,
        "participation": {
            "bsonType": "object",
            "required": ["participated", "recordedAt"],
            "properties": {
                "participated": {"bsonType": "bool"},
                "satisfaction": {**INT, "minimum": 1, "maximum": 5},
                "recordedAt": DATE,
            },
        },
        "createdAt": DATE,
        "updatedAt": DATE,
    },
}

TASKS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": [
        "key",
        "planId",
        "customerId",
        "planKind",
        "rule",
        "title",
        "kind",
        "channel",
        "dueAt",
        "status",
        "createdAt",
    ],
    "properties": {
        "key": {**STRING, "maxLength": 400},
        "planId": OID,
        "customerId": OID,
        "planKind": enum_of(*PLAN_KINDS),
        "rule": {**STRING, "maxLength": 64},
        "title": {**STRING, "maxLength": 400},
        "kind": enum_of(*TASK_KINDS),
        "channel": enum_of(*CHANNELS),
        "dueAt": DATE,
        "status": enum_of(*TASK_STATUSES),
        "outcome": {**STRING, "maxLength": 2000},
        "ownerId": OID,
        "completedAt": DATE,
        "completedBy": {"bsonType": "object", "required": ["id", "name", "role"]},
        "keyAccountId": OID,
        "contactId": OID,
        "activityId": OID,
        "period": {**STRING, "maxLength": 40},
        "answer": {
            "bsonType": "object",
            "required": ["satisfaction", "loyaltyIntent"],
            "properties": {
                "satisfaction": {**INT, "minimum": 1, "maximum": 5},
                "loyaltyIntent": {"bsonType": "bool"},
            },
        },
        "createdAt": DATE,
    },
}

ACTIVITIES_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": [
        "name",
        "kind",
        "heldOn",
        "quarter",
        "audience",
        "task",
        "invited",
        "participated",
        "satisfactionSum",
        "satisfactionCount",
        "createdAt",
    ],
    "properties": {
        "name": {**STRING, "maxLength": 200},
        "kind": enum_of("APPRECIATION_DAY", "HOLIDAY_CARE", "PRODUCT_TRIAL", "OTHER"),
        "heldOn": DATE,
        "quarter": {**STRING, "pattern": "^[0-9]{4}-Q[1-4]$"},
        "audience": {
            "bsonType": "object",
            "properties": {"segment": enum_of(*SEGMENTS), "tier": enum_of(*TIERS)},
        },
        "task": {
            "bsonType": "object",
            "required": ["kind", "channel"],
            "properties": {"kind": enum_of(*TASK_KINDS), "channel": enum_of(*CHANNELS)},
        },
        "ownerId": OID,
        "invited": {**INT, "minimum": 0},
        "participated": {**INT, "minimum": 0},
        "satisfactionSum": {**INT, "minimum": 0},
        "satisfactionCount": {**INT, "minimum": 0},
        "createdAt": DATE,
    },
}

LETTER_TOTALS_SCHEMA: dict[str, Any] = {
    "bsonType": "object",
    "required": ["_id", "keyAccountId", "period", "periodStart"],
    "properties": {
        "_id": STRING,  # account id : period
        "keyAccountId": OID,
        "period": {**STRING, "maxLength": 40},
        "periodStart": DATE,
        "letters": {**INT, "minimum": 0},
        "answers": {**INT, "minimum": 0},
        "satisfactionSum": {**INT, "minimum": 0},
        "satisfied": {**INT, "minimum": 0},
        "loyal": {**INT, "minimum": 0},
    },
}


def template_id(rule: str) -> ObjectId:
    """A default template's id, the same in every database (so ids in docs and tests hold)."""
    return ObjectId(hashlib.sha256(f"care-template:{rule}".encode()).hexdigest()[:24])


def _template(
    rule: str,
    name: str,
    applies_to: list[str],
    kind: str,
    channel: str,
    schedule: dict[str, Any],
    order: int,
    source: str,
    *,
    marketing: bool = True,
    match: dict[str, Any] | None = None,
) -> dict[str, Any]:
    doc = {
        "_id": template_id(rule),
        "rule": rule,
        "name": name,
        "appliesTo": applies_to,
        "task": {"kind": kind, "channel": channel},
        "schedule": schedule,
        "marketing": marketing,
        "active": True,
        "order": order,
        "source": source,
    }
    if match is not None:
        doc["match"] = match
    return doc


REPEAT = ["REGULAR", "VIP"]  # "VIP: as regular, plus …"
#: The playbook's tables (domain.md §6), one template per row and task.
TEMPLATES = [
    _template(
        "quality-new-call",
        "Return-visit call on experience and use",
        ["QUALITY_NEW"],
        "PHONE_CALL",
        "PHONE",
        {"type": "AFTER", "days": 7},
        10,
        "Return visits: quality new (first order of 4+ units) — phone call",
    ),
    _template(
        "new-questionnaire",
        "Questionnaire on experience and use",
        ["NEW"],
        "SURVEY",
        "EMAIL",
        {"type": "AFTER", "days": 8},
        20,
        "Return visits: ordinary new — email questionnaire 8 days after the first purchase",
    ),
    _template(
        "new-tips",
        "Usage tip",
        ["NEW", "QUALITY_NEW"],
        "SMS",
        "SMS",
        {"type": "EVERY", "days": 3, "forDays": 30},
        30,
        "Messages: new — tips by SMS every 3 days for 30 days after the first purchase",
    ),
    _template(
        "repeat-monthly-email",
        "Monthly email for the customer's stage",
        REPEAT,
        "EMAIL",
        "EMAIL",
        {"type": "MONTHLY"},
        40,
        "Return visits: regular and VIP — monthly email (e.g. a product-stage reminder)",
    ),
    _template(
        "repeat-birthday-card",
        "E-birthday card",
        REPEAT,
        "GREETING",
        "EMAIL",
        {"type": "BIRTHDAY"},
        50,
        "Return visits: regular and VIP — e-birthday card (customer)",
    ),
    _template(
        "repeat-child-birthday-card",
        "E-birthday card for the child",
        REPEAT,
        "GREETING",
        "EMAIL",
        {"type": "BIRTHDAY", "ofChild": True},
        51,
        "Return visits: regular and VIP — e-birthday card (child)",
    ),
    _template(
        "repeat-holiday-greeting",
        "Holiday greeting",
        REPEAT,
        "GREETING",
        "SMS",
        {"type": "HOLIDAY"},
        60,
        "Messages: regular and VIP — greetings on statutory holidays",
    ),
    _template(
        "repeat-shipment-tracking",
        "Shipment tracking message",
        REPEAT,
        "SMS",
        "SMS",
        {"type": "PER_PURCHASE", "days": 0},
        70,
        "Messages: regular and VIP — shipment tracking messages per purchase",
    ),
    _template(
        "vip-tips",
        "VIP tip",
        ["VIP"],
        "SMS",
        "SMS",
        {"type": "MONTHLY", "monthDays": [1, 15]},
        80,
        "Messages: VIP — two tips a month, on the 1st and the 15th",
    ),
    _template(
        "review-call",
        "Timely call about the review",
        ["REVIEW_FOLLOW_UP"],
        "PHONE_CALL",
        "PHONE",
        {"type": "AFTER", "days": 0},
        90,
        "Return visits: flagged, doubtful or negative reviewers — timely phone call",
        match={
            "types": ["REVIEW", "SURVEY"],
            "satisfactionAtMost": 3,
            "npsAtMost": 6,
            "negativeSentiment": True,
        },
    ),
    _template(
        "community-call",
        "Quarterly care call",
        ["COMMUNITY"],
        "PHONE_CALL",
        "PHONE",
        {"type": "MONTHLY", "monthDays": [1], "everyMonths": 3},
        100,
        "Return visits: active in community groups and forums — phone care once a quarter",
        match={"channels": ["COMMUNITY"], "activeWithinDays": 92},
    ),
    _template(
        "activation-offer",
        "Welcome-back offer",
        ["ACTIVATION"],
        "OFFER",
        "SMS",
        {"type": "AFTER", "days": 0},
        110,
        "Activation: a new customer who has not bought again — an incentive",
    ),
    _template(
        "activation-reminder",
        "Reminder of the offer",
        ["ACTIVATION"],
        "EMAIL",
        "EMAIL",
        {"type": "AFTER", "days": 7},
        111,
        "Activation: a reminder a week later",
    ),
    _template(
        "retention-call",
        "Care call",
        ["RETENTION"],
        "PHONE_CALL",
        "PHONE",
        {"type": "AFTER", "days": 0},
        120,
        "Retention: at risk — a timely call",
    ),
    _template(
        "retention-offer",
        "Loyalty reward",
        ["RETENTION"],
        "OFFER",
        "SMS",
        {"type": "AFTER", "days": 2},
        121,
        "Retention: at risk — product and price rewards",
    ),
    _template(
        "win-back-offer",
        "Win-back offer",
        ["WIN_BACK"],
        "OFFER",
        "SMS",
        {"type": "AFTER", "days": 0},
        130,
        "Win-back: lapsed — an offer",
    ),
    _template(
        "win-back-survey",
        "Why did you leave? survey",
        ["WIN_BACK"],
        "SURVEY",
        "EMAIL",
        {"type": "AFTER", "days": 3},
        131,
        "Win-back: lapsed — a survey of why they left",
    ),
    _template(
        "key-account-letter",
        "Consultation and satisfaction letter",
        ["KEY_ACCOUNT_LETTERS"],
        "SURVEY",
        "EMAIL",
        {"type": "LETTER"},
        140,
        "Key accounts (§4): periodic consultation/satisfaction letters to decision makers",
        marketing=False,
    ),
]


def _day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


#: Statutory holidays of the deployment's default region (CN): the day greetings go out.
HOLIDAYS = [
    ("2026-01-01", "New Year's Day"),
    ("2026-02-17", "Spring Festival"),
    ("2026-04-05", "Qingming Festival"),
    ("2026-05-01", "Labour Day"),
    ("2026-06-19", "Dragon Boat Festival"),
    ("2026-09-25", "Mid-Autumn Festival"),
    ("2026-10-01", "National Day"),
    ("2027-01-01", "New Year's Day"),
    ("2027-02-06", "Spring Festival"),
    ("2027-04-05", "Qingming Festival"),
    ("2027-05-01", "Labour Day"),
    ("2027-06-09", "Dragon Boat Festival"),
    ("2027-09-15", "Mid-Autumn Festival"),
    ("2027-10-01", "National Day"),
]


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "care_templates", TEMPLATES_SCHEMA)
    await db["care_templates"].create_index([("rule", ASC)], name="care_templates_rule_unique", unique=True)
    for doc in TEMPLATES:
        # Defaults only where the business has not written its own.
        await db["care_templates"].update_one({"rule": doc["rule"]}, {"$setOnInsert": doc}, upsert=True)
    await ensure_collection(db, "care_holidays", HOLIDAYS_SCHEMA)
    await db["care_holidays"].create_index([("day", ASC)], name="care_holidays_day")
    for key, name in HOLIDAYS:
        y, m, d = (int(x) for x in key.split("-"))
        await db["care_holidays"].update_one(
            {"_id": key}, {"$setOnInsert": {"day": _day(y, m, d), "name": name}}, upsert=True
        )

    await ensure_collection(db, "care_plans", PLANS_SCHEMA)
    await db["care_plans"].create_indexes(
        [
            IndexModel([("key", ASC)], name="care_plans_key_unique", unique=True),
            IndexModel([("customerId", ASC), ("startedAt", DESC), ("_id", DESC)], name="care_plans_customer"),
            IndexModel([("startedAt", DESC), ("_id", DESC)], name="care_plans_newest"),
            IndexModel(
                [("kind", ASC), ("status", ASC), ("startedAt", DESC), ("_id", DESC)], name="care_plans_kind"
            ),
            # The schedule job: open plans of a kind, started on a day of the month.
            IndexModel([("kind", ASC), ("status", ASC), ("startDay", ASC)], name="care_plans_schedule"),
            IndexModel([("activityId", ASC), ("customerId", ASC)], name="care_plans_activity"),
        ]
    )
    await ensure_collection(db, "care_tasks", TASKS_SCHEMA)
    await db["care_tasks"].create_indexes(
        [
            IndexModel([("key", ASC)], name="care_tasks_key_unique", unique=True),
            # The due list: by day, and by day within each filter.
            IndexModel([("dueAt", ASC), ("_id", ASC)], name="care_tasks_due"),
            IndexModel([("status", ASC), ("dueAt", ASC), ("_id", ASC)], name="care_tasks_status_due"),
            IndexModel([("customerId", ASC), ("dueAt", ASC), ("_id", ASC)], name="care_tasks_customer_due"),
            IndexModel([("ownerId", ASC), ("dueAt", ASC), ("_id", ASC)], name="care_tasks_owner_due"),
            IndexModel(
                [("channel", ASC), ("status", ASC), ("dueAt", ASC), ("_id", ASC)],
                name="care_tasks_channel_due",
            ),
            IndexModel([("planId", ASC), ("dueAt", ASC), ("_id", ASC)], name="care_tasks_plan"),
        ]
    )
    await ensure_collection(db, "care_activities", ACTIVITIES_SCHEMA)
    await db["care_activities"].create_index(
        [("quarter", ASC), ("heldOn", ASC), ("_id", ASC)], name="care_activities_quarter"
    )
    await ensure_collection(db, "key_account_satisfaction", LETTER_TOTALS_SCHEMA)
    await db["key_account_satisfaction"].create_index(
        [("keyAccountId", ASC), ("periodStart", ASC)], name="key_account_satisfaction_account"
    )
    # The schedule job's activation step: ACQUIRED customers by their last purchase.
    await db["customers"].create_index(
        [("lifecycleStage", ASC), ("figures.lastPurchaseAt", ASC)], name="customers_stage_last_purchase"
    )
