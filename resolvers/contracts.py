"""Service-contract use cases."""

from __future__ import annotations

from datetime import date

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.events import EventType
from domain.key_accounts import ServiceContract, check_contract
from domain.money import Money
from repositories.transactions import in_transaction
from resolvers import events
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

        async def save(session: AsyncClientSession) -> ServiceContract:
            await ctx.contracts.add(contract, session)
            await events.record(
                ctx.db,
                session,
                EventType.CONTRACT_ADDED,
                contract.created_at,
                account.customer_id,
                key_account_id=account.id,
                record_id=contract.id,
            )
            return contract

        return await in_transaction(ctx.db, save)

    return await attempt(work())
