"""Complaint and purchase records by id (their own capabilities add the rest)."""

from __future__ import annotations

from domain.records import ComplaintRecord, Purchase
from resolvers.context import Context


async def complaints_by_ids(ctx: Context, ids: list[str]) -> list[ComplaintRecord | None]:
    return await ctx.records.complaints_by_ids(ids, (await ctx.access()).dossiers)


async def purchases_by_ids(ctx: Context, ids: list[str]) -> list[Purchase | None]:
    return await ctx.records.purchases_by_ids(ids, (await ctx.access()).dossiers)
