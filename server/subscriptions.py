"""graphql-transport-ws at /graphql: Strawberry's protocol handler, with Rapport's
authentication (the token in `connection_init`'s payload; a bad, expired or revoked one
closes the socket with 4401), a limit of connections per token (per instance), keep-alive
pings, a periodic re-check of the token that ends its subscriptions once revoked, and the
start points of its subscriptions (`resolvers.subscriptions.StartPoints`): the event log's
position read before `connection_ack` and before each ping, taken up when the client has
provably seen it."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import timedelta
from typing import Any

import structlog
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    PingMessage,
    PongMessage,
    SubscribeMessage,
)

from repositories.availability import database_unavailable
from repositories.events import EventRepository
from repositories.tokens import TokenRepository
from resolvers.subscriptions import (
    CLOSE_UNAUTHORIZED,
    SUBSCRIBED_FROM,
    Seen,
    Session,
    StartPoints,
    still_admitted,
)
from resolvers.tokens import authenticate
from server import metrics
from server.runtime import Runtime

log = structlog.get_logger("rapport.subscriptions")

CLOSE_TOO_MANY = 4429
CLOSE_UNAVAILABLE = 1013  # "try again later"


class PendingConnection:
    """A WebSocket's context until `connection_init` says who it is."""

    def __init__(self, runtime: Runtime, request_id: str) -> None:
        self.runtime = runtime
        self.request_id = request_id
        self.connection_params: dict[str, Any] = {}


class ConnectionsPerToken:
    """Open WebSocket connections per token record, in this instance."""

    def __init__(self) -> None:
        self.open: Counter[str] = Counter()

    def take(self, token_id: str, limit: int) -> bool:
        if self.open[token_id] >= limit:
            return False
        self.open[token_id] += 1
        return True

    def give_back(self, token_id: str) -> None:
        self.open[token_id] -= 1
        if self.open[token_id] <= 0:
            del self.open[token_id]


CONNECTIONS = ConnectionsPerToken()


def token_in(payload: dict[str, Any]) -> str | None:
    """`{"Authorization": "Bearer rap_…"}` (what graphql-ws clients send as headers) or `{"token": "rap_…"}`."""
    header = payload.get("Authorization") or payload.get("authorization")
    if isinstance(header, str):
        scheme, _, secret = header.partition(" ")
        return secret.strip() or None if scheme.lower() == "bearer" else None
    token = payload.get("token")
    return token.strip() or None if isinstance(token, str) else None


class RapportTransportWS(BaseGraphQLTransportWSHandler[Any, Any]):
    token_id: str | None = None
    runtime: Runtime
    background: list[asyncio.Task[None]]

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self.connection_init_received or self.connection_timed_out:
            await super().handle_connection_init(message)  # 4429 for a second init, as the protocol says
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        self.connection_init_received = True
        pending: PendingConnection = self.context
        runtime = self.runtime = pending.runtime
        settings = runtime.settings
        payload = message.get("payload") or {}
        secret = token_in(payload) if isinstance(payload, dict) else None
        try:
            caller = None
            if secret is not None:
                caller = await authenticate(
                    TokenRepository(runtime.db),
                    secret,
                    runtime.clock(),
                    demo_allowed=settings.is_development,
                    last_used_interval=settings.token_last_used_interval,
                )
            # Read before the ack is sent: the client subscribes only after it, so this is
            # a point its subscriptions may start from without missing what it does next.
            acknowledged = None if caller is None else await self._position()
        except Exception as error:
            if not database_unavailable(error):
                raise
            await self.websocket.close(CLOSE_UNAVAILABLE, "the database is unavailable; try again")
            return
        if caller is None or acknowledged is None:
            await self.websocket.close(CLOSE_UNAUTHORIZED, "Unauthorized")
            return
        if not CONNECTIONS.take(caller.token.id, settings.subscription_connections_per_token):
            await self.websocket.close(CLOSE_TOO_MANY, "too many connections with this token")
            return
        self.token_id = caller.token.id
        context = await runtime.context(caller.user, pending.request_id, caller.token)
        context.session = Session(
            token_id=caller.token.id,
            demo_allowed=settings.is_development,
            close=self.close,
            resume_window=timedelta(minutes=settings.subscription_resume_window_minutes),
            starts=StartPoints(acknowledged),
        )
        self.context = context
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        self.background = [
            asyncio.create_task(self._keep_alive(settings.subscription_keep_alive_s)),
            asyncio.create_task(self._watch_token(settings.subscription_token_check_s)),
        ]

    async def _position(self) -> Seen:
        return Seen(await EventRepository(self.runtime.db).position(), self.runtime.clock())

    def _session(self) -> Session | None:
        session = getattr(self.context, "session", None)
        return session if isinstance(session, Session) else None

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # The operation's task is made in here and inherits the start point as the
        # subscribe message found it: a pong read later cannot move it past an event the
        # client made after subscribing.
        session = self._session()
        reset = SUBSCRIBED_FROM.set(session.starts.current if session else None)
        try:
            await super().handle_subscribe(message)
        finally:
            SUBSCRIBED_FROM.reset(reset)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        # Open for as long as the operation's task runs, whichever way it ends.
        gauge = metrics.SUBSCRIPTIONS_OPEN.labels(
            subscription=metrics.subscription_field(self.schema._schema, operation.query)  # type: ignore[attr-defined]
        )
        gauge.inc()
        try:
            await super().run_operation(operation)
        finally:
            gauge.dec()

    async def handle_pong(self, message: PongMessage) -> None:
        if session := self._session():
            session.starts.ponged(message.get("payload"))

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)

    async def _keep_alive(self, every_s: float) -> None:
        """A ping now and then keeps idle sockets (and the proxies between) open. Each
        carries a number standing for the log's position read just before it: a pong
        echoing it moves the connection's start point on (`StartPoints`)."""
        while True:
            await asyncio.sleep(every_s)
            ping: PingMessage = {"type": "ping"}
            session = self._session()
            try:
                if session is not None:
                    ping["payload"] = {"seq": session.starts.pinged(await self._position())}
            except Exception as error:  # the database is away: ping all the same
                log.warning("event log position unread", error=type(error).__name__)
            await self.send_message(ping)

    async def _watch_token(self, every_s: float) -> None:
        """A token revoked (or expired) while no event comes still ends its subscriptions."""
        while True:
            await asyncio.sleep(every_s)
            try:
                admitted = await still_admitted(self.context)
            except Exception as error:
                log.warning("token re-check failed", error=type(error).__name__)
                continue
            if not admitted:
                await self.close(CLOSE_UNAUTHORIZED, "the token was revoked or has expired")
                return

    async def shutdown(self) -> None:
        for task in getattr(self, "background", []):
            task.cancel()
        await super().shutdown()
        if self.token_id is not None:
            CONNECTIONS.give_back(self.token_id)
            self.token_id = None
