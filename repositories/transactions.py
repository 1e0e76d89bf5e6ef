"""Multi-document changes run in a transaction, retried as the driver's with_transaction
retries them (TransientTransactionError, UnknownTransactionCommitResult)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

T = TypeVar("T")


class StaleRead(Exception):
    """A document changed between the transaction's read and its conditional write: the
    whole transaction is run again on fresh data (in_transaction retries it)."""


#: A conditional write that keeps losing to others this often is reported, not retried forever.
STALE_RETRIES = 8


async def in_transaction(
    db: AsyncDatabase[dict[str, Any]], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run `work` in one transaction; a StaleRead inside it runs it again from the start."""
    for attempt in range(STALE_RETRIES):
        try:
            async with db.client.start_session() as session:
                return await session.with_transaction(work)
        except StaleRead:
            if attempt == STALE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")
