"""Connecting to MongoDB: RAPPORT_MONGODB_URI when set, else the embedded server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from server.embedded_db import EmbeddedDatabase
from server.settings import Settings


@dataclass
class Database:
    client: AsyncMongoClient
    db: AsyncDatabase
    embedded: EmbeddedDatabase | None = None

    async def answers(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except Exception:
            return False


def connect(uri: str, db_name: str) -> tuple[AsyncMongoClient, AsyncDatabase]:
    client: AsyncMongoClient = AsyncMongoClient(
        uri, tz_aware=True, appname="rapport", serverSelectionTimeoutMS=10_000
    )
    return client, client[db_name]


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database; the embedded server is started (or reused) and stopped here."""
    embedded = None
    uri = settings.mongodb_uri
    if not uri:
        embedded = await asyncio.to_thread(
            EmbeddedDatabase.reuse_or_start,
            settings.data_dir,
            timeout_s=settings.embedded_start_timeout_s,
        )
        uri = embedded.uri
    client, db = connect(uri, settings.mongodb_db)
    try:
        yield Database(client=client, db=db, embedded=embedded)
    finally:
        await client.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
