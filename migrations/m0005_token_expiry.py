"""API tokens may expire (the development demo token does): the database removes expired
ones by itself (TTL index); the token check refuses them before that runs."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, STRING, ensure_collection

VERSION = 5
DESCRIPTION = "api_tokens: expiresAt (TTL) and the demo mark"

TOKENS = {
    "bsonType": "object",
    "required": ["_id", "userId", "createdAt"],
    "properties": {
        "_id": STRING,
        "userId": {"bsonType": "objectId"},
        "createdAt": DATE,
        "expiresAt": DATE,
        "demo": {"bsonType": "bool"},
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "api_tokens", TOKENS)
    await db["api_tokens"].create_indexes(
        [IndexModel([("expiresAt", ASC)], name="api_tokens_expiry", expireAfterSeconds=0)]
    )
