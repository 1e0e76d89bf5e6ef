"""Token use cases: issuing (the CLI, the development demo token), authenticating a
request, listing and revoking (ADMIN in the graph, an operator in the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import Forbidden, NotFound
from domain.tokens import (
    CLI_TOKEN_NAME,
    DEFAULT_LIFETIME_DAYS,
    DEMO_TOKEN_NAME,
    AlreadyRevoked,
    ApiToken,
    Authenticated,
    may_manage_tokens,
    token_name_problem,
)
from domain.users import Role
from repositories.pagination import Page, Paging
from repositories.tokens import TokenFilter, TokenRepository
from repositories.users import UserRepository
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


@dataclass(frozen=True)
class DemoUser:
    """A user whose token `make run` prints (development only)."""

    name: str
    role: Role
    partner_id: str | None = None


#: The partner the demo data shares some customers with.
DEMO_PARTNER_ID = "partner-hotel-group"
DEMO_ADMIN = DemoUser("demo-admin", Role.ADMIN)
DEMO_PARTNER = DemoUser("demo-partner-portal", Role.PARTNER, DEMO_PARTNER_ID)


async def issue_token(
    users: UserRepository,
    tokens: TokenRepository,
    name: str,
    role: Role,
    partner_id: str | None,
    now: datetime,
    *,
    lifetime: timedelta = timedelta(days=DEFAULT_LIFETIME_DAYS),
    token_name: str = CLI_TOKEN_NAME,
) -> str:
    """A new token for the named user, created with this role if new. Shown once."""
    if problem := token_name_problem(token_name):
        raise ValueError(f"the token name {problem}")
    user = await users.ensure_user(name, role, partner_id, now)
    secret, _ = await tokens.issue(user.id, token_name, now, now + lifetime)
    return secret


async def demo_token(
    users: UserRepository,
    tokens: TokenRepository,
    who: DemoUser,
    kept: str | None,
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, bool]:
    """A development demo token: the kept one while it still works, else a new one that
    expires after `lifetime`. Returns (token, whether it is new)."""
    if (
        kept
        and (found := await tokens.find(kept))
        and found.token.opens(now, demo_allowed=True)
        and found.user.name == who.name
    ):
        return kept, False
    user = await users.ensure_user(who.name, who.role, who.partner_id, now)
    secret, _ = await tokens.issue(user.id, DEMO_TOKEN_NAME, now, now + lifetime, demo=True)
    return secret, True


async def authenticate(
    tokens: TokenRepository, secret: str, now: datetime, *, demo_allowed: bool, last_used_interval: timedelta
) -> Authenticated | None:
    """Who bears this secret, or None: unknown, expired, revoked and (where not allowed)
    demo tokens all read the same. A use is written down at most once per interval, so
    most requests cost the one lookup."""
    found = await tokens.find(secret)
    if found is None or not found.token.opens(now, demo_allowed=demo_allowed):
        return None
    if found.token.last_use_is_stale(now, last_used_interval):
        await tokens.note_use(found.token.id, now, last_used_interval)
        found = found._replace(token=replace(found.token, last_used_at=now))
    return found


async def revoke(tokens: TokenRepository, token_id: str, now: datetime, field: str = "tokenId") -> ApiToken:
    """Revoke a token: it opens nothing from now on. AlreadyRevoked if it was."""
    token, revoked_now = await tokens.revoke(token_id, now)
    if token is None:
        raise NotFound("no token with this id", field)
    if not revoked_now:
        raise AlreadyRevoked(token, field)
    return token


def _check_may_manage(ctx: Context) -> None:
    if not may_manage_tokens(ctx.viewer):
        raise Forbidden("your role may not manage tokens")


async def revoke_token(ctx: Context, token_id: str) -> Outcome[ApiToken]:
    _check_may_manage(ctx)
    return await attempt(revoke(ctx.tokens, token_id, ctx.clock()))


async def list_tokens(ctx: Context, where: TokenFilter, paging: Paging) -> Page[ApiToken]:
    _check_may_manage(ctx)
    return await ctx.tokens.page(where, ctx.clock(), paging)


async def tokens_by_ids(ctx: Context, ids: list[str]) -> list[ApiToken | None]:
    """Tokens by id for whoever may manage them; for anyone else, as if there were none."""
    if not may_manage_tokens(ctx.viewer):
        return [None] * len(ids)
    return await ctx.tokens.by_ids(ids)
