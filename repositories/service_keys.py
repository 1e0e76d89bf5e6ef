"""Secrets the service makes for itself, kept in the database so every instance shares
them (a cursor one instance issued opens on another) and restarts keep them."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

COLLECTION = "service_keys"
CURSOR_KEY = "cursors"


async def service_key(db: AsyncDatabase[dict[str, Any]], name: str, now: datetime) -> bytes:
    """The key named `name`, made (256 random bits) by whichever instance asks first."""
    keys = db[COLLECTION]
    for _ in range(2):  # two instances may race to make it: the loser reads the winner's
        try:
            doc = await keys.find_one_and_update(
                {"_id": name},
                {"$setOnInsert": {"key": Binary(secrets.token_bytes(32)), "createdAt": now}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            continue
        assert doc is not None  # upserted
        return bytes(doc["key"])
    raise RuntimeError(f"service key {name!r} could not be read")
