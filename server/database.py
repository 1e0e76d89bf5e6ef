"""Connecting to MongoDB: RAPPORT_MONGODB_URI when set, else the embedded server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pymongo
import structlog
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from server import metrics
from server.embedded_db import EmbeddedDatabase
from server.settings import Settings

if TYPE_CHECKING:
    from server.tracing import Tracing

log = structlog.get_logger(__name__)


@dataclass
class Database:
    client: AsyncMongoClient
    db: AsyncDatabase
    embedded: EmbeddedDatabase | None = None

    async def answers(self, within_s: float = 1.0) -> bool:
        """Whether the database answers a ping within `within_s` (readiness must be fast
        even when the database is gone or frozen)."""
        try:
            with pymongo.timeout(within_s):
                await self.client.admin.command("ping")
            return True
        except PyMongoError as error:
            log.warning("database does not answer", error=type(error).__name__, detail=str(error)[:200])
            return False


@dataclass
class CommandCount:
    commands: int = 0
    seconds: float = 0.0  # time the database took to answer them, as the driver measured it


_current_count: ContextVar[CommandCount | None] = ContextVar("db_command_count", default=None)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a request sends (what a query costs, in round trips).

    The count object rides in a context variable, so commands sent from DataLoader
    batches (scheduled from the request's context) land on the same request.
    """

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if (count := _current_count.get()) is not None:
            count.commands += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if (count := _current_count.get()) is not None:
            count.seconds += event.duration_micros / 1e6

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if (count := _current_count.get()) is not None:
            count.seconds += event.duration_micros / 1e6


@contextmanager
def counting_commands() -> Iterator[CommandCount]:
    count = CommandCount()
    token = _current_count.set(count)
    try:
        yield count
    finally:
        _current_count.reset(token)


def connect(
    uri: str, db_name: str, timeout_ms: int = 5000, tracing: Tracing | None = None
) -> tuple[AsyncMongoClient, AsyncDatabase]:
    """A client whose every operation has a deadline (timeoutMS, server selection
    included), so a database that is gone or frozen answers fast instead of hanging.
    With `tracing`, each of its commands has a span (this client's only: the tracer is
    not registered with PyMongo globally)."""
    traced = [tracing.command_tracer()] if tracing is not None else []
    client: AsyncMongoClient = AsyncMongoClient(
        uri,
        tz_aware=True,
        appname="rapport",
        timeoutMS=timeout_ms,
        serverSelectionTimeoutMS=timeout_ms,
        event_listeners=[CommandCounter(), *metrics.listeners(), *traced],
    )
    return client, client[db_name]


async def close_client(client: AsyncMongoClient, timeout_s: float) -> None:
    """Close, but not for ever: closing ends server sessions, which a frozen server never
    answers."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client.close(), timeout_s)


@asynccontextmanager
async def open_database(settings: Settings, tracing: Tracing | None = None) -> AsyncIterator[Database]:
    """The configured database; the embedded server is started (or reused) and stopped here."""
    embedded = None
    uri = settings.mongodb_uri
    if not uri:
        embedded = await asyncio.to_thread(
            EmbeddedDatabase.reuse_or_start,
            settings.data_dir,
            timeout_s=settings.embedded_start_timeout_s,
            stop_timeout_s=settings.embedded_stop_timeout_s,
        )
        uri = embedded.uri
    client, db = connect(uri, settings.mongodb_db, settings.mongodb_timeout_ms, tracing)
    database = Database(client=client, db=db, embedded=embedded)
    try:
        yield database
    finally:
        await close_client(database.client, settings.mongodb_timeout_ms / 1000)  # the current one
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
