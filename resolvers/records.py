"""Complaint and purchase records by id (their own capabilities add the rest)."""

from __future__ import annotations

from domain.records import ComplaintRecord, Purchase, may_see_records
from resolvers.context import Context


async def complaints_by_ids(ctx: Context, ids: list[str]) -> list[ComplaintRecord | None]:
    if not may_see_records(ctx.viewer):
        return [None] * len(ids)
    return await ctx.records.complaints_by_ids(ids)


async def purchases_by_ids(ctx: Context, ids: list[str]) -> list[Purchase | None]:
    if not may_see_records(ctx.viewer):
        return [None] * len(ids)
    return await ctx.records.purchases_by_ids(ids)
