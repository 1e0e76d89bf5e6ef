"""User use cases: issue an API token (the CLI's create-token, the demo's admin token)."""

from __future__ import annotations

from datetime import datetime

from domain.users import Role
from repositories.users import UserRepository


async def issue_token(
    users: UserRepository, name: str, role: Role, partner_id: str | None, now: datetime
) -> str:
    """A new token for the named user, created with this role if new. Shown once."""
    user = await users.ensure_user(name, role, partner_id, now)
    return await users.issue_token(user, now)
