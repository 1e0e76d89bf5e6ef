"""Tokens get a life: each has its own public id (an ObjectId `_id`; the secret's hash
moves to a unique `hash` field), a name, an expiry, lastUsedAt and revokedAt. Expired and
revoked tokens are kept (lists and the audit log name them); only demo tokens are still
removed by the database once expired."""

from contextlib import suppress

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from migrations.helpers import DATE, STRING, ensure_collection

VERSION = 7
DESCRIPTION = "api_tokens: public ids, names, expiry, last use, revocation"

TOKENS = {
    "bsonType": "object",
    "required": ["_id", "hash", "userId", "name", "createdAt"],
    "properties": {
        "_id": {"bsonType": "objectId"},
        "hash": STRING,
        "userId": {"bsonType": "objectId"},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "createdAt": DATE,
        "expiresAt": DATE,  # absent only on tokens issued before tokens expired
        "lastUsedAt": DATE,
        "revokedAt": DATE,
        "demo": {"bsonType": "bool"},
    },
}


async def apply(db: AsyncDatabase) -> None:
    tokens = db["api_tokens"]
    await ensure_collection(db, "api_tokens", TOKENS)
    # Before the move, so a move that crashed half way cannot copy a token twice. Partial:
    # documents not moved yet have no hash.
    await tokens.create_indexes(
        [
            IndexModel(
                [("hash", ASC)],
                name="api_tokens_hash",
                unique=True,
                partialFilterExpression={"hash": {"$exists": True}},
            )
        ]
    )
    # Old documents were keyed by the hash: copy each under a new id, then remove it.
    async for old in tokens.find({"_id": {"$type": "string"}}):
        moved = {
            **{k: v for k, v in old.items() if k != "_id"},
            "hash": old["_id"],
            "name": "demo" if old.get("demo") else "cli",
        }
        with suppress(DuplicateKeyError):  # copied by a run that stopped before removing it
            await tokens.insert_one(moved)
        await tokens.delete_one({"_id": old["_id"]})
    indexes = await (await tokens.list_indexes()).to_list()
    if any(index["name"] == "api_tokens_expiry" for index in indexes):
        await tokens.drop_index("api_tokens_expiry")
    await tokens.create_indexes(
        [
            IndexModel(
                [("expiresAt", ASC)],
                name="api_tokens_demo_expiry",
                expireAfterSeconds=0,
                partialFilterExpression={"demo": True},
            ),
            # tokens(...) lists newest first, for everyone or for one user
            IndexModel([("createdAt", DESC), ("_id", DESC)], name="api_tokens_newest"),
            IndexModel([("userId", ASC), ("createdAt", DESC), ("_id", DESC)], name="api_tokens_user_newest"),
        ]
    )
