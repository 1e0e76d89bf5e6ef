"""Bearer-token authentication: every request names its user and the token it came with."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import HTTPConnection

from domain.tokens import DEFAULT_LAST_USED_INTERVAL, Authenticated
from repositories.tokens import TokenRepository
from resolvers.tokens import authenticate as authenticate_token


def bearer_token(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(
    connection: HTTPConnection,
    tokens: TokenRepository,
    now: datetime,
    *,
    demo_allowed: bool,
    last_used_interval: timedelta = DEFAULT_LAST_USED_INTERVAL,
) -> Authenticated | None:
    """(user, token) for the request's bearer token, or None: no token, or one that is
    unknown, expired, revoked or (in production) a demo token, all alike."""
    secret = bearer_token(connection)
    if secret is None:
        return None
    return await authenticate_token(
        tokens, secret, now, demo_allowed=demo_allowed, last_used_interval=last_used_interval
    )
