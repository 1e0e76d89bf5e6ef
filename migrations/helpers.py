"""What migrations share: create a collection with its validator, or update the validator."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase


async def ensure_collection(db: AsyncDatabase, name: str, schema: dict[str, Any]) -> None:
    validator = {"$jsonSchema": schema}
    if name in await db.list_collection_names():
        await db.command("collMod", name, validator=validator, validationLevel="strict")
    else:
        await db.create_collection(name, validator=validator, validationLevel="strict")


def enum_of(*values: str) -> dict[str, Any]:
    return {"bsonType": "string", "enum": list(values)}


STRING = {"bsonType": "string"}
DATE = {"bsonType": "date"}
INT = {"bsonType": ["int", "long"]}
