"""Customers may be shared with partners (a partner portal reads only those) and have
their personal data erased on request: the fields, and the indexes a partner's list uses."""

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations import m0001_customers
from migrations.helpers import DATE, STRING, ensure_collection

VERSION = 8
DESCRIPTION = "customers: sharedWith (partner ids) and erasedAt; partner list indexes"

_BASE: dict[str, Any] = m0001_customers.SCHEMA
SCHEMA: dict[str, Any] = {
    **_BASE,
    "properties": {
        **_BASE["properties"],
        "sharedWith": {"bsonType": "array", "maxItems": 20, "items": {**STRING, "maxLength": 64}},
        "erasedAt": DATE,
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "customers", SCHEMA)
    await db["customers"].create_indexes(
        [
            IndexModel(
                [("sharedWith", ASC), ("createdAt", ASC), ("_id", ASC)], name="customers_shared_created"
            ),
            IndexModel([("sharedWith", ASC), ("nameSort", ASC), ("_id", ASC)], name="customers_shared_name"),
        ]
    )
