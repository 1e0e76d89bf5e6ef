"""Users and their API tokens (stored as hashes)."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, STRING, ensure_collection, enum_of

VERSION = 2
DESCRIPTION = "users and api_tokens collections"

USERS = {
    "bsonType": "object",
    "required": ["name", "role", "createdAt"],
    "properties": {
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "role": enum_of("ADMIN", "CX_AGENT", "ACCOUNT_MANAGER", "PARTNER", "ANALYST"),
        "partnerId": {"bsonType": ["string", "null"]},
        "createdAt": DATE,
    },
}

TOKENS = {
    "bsonType": "object",
    "required": ["_id", "userId", "createdAt"],
    "properties": {"_id": STRING, "userId": {"bsonType": "objectId"}, "createdAt": DATE},
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "users", USERS)
    await db["users"].create_indexes([IndexModel([("name", ASC)], name="users_name_unique", unique=True)])
    await ensure_collection(db, "api_tokens", TOKENS)
    await db["api_tokens"].create_indexes([IndexModel([("userId", ASC)], name="api_tokens_user")])
