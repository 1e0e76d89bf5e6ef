"""Audit use cases: record a mutation's entry (called by schema/audit_trail.py for every
root mutation field) and read the log (ADMIN)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.audit import AuditEntry, AuditFilter, check_filter, may_read_audit_log, new_entry
from domain.errors import Forbidden
from domain.tokens import ApiToken
from domain.users import User
from repositories.audit import AuditRepository
from repositories.pagination import Page
from resolvers.context import Context
from resolvers.sign_in import SignInContext


def mutation_entry(
    ctx: Context, operation: str, ids: Iterable[str], error_codes: Iterable[str]
) -> AuditEntry:
    """The entry of one mutation, by the caller and their token as they are now."""
    # Tokens join the Context with their own change; until then an entry has no token.
    token = getattr(ctx, "token", None)
    token_id = getattr(token, "id", None)
    return new_entry(
        id=ctx.audit_log.new_id(),
        at=ctx.clock(),
        actor=ctx.viewer,
        token_id=None if token_id is None else str(token_id),
        token_name=getattr(token, "name", None),
        operation=operation,
        ids=ids,
        error_codes=error_codes,
        request_id=ctx.request_id,
    )


def sign_in_entry(
    ctx: SignInContext, operation: str, user: User, token: ApiToken, ids: Iterable[str]
) -> AuditEntry:
    """The entry of a sign-in: by the user who signed in, with the session it opened."""
    return new_entry(
        id=AuditRepository.new_id(),
        at=ctx.clock(),
        actor=user,
        token_id=token.id,
        token_name=token.name,
        operation=operation,
        ids=ids,
        error_codes=[],
        request_id=ctx.request_id,
    )


async def record_sign_in(ctx: SignInContext, entry: AuditEntry) -> None:
    await AuditRepository(ctx.db).insert(entry)


async def record(ctx: Context, entry: AuditEntry) -> None:
    await ctx.audit_log.insert(entry)


async def list_entries(
    ctx: Context, where: AuditFilter, first: int | None, after: str | None
) -> Page[AuditEntry]:
    if not may_read_audit_log(ctx.viewer):
        raise Forbidden("your role may not read the audit log")
    return await ctx.audit_log.page(check_filter(where), first, after)


async def entries_by_ids(ctx: Context, ids: list[str]) -> list[AuditEntry | None]:
    """Entries by id for whoever may read the log; for anyone else, as if none existed."""
    if not may_read_audit_log(ctx.viewer):
        return [None] * len(ids)
    return await ctx.audit_log.by_ids(ids)
