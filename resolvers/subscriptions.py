"""Subscriptions: what a subscriber is told, read through the same loaders and access
policy as a query, event by event.

Each subscription follows the event log through a change stream (`EventRepository.watch`)
from the moment it starts, or from the cursor of the last event its client saw (within
the resume window). When the database goes away, the stream is opened again from the last
position it reached (its resume token), so an event committed meanwhile is delivered once
the database answers again. Before each event the subscriber's token is checked (a
revoked or expired one ends the connection) and every read starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo.errors import OperationFailure, PyMongoError

from domain.errors import BadArgument
from repositories.events import Change, EventFilter, EventRepository
from repositories.pagination import CursorSeal
from resolvers.context import Context

log = structlog.get_logger("rapport.subscriptions")

#: The server no longer holds the history a resume token points into.
HISTORY_LOST = 286
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0
CLOSE_UNAUTHORIZED = 4401


@dataclass
class Session:
    """A WebSocket connection's lasting part: its token (checked before every event), how
    to end the connection, and the resume rules."""

    token_id: str
    demo_allowed: bool
    close: Callable[[int, str], Awaitable[None]]
    resume_window: timedelta
    max_await_ms: int = 1000


class SubscriptionsOverWebSocket(BadArgument):
    def __init__(self) -> None:
        super().__init__("subscriptions are served over WebSocket (graphql-transport-ws) at /graphql")


def session_of(ctx: Context) -> Session:
    if not isinstance(ctx.session, Session):
        raise SubscriptionsOverWebSocket()
    return ctx.session


def cursor_of(ctx: Context, change: Change) -> str:
    """A client's position after this event: the stream's resume token and the event's
    time (for the window), sealed like every cursor the service issues."""
    at = int(change.event.at.timestamp())
    return CursorSeal(ctx.cursor_key).seal(f"{at}:{change.resume_token['_data']}")


def resume_point(ctx: Context, after: str | None) -> Mapping[str, Any] | None:
    raw = CursorSeal(ctx.cursor_key).open(after)
    if raw is None:
        return None
    at, _, data = raw.partition(":")
    if not at.isdigit() or not data:
        raise BadArgument("not a subscription cursor", "after")
    window = session_of(ctx).resume_window
    if datetime.fromtimestamp(int(at), UTC) < ctx.clock() - window:
        raise BadArgument(
            f"this cursor is older than the resume window ({window}): read the current state, then subscribe again",
            "after",
        )
    return {"_data": data}


async def still_admitted(ctx: Context) -> bool:
    session = session_of(ctx)
    [token] = await ctx.tokens.by_ids([session.token_id])
    return token is not None and token.opens(ctx.clock(), demo_allowed=session.demo_allowed)


async def changes(ctx: Context, where: EventFilter, after: str | None) -> AsyncIterator[Change]:
    """The events `where` selects, committed from now (or after the cursor), each after a
    check that the token still opens and with the context's reads forgotten."""
    session = session_of(ctx)
    position = resume_point(ctx, after)
    events = EventRepository(ctx.db)
    wait = RETRY_FIRST_S
    while True:
        try:
            async for item in events.watch(where, position, session.max_await_ms):
                wait = RETRY_FIRST_S
                if not isinstance(item, Change):
                    position = item
                    continue
                position = item.resume_token
                ctx.renew()
                if not await still_admitted(ctx):
                    await session.close(CLOSE_UNAUTHORIZED, "the token was revoked or has expired")
                    return
                yield item
        except OperationFailure as error:
            if error.code == HISTORY_LOST:
                raise BadArgument(
                    "the database no longer holds events that old: subscribe again", "after"
                ) from error
            raise
        except PyMongoError as error:
            # The database is gone for now (a restart, a failover): open the stream again
            # from where it was, so nothing committed meanwhile is missed.
            log.warning("change stream interrupted; resuming", error=type(error).__name__, retry_in_s=wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_MAX_S)
