"""Failed sign-ins, counted per name (domain/sign_in.py) in the database, so every
instance sees the same count. One small document per name that failed lately; the
database removes it a day after its last failure (TTL), and a success removes it."""

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
        forget_at = now + FAILURES_FORGOTTEN_AFTER
        counted = await self._failures.update_one(
            {"_id": key, "lastAt": {"$gt": recent}},
            {"$inc": {"count": 1}, "$set": {"lastAt": now, "forgetAt": forget_at}},
        )
        if counted.matched_count == 0:
            await self._failures.replace_one(
                {"_id": key}, {"count": 1, "lastAt": now, "forgetAt": forget_at}, upsert=True
            )

    async def clear(self, key: str) -> None:
        await self._failures.delete_one({"_id": key})
