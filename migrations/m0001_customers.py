"""Customers: validator and the indexes their list queries use."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 1
DESCRIPTION = "customers collection, validator and indexes"

STAGES = ("PROSPECT", "ACQUIRED", "ACTIVE", "RETAINED", "AT_RISK", "LAPSED")
ACTIONS = ("ACQUIRE", "ACTIVATE", "RETAIN", "FLAG_AT_RISK", "LAPSE", "WIN_BACK")

SCHEMA = {
    "bsonType": "object",
    "required": [
        "kind",
        "name",
        "nameSort",
        "searchTerms",
        "tags",
        "lifecycleStage",
        "lifecycleHistory",
        "version",
        "createdAt",
        "updatedAt",
    ],
    "properties": {
        "kind": enum_of("PERSON", "ORGANIZATION"),
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "nameSort": STRING,
        "searchTerms": {"bsonType": "array", "items": STRING},
        "email": {"bsonType": "string", "maxLength": 254},
        "emailKey": STRING,
        "phone": {"bsonType": "string", "maxLength": 32},
        "birthday": DATE,
        "tags": {"bsonType": "array", "maxItems": 50, "items": STRING},
        "source": {"bsonType": "string", "maxLength": 100},
        "lifecycleStage": enum_of(*STAGES),
        "lifecycleHistory": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["action", "from", "to", "at", "actor", "reason"],
                "properties": {
                    "action": enum_of(*ACTIONS),
                    "from": enum_of(*STAGES),
                    "to": enum_of(*STAGES),
                    "at": DATE,
                    "actor": {"bsonType": "object", "required": ["id", "name", "role"]},
                    "reason": STRING,
                },
            },
        },
        "version": {**INT, "minimum": 1},
        "createdAt": DATE,
        "updatedAt": DATE,
        "idempotencyKey": STRING,
    },
}

INDEXES = [
    IndexModel([("createdAt", ASC), ("_id", ASC)], name="customers_created"),
    IndexModel([("nameSort", ASC), ("_id", ASC)], name="customers_name"),
    IndexModel([("lifecycleStage", ASC), ("createdAt", ASC), ("_id", ASC)], name="customers_stage_created"),
    IndexModel([("lifecycleStage", ASC), ("nameSort", ASC), ("_id", ASC)], name="customers_stage_name"),
    IndexModel([("tags", ASC), ("createdAt", ASC), ("_id", ASC)], name="customers_tag_created"),
    IndexModel([("searchTerms", ASC)], name="customers_search_terms"),
    IndexModel(
        [("emailKey", ASC)],
        name="customers_email_unique",
        unique=True,
        partialFilterExpression={"emailKey": {"$type": "string"}},
    ),
    IndexModel(
        [("idempotencyKey", ASC)],
        name="customers_idempotency_key_unique",
        unique=True,
        partialFilterExpression={"idempotencyKey": {"$type": "string"}},
    ),
]


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "customers", SCHEMA)
    await db["customers"].create_indexes(INDEXES)
