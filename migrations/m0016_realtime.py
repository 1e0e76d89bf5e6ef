"""Real time: the event log (`events`, the outbox every change writes in its own
transaction), webhook endpoints and their deliveries."""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 16
DESCRIPTION = "events (the outbox), webhooks and webhook_deliveries"

EVENT_TYPES = (
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "CUSTOMER_STAGE_CHANGED",
    "GRADE_CHANGED",
    "VISIT_LOGGED",
    "FOLLOW_UP_COMPLETED",
    "CONTACT_ADDED",
    "CONTACT_UPDATED",
    "CONTACT_REMOVED",
    "CONTRACT_ADDED",
    "COMPLAINT_FILED",
    "COMPLAINT_MOVED",
    "COMPLAINT_SLA_BREACHED",
)
OBJECT_ID = {"bsonType": "objectId"}
CODE = {"bsonType": "string", "maxLength": 64}

EVENTS = {
    "bsonType": "object",
    "required": ["_id", "type", "topic", "at", "customerId"],
    "additionalProperties": False,
    "properties": {
        "_id": OBJECT_ID,
        "type": enum_of(*EVENT_TYPES),
        "topic": enum_of("CUSTOMER", "KEY_ACCOUNT", "COMPLAINT"),
        "at": DATE,
        "customerId": OBJECT_ID,
        "keyAccountId": OBJECT_ID,
        "complaintId": OBJECT_ID,
        "recordId": OBJECT_ID,
        "ownerId": OBJECT_ID,
        "departmentId": OBJECT_ID,
        # codes only (stages, grades, statuses, the action, the SLA clock): never free text
        "detail": {"bsonType": "object", "additionalProperties": CODE},
        "fanOut": {"enum": [True]},  # webhook deliveries not made yet
    },
}

WEBHOOKS = {
    "bsonType": "object",
    "required": ["_id", "url", "events", "secret", "active", "createdAt", "version"],
    "additionalProperties": False,
    "properties": {
        "_id": OBJECT_ID,
        "url": {"bsonType": "string", "maxLength": 2000},
        "events": {"bsonType": "array", "items": enum_of(*EVENT_TYPES), "maxItems": len(EVENT_TYPES)},
        "partnerId": {"bsonType": "string", "maxLength": 200},
        "secret": {"bsonType": "string", "minLength": 32, "maxLength": 200},
        "active": {"bsonType": "bool"},
        "createdAt": DATE,
        "createdBy": OBJECT_ID,
        "updatedAt": DATE,
        "version": {**INT, "minimum": 1},
    },
}

ATTEMPT = {
    "bsonType": "object",
    "required": ["at", "durationMs"],
    "additionalProperties": False,
    "properties": {
        "at": DATE,
        "durationMs": {**INT, "minimum": 0},
        "statusCode": INT,
        "error": {"bsonType": "string", "maxLength": 200},  # the error's class name, never its text
    },
}

DELIVERIES = {
    "bsonType": "object",
    "required": ["_id", "webhookId", "eventId", "eventType", "status", "createdAt", "nextAttemptAt"],
    "additionalProperties": False,
    "properties": {
        "_id": OBJECT_ID,
        "webhookId": OBJECT_ID,
        "eventId": OBJECT_ID,
        "eventType": enum_of(*EVENT_TYPES),
        "status": enum_of("PENDING", "DELIVERED", "FAILED", "SKIPPED"),
        "createdAt": DATE,
        "nextAttemptAt": DATE,
        "attemptCount": {**INT, "minimum": 0},
        "attempts": {"bsonType": "array", "items": ATTEMPT},
        "retryFrom": DATE,  # a redelivery's fresh retry window
        "claimedBy": STRING,
        "claimUntil": DATE,
        "deliveredAt": DATE,
        "failedAt": DATE,
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "events", EVENTS)
    await db["events"].create_indexes(
        [
            IndexModel([("at", ASC), ("_id", ASC)], name="events_by_time"),
            IndexModel([("customerId", ASC), ("at", ASC)], name="events_by_customer"),
            IndexModel(
                [("fanOut", ASC), ("at", ASC), ("_id", ASC)],
                name="events_to_fan_out",
                partialFilterExpression={"fanOut": True},
            ),
        ]
    )
    await ensure_collection(db, "webhooks", WEBHOOKS)
    await db["webhooks"].create_indexes(
        [IndexModel([("createdAt", DESC), ("_id", DESC)], name="webhooks_newest_first")]
    )
    await ensure_collection(db, "webhook_deliveries", DELIVERIES)
    await db["webhook_deliveries"].create_indexes(
        [
            IndexModel([("webhookId", ASC), ("eventId", ASC)], name="deliveries_once", unique=True),
            IndexModel([("status", ASC), ("nextAttemptAt", ASC)], name="deliveries_due"),
            IndexModel(
                [("webhookId", ASC), ("createdAt", DESC), ("_id", DESC)], name="deliveries_newest_first"
            ),
            IndexModel(
                [("webhookId", ASC), ("status", ASC), ("createdAt", DESC), ("_id", DESC)],
                name="deliveries_by_status",
            ),
        ]
    )
