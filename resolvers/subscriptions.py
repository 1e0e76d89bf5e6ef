"""Subscriptions: what a subscriber is told, read through the same loaders and access
policy as a query, event by event.

Each subscription follows the event log through a change stream (`EventRepository.watch`)
from the latest position its client is known to have seen (`StartPoints`: not from
whenever its stream happens to open), or from the cursor of the last event its client saw
(within the resume window). When the database goes away, the stream is opened again from the last
position it reached (its resume token), so an event committed meanwhile is delivered once
the database answers again. Before each event the subscriber's token is checked (a
revoked or expired one ends the connection) and every read starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
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


@dataclass(frozen=True)
class Seen:
    """A position in the event log (an opaque resume token) and when it was read."""

    token: Mapping[str, Any]
    at: datetime


class StartPoints:
    """Where a subscription opened on one connection starts, so that it misses nothing the
    client does after sending `subscribe`.

    graphql-transport-ws does not acknowledge a `subscribe`, so a client cannot know when
    the server's change stream is open: one that subscribes and at once makes a change
    (over HTTP, perhaps through another instance) would race the stream. So a subscription
    starts at the latest position the client has provably seen the server pass, not where
    its stream happens to open: the log's position read just before `connection_ack` was
    sent (a client subscribes only once acknowledged), moved on each time the client
    answers a keep-alive ping that carried a later one (payload `{"seq": n}`, which
    graphql-ws clients echo in their pong). Everything committed after that point is
    delivered; the price is a few events from just before the `subscribe` (about one
    keep-alive interval's at most), which at-least-once delivery allows anyway.
    """

    #: Pings remembered while unanswered (a client that does not echo never answers one).
    PENDING = 4

    def __init__(self, acknowledged: Seen) -> None:
        self.current = acknowledged
        self._pinged: dict[int, Seen] = {}
        self._seq = 0

    def pinged(self, seen: Seen) -> int:
        """A ping is about to be sent after reading `seen`: the number its payload carries."""
        self._seq += 1
        self._pinged[self._seq] = seen
        for old in sorted(self._pinged)[: -self.PENDING]:
            del self._pinged[old]
        return self._seq

    def ponged(self, payload: object) -> None:
        """A pong echoing a ping's number: the client has seen that ping, so its position."""
        seq = payload.get("seq") if isinstance(payload, dict) else None
        if type(seq) is not int or seq not in self._pinged:
            return  # an unsolicited pong (the protocol allows them), or one that echoes nothing
        self.current = self._pinged[seq]
        for answered in [n for n in self._pinged if n <= seq]:
            del self._pinged[answered]


#: The start point of the subscription being opened: set by the WebSocket handler while it
#: reads the `subscribe` message (before a later pong can move it on), and inherited by
#: the operation's task.
SUBSCRIBED_FROM: ContextVar[Seen | None] = ContextVar("subscribed_from", default=None)


@dataclass
class Session:
    """A WebSocket connection's lasting part: its token (checked before every event), how
    to end the connection, where its subscriptions start, and the resume rules."""

    token_id: str
    demo_allowed: bool
    close: Callable[[int, str], Awaitable[None]]
    resume_window: timedelta
    starts: StartPoints
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


def start_point(ctx: Context) -> Mapping[str, Any] | None:
    """Where a subscription without `after` starts (`StartPoints`); None (from now) when
    there is none, or when it is older than the resume window (a client that never echoes
    a ping, on a connection that old)."""
    seen = SUBSCRIBED_FROM.get()
    if seen is None or seen.at < ctx.clock() - session_of(ctx).resume_window:
        return None
    return seen.token


async def still_admitted(ctx: Context) -> bool:
    session = session_of(ctx)
    [token] = await ctx.tokens.by_ids([session.token_id])
    return token is not None and token.opens(ctx.clock(), demo_allowed=session.demo_allowed)


async def changes(ctx: Context, where: EventFilter, after: str | None) -> AsyncIterator[Change]:
    """The events `where` selects, committed after the subscription's start point (or
    after the cursor), each after a check that the token still opens and with the
    context's reads forgotten."""
    session = session_of(ctx)
    position = resume_point(ctx, after) or start_point(ctx)
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
