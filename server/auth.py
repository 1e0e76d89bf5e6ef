"""Bearer-token authentication: every request names its user."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import HTTPConnection

from domain.users import User
from repositories.users import UserRepository


def bearer_token(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(
    connection: HTTPConnection, users: UserRepository, now: datetime, *, demo_allowed: bool
) -> User | None:
    token = bearer_token(connection)
    return await users.user_for_token(token, now, demo_allowed=demo_allowed) if token else None
