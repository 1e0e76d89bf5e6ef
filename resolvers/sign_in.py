"""Signing in and out, and setting passwords (domain/sign_in.py says the rules).

A request whose only operation is `signIn` needs no token (server/graphql_view.py); it
runs with a `SignInContext`, which holds what signing in needs and nothing else, so no
other resolver can run for it (they need a `Context` and its viewer).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from pymongo.asynchronous.database import AsyncDatabase

from domain.clock import Clock
from domain.errors import ErrorCode, Forbidden, NotFound, Problem, ValidationFailed
from domain.sign_in import (
    SESSION_TOKEN_NAME,
    SignInRefused,
    SignInRules,
    TooManyAttempts,
    hash_password,
    name_key,
    needs_rehash,
    password_matches,
    password_problem,
    wait_before_next_attempt,
)
from domain.tokens import ApiToken, may_manage_tokens
from domain.users import User
from repositories.sign_in import SignInFailureRepository
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


@dataclass
class SignInContext:
    """The context of a request without a token: it may only sign in."""

    request_id: str
    clock: Clock
    db: AsyncDatabase = field(repr=False)
    rules: SignInRules = field(default_factory=SignInRules)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.db)

    @cached_property
    def tokens(self) -> TokenRepository:
        return TokenRepository(self.db)

    @cached_property
    def failures(self) -> SignInFailureRepository:
        return SignInFailureRepository(self.db)


@dataclass(frozen=True)
class Session:
    """A signed-in session: the token's secret (shown once), its record and its user."""

    secret: str
    token: ApiToken
    user: User


async def sign_in(
    users: UserRepository,
    tokens: TokenRepository,
    failures: SignInFailureRepository,
    name: str,
    password: str,
    now: datetime,
    rules: SignInRules,
) -> Session:
    """A new session for the user with this name and password. Wrong name and wrong
    password are one refusal after the same work; a name that failed too often lately
    must wait first (TooManyAttempts), whether or not it names anyone."""
    key = name_key(name)
    wait = wait_before_next_attempt(await failures.get(key), now, rules)
    if wait is not None:
        raise TooManyAttempts(wait)
    found = await users.by_name(name.strip())
    stored = found[1] if found else None
    # argon2 takes tens of milliseconds of CPU: off the event loop.
    if not await asyncio.to_thread(password_matches, stored, password) or found is None or stored is None:
        await failures.record_failure(key, now)
        raise SignInRefused()
    user = found[0]
    await failures.clear(key)
    if needs_rehash(stored):
        await users.set_password_hash(user.id, await asyncio.to_thread(hash_password, password), now)
    secret, token = await tokens.issue(user.id, SESSION_TOKEN_NAME, now, now + rules.session_lifetime)
    return Session(secret=secret, token=token, user=user)


async def sign_in_request(ctx: SignInContext | Context, name: str, password: str) -> Outcome[Session]:
    if not isinstance(ctx, SignInContext):
        problem = Problem(ErrorCode.VALIDATION, "send signIn alone in its request, without a token")
        return Outcome(problems=[problem])
    return await attempt(sign_in(ctx.users, ctx.tokens, ctx.failures, name, password, ctx.clock(), ctx.rules))


async def sign_out(ctx: Context) -> Outcome[ApiToken]:
    """Revoke the token this request came with: from now on it gets 401."""
    if ctx.token is None:
        raise Forbidden("this request came with no token to revoke")
    token, _ = await ctx.tokens.revoke(ctx.token.id, ctx.clock())
    if token is None:
        raise NotFound("no token with this id")
    return Outcome(value=token)


async def set_password(
    users: UserRepository, tokens: TokenRepository, user_id: str, password: str, now: datetime
) -> User:
    """Give the user a new password (hashed; the password itself is kept nowhere). Their
    open web sessions are revoked: whoever knew the old password is signed out."""
    if problem := password_problem(password):
        raise ValidationFailed([Problem(ErrorCode.VALIDATION, f"the password {problem}", "password")])
    hashed = await asyncio.to_thread(hash_password, password)
    user = await users.set_password_hash(user_id, hashed, now)
    if user is None:
        raise NotFound("no user with this id", "userId")
    await tokens.revoke_named(user.id, SESSION_TOKEN_NAME, now)
    return user


async def set_user_password(ctx: Context, user_id: str, password: str) -> Outcome[User]:
    if not may_manage_tokens(ctx.viewer):
        raise Forbidden("only an ADMIN may set passwords")
    return await attempt(set_password(ctx.users, ctx.tokens, user_id, password, ctx.clock()))
