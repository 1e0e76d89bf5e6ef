"""What lives as long as the process: the database connection and the clock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pymongo.asynchronous.database import AsyncDatabase

from domain.tokens import ApiToken
from domain.users import User
from repositories.service_keys import CURSOR_KEY, service_key
from resolvers.context import Context
from schema.limits import QueryLimits
from server.clock import Clock
from server.database import Database
from server.settings import Settings


@dataclass(frozen=True)
class Runtime:
    database: Database
    clock: Clock
    settings: Settings

    _keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def db(self) -> AsyncDatabase:
        return self.database.db

    async def cursor_key(self) -> bytes:
        """RAPPORT_CURSOR_SECRET if set (derived to 32 bytes), else the key the instances
        share through the database; read once per process."""
        if CURSOR_KEY not in self._keys:
            secret = self.settings.cursor_secret
            self._keys[CURSOR_KEY] = (
                hashlib.sha256(secret.get_secret_value().encode()).digest()
                if secret is not None
                else await service_key(self.db, CURSOR_KEY, self.clock())
            )
        return self._keys[CURSOR_KEY]

    async def context(self, viewer: User, request_id: str, token: ApiToken | None = None) -> Context:
        """What a request's resolvers get (over HTTP or a WebSocket)."""
        return request_context(
            self.db, self.clock, self.settings, viewer, request_id, token, await self.cursor_key()
        )


def request_context(
    db: AsyncDatabase,
    clock: Clock,
    settings: Settings,
    viewer: User,
    request_id: str,
    token: ApiToken | None = None,
    cursor_key: bytes = b"",
) -> Context:
    """A resolvers' Context with the settings' rules, for a viewer: a request's caller, or
    a webhook reading what it is sent (server/webhooks.py)."""
    return Context(
        viewer=viewer,
        request_id=request_id,
        clock=clock,
        db=db,
        visit_cadence=settings.visit_cadence,
        phone_region=settings.phone_default_region,
        cursor_key=cursor_key,
        compensation_limit=settings.compensation_approval_limit,
        value_rules=settings.value_rules,
        care_rules=settings.care_rules,
        webhook_rules=settings.webhook_rules,
        token=token,
        trusted_documents_only=settings.trusted_documents_only_for(viewer.role),
    )


def query_limits(settings: Settings) -> QueryLimits:
    """The schema's limits; production also hides the schema (introspection, suggestions)."""
    return QueryLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_tokens=settings.max_query_tokens,
        max_cost=settings.max_query_cost,
        introspection=settings.is_development,
        field_suggestions=settings.is_development,
    )
