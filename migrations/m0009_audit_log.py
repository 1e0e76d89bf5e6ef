"""The audit log: one insert-only entry per mutation, listed newest first, by actor,
operation and time range."""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, STRING, ensure_collection, enum_of

VERSION = 9
DESCRIPTION = "audit_log collection (insert only) and its list indexes"

AUDIT_LOG = {
    "bsonType": "object",
    "required": ["_id", "at", "actor", "operation", "ids", "result", "errorCodes", "requestId"],
    "additionalProperties": False,
    "properties": {
        "_id": {"bsonType": "objectId"},
        "at": DATE,
        "actor": {
            "bsonType": "object",
            "required": ["id", "name", "role"],
            "additionalProperties": False,
            "properties": {
                "id": {"bsonType": "objectId"},
                "name": STRING,
                "role": enum_of("ADMIN", "CX_AGENT", "ACCOUNT_MANAGER", "PARTNER", "ANALYST"),
            },
        },
        "token": {
            "bsonType": "object",
            "additionalProperties": False,
            "properties": {"id": {"bsonType": ["string", "null"]}, "name": {"bsonType": ["string", "null"]}},
        },
        "operation": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "ids": {"bsonType": "array", "maxItems": 200, "items": STRING},
        "result": enum_of("OK", "REFUSED", "REJECTED", "FAILED"),
        "errorCodes": {"bsonType": "array", "maxItems": 20, "items": STRING},
        "requestId": STRING,
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "audit_log", AUDIT_LOG)
    newest_first = [("at", DESC), ("_id", DESC)]
    await db["audit_log"].create_indexes(
        [
            # No filter, or only a time range.
            IndexModel(newest_first, name="audit_log_newest_first"),
            IndexModel([("actor.id", ASC), *newest_first], name="audit_log_actor"),
            IndexModel([("operation", ASC), *newest_first], name="audit_log_operation"),
            IndexModel(
                [("actor.id", ASC), ("operation", ASC), *newest_first], name="audit_log_actor_operation"
            ),
        ]
    )
