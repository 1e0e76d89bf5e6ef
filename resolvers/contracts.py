"""Service-contract use cases."""

from __future__ import annotations

from datetime import date

from bson import ObjectId

from domain.key_accounts import ServiceContract, check_contract
from domain.money import Money
from resolvers.context import Context
from resolvers.key_accounts import editable_account
from resolvers.outcome import Outcome, attempt


async def contracts_by_ids(ctx: Context, ids: list[str]) -> list[ServiceContract | None]:
    return await ctx.contracts.by_ids(ids, (await ctx.access()).dossiers)


async def add_service_contract(
    ctx: Context,
    key_account_id: str,
    content: str,
    starts_on: date,
    ends_on: date,
    fees: Money,
    confidentiality: bool,
) -> Outcome[ServiceContract]:
    async def work() -> ServiceContract:
        clean = check_contract(content, starts_on, ends_on, fees)
        account = await editable_account(ctx, key_account_id)
        contract = ServiceContract(
            id=str(ObjectId()),
            key_account_id=account.id,
            content=clean,
            starts_on=starts_on,
            ends_on=ends_on,
            fees=fees,
            confidentiality=confidentiality,
            created_at=ctx.clock(),
        )
        return await ctx.contracts.add(contract)

    return await attempt(work())
