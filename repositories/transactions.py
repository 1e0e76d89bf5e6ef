"""Multi-document changes run in a transaction, retried as the driver's with_transaction
retries them (TransientTransactionError, UnknownTransactionCommitResult)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

T = TypeVar("T")


async def in_transaction(
    db: AsyncDatabase[dict[str, Any]], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    async with db.client.start_session() as session:
        return await session.with_transaction(work)
