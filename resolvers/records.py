"""Purchase records by id (their own capability adds the rest)."""

from __future__ import annotations

from domain.records import Purchase
from resolvers.context import Context


async def purchases_by_ids(ctx: Context, ids: list[str]) -> list[Purchase | None]:
    return await ctx.records.purchases_by_ids(ids, (await ctx.access()).activity)
