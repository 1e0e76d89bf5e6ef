"""Signing in with a password (domain/sign_in.py): users may hold an argon2id password
hash, and failed sign-ins are counted per name in `sign_in_failures` (pruned by the
service a day after the last one, by its clock)."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 15
DESCRIPTION = "users' password hashes; sign_in_failures counted per name"

USERS = {
    "bsonType": "object",
    "required": ["name", "nameSort", "searchTerms", "role", "createdAt"],
    "properties": {
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "nameSort": STRING,
        "searchTerms": {"bsonType": "array", "items": STRING},
        "role": enum_of("ADMIN", "CX_AGENT", "ACCOUNT_MANAGER", "PARTNER", "ANALYST"),
        "partnerId": {"bsonType": ["string", "null"]},
        "createdAt": DATE,
        # argon2id in its PHC string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash)
        "passwordHash": {"bsonType": "string", "pattern": "^[$]argon2id[$]", "maxLength": 400},
        "passwordChangedAt": DATE,
    },
}

SIGN_IN_FAILURES = {
    "bsonType": "object",
    "required": ["_id", "count", "lastAt"],
    "additionalProperties": False,
    "properties": {
        "_id": {"bsonType": "string", "maxLength": 200},
        "count": {**INT, "minimum": 1},
        "lastAt": DATE,
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "users", USERS)
    await ensure_collection(db, "sign_in_failures", SIGN_IN_FAILURES)
    await db["sign_in_failures"].create_indexes([IndexModel([("lastAt", ASC)], name="sign_in_failures_last")])
