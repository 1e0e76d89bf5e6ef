"""Numbered migrations and their runner.

Each migration module has VERSION (int), DESCRIPTION and `async def apply(db)`, and is
idempotent by construction (create-or-modify collections, create_index), so a run that
crashed half way can simply run again. What ran is recorded in `_migrations`.
"""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from migrations import (
    m0001_customers,
    m0002_users,
    m0003_key_accounts,
    m0004_directory_and_nodes,
    m0005_token_expiry,
    m0006_search_prefixes,
    m0007_token_lifecycle,
    m0008_sharing_and_erasure,
    m0009_audit_log,
    m0010_jobs,
    m0011_complaints,
    m0012_journeys,
    m0013_loyalty,
    m0014_care,
    m0015_sign_in,
)

log = structlog.get_logger(__name__)

RECORDS = "_migrations"
MIGRATIONS: tuple[ModuleType, ...] = (
    m0001_customers,
    m0002_users,
    m0003_key_accounts,
    m0004_directory_and_nodes,
    m0005_token_expiry,
    m0006_search_prefixes,
    m0007_token_lifecycle,
    m0008_sharing_and_erasure,
    m0009_audit_log,
    m0010_jobs,
    m0011_complaints,
    m0012_journeys,
    m0013_loyalty,
    m0014_care,
    m0015_sign_in,
)


async def applied_versions(db: AsyncDatabase) -> set[int]:
    return {doc["_id"] async for doc in db[RECORDS].find({}, {"_id": 1})}


async def pending(db: AsyncDatabase) -> list[ModuleType]:
    done = await applied_versions(db)
    return [m for m in MIGRATIONS if m.VERSION not in done]


async def migrate(db: AsyncDatabase, now: datetime) -> list[int]:
    """Apply pending migrations in order; returns the versions applied now."""
    applied: list[int] = []
    for migration in await pending(db):
        await migration.apply(db)
        await db[RECORDS].update_one(
            {"_id": migration.VERSION},
            {"$setOnInsert": {"description": migration.DESCRIPTION, "appliedAt": now}},
            upsert=True,
        )
        log.info("migration applied", version=migration.VERSION, description=migration.DESCRIPTION)
        applied.append(migration.VERSION)
    return applied


async def is_current(db: AsyncDatabase) -> bool:
    return not await pending(db)
