"""Service contracts of key accounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.key_accounts import ServiceContract
from repositories.access import kept_in_key_accounts
from repositories.documents import (
    by_ids,
    day,
    day_of,
    find_all,
    insert_missing,
    money,
    money_document,
    object_ids,
)
from repositories.personal_data import Holding, Owner

COLLECTION = "service_contracts"
#: Contracts are business records: exported with the customer's data, kept on erasure.
PERSONAL_DATA = Holding(COLLECTION, Owner.KEY_ACCOUNT, ("keyAccountId",))


def contract_document(contract: ServiceContract) -> dict[str, Any]:
    return {
        "_id": ObjectId(contract.id),
        "keyAccountId": ObjectId(contract.key_account_id),
        "content": contract.content,
        "startsOn": day(contract.starts_on),
        "endsOn": day(contract.ends_on),
        "fees": money_document(contract.fees),
        "confidentiality": contract.confidentiality,
        "createdAt": contract.created_at,
    }


def to_contract(doc: Mapping[str, Any]) -> ServiceContract:
    return ServiceContract(
        id=str(doc["_id"]),
        key_account_id=str(doc["keyAccountId"]),
        content=doc["content"],
        starts_on=day_of(doc["startsOn"]),  # type: ignore[arg-type]
        ends_on=day_of(doc["endsOn"]),  # type: ignore[arg-type]
        fees=money(doc["fees"]),  # type: ignore[arg-type]
        confidentiality=doc["confidentiality"],
        created_at=doc["createdAt"],
    )


class ContractRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._contracts = db[COLLECTION]

    async def add(
        self, contract: ServiceContract, session: AsyncClientSession | None = None
    ) -> ServiceContract:
        await self._contracts.insert_one(contract_document(contract), session=session)
        return contract

    async def insert_many(self, contracts: list[ServiceContract]) -> None:
        docs = [contract_document(c) for c in contracts]
        await insert_missing(self._contracts, docs)

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[ServiceContract | None]:
        return await by_ids(self._contracts, ids, to_contract, kept_in_key_accounts(scope))

    async def by_key_account_ids(self, key_account_ids: Sequence[str]) -> list[list[ServiceContract]]:
        """Each account's contracts, soonest ending first (one query for all accounts)."""
        found: dict[str, list[ServiceContract]] = {k: [] for k in key_account_ids}
        query = {"keyAccountId": {"$in": object_ids(key_account_ids)}}
        for doc in await find_all(self._contracts, query, [("keyAccountId", 1), ("endsOn", 1)]):
            found[str(doc["keyAccountId"])].append(to_contract(doc))
        return [found[k] for k in key_account_ids]

    async def key_accounts_with_contracts_ending(self, first_day: date, last_day: date) -> list[str]:
        """Accounts with a contract ending in [first_day, last_day] (not already ended)."""
        ids = await self._contracts.distinct(
            "keyAccountId", {"endsOn": {"$gte": day(first_day), "$lte": day(last_day)}}
        )
        return [str(i) for i in ids]
