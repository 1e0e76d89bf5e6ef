"""Failed sign-ins, counted per name (domain/sign_in.py) in the database, so every
instance sees the same count. One small document per name that failed lately; a success
removes it, and every failure prunes those whose last failure is a day old (by the
service's clock, not a TTL index on the wall clock: the count's life is a domain rule)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.sign_in import FAILURES_FORGOTTEN_AFTER, Failures

COLLECTION = "sign_in_failures"


class SignInFailureRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._failures = db[COLLECTION]

    async def get(self, key: str) -> Failures | None:
        doc = await self._failures.find_one({"_id": key})
        return Failures(count=doc["count"], last_at=doc["lastAt"]) if doc else None

    async def record_failure(self, key: str, now: datetime) -> None:
        """One more failure for `key`; a count older than a day starts again at one."""
        recent = now - FAILURES_FORGOTTEN_AFTER
        counted = await self._failures.update_one(
            {"_id": key, "lastAt": {"$gt": recent}}, {"$inc": {"count": 1}, "$set": {"lastAt": now}}
        )
        if counted.matched_count == 0:
            await self._failures.replace_one({"_id": key}, {"count": 1, "lastAt": now}, upsert=True)
            # A name counted afresh: a good moment to forget the counts nobody added to for a day.
            await self._failures.delete_many({"lastAt": {"$lte": recent}})

    async def clear(self, key: str) -> None:
        await self._failures.delete_one({"_id": key})
