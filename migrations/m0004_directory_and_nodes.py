"""The directory of users (ordered and searched by folded name) and what fetching every
record by its global id needs: follow-ups are found by their own id inside their visit."""

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, STRING, ensure_collection, enum_of

VERSION = 4
DESCRIPTION = "users directory (name order, search terms); follow-ups by id"

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
    },
}


async def apply(db: AsyncDatabase) -> None:
    # Users created before this migration get their name fields, computed in Python (the
    # folding is Unicode-aware): the directory holds staff and partners, a few thousand.
    from repositories.users import name_fields  # the one definition of what is stored

    users = db["users"]
    async for user in users.find({"nameSort": {"$exists": False}}, {"name": 1}):
        await users.update_one({"_id": user["_id"]}, {"$set": name_fields(user["name"])})
    await ensure_collection(db, "users", USERS)
    await users.create_indexes(
        [
            IndexModel([("nameSort", ASC), ("_id", ASC)], name="users_name_order"),
            IndexModel([("role", ASC), ("nameSort", ASC), ("_id", ASC)], name="users_role_name"),
            IndexModel([("searchTerms", ASC)], name="users_search_terms"),
        ]
    )
    await db["visit_logs"].create_indexes([IndexModel([("followUps.id", ASC)], name="visit_logs_follow_up")])
