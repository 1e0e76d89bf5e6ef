"""Where a customer's data is held, declared once per collection (each repository declares
its `PERSONAL_DATA` beside its documents), and the two things done with that list: export
everything held about a customer, and erase their personal data everywhere at once.

Erasure keeps every document that aggregates count (the customer, purchases, complaints,
visits, contracts) and replaces or removes only the declared personal fields, so counts
and sums do not change. Contacts are people: they are anonymised the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from bson import Decimal128, ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class Owner(Enum):
    """What a collection's owner fields hold: the customer, one of their key accounts, or
    one of those accounts' contacts."""

    CUSTOMER = "customer"
    KEY_ACCOUNT = "key_account"
    CONTACT = "contact"


@dataclass(frozen=True)
class Holding:
    """One collection's share of a customer's data."""

    collection: str
    owner: Owner
    owner_fields: tuple[str, ...]  # a document is the customer's if any of these names them
    erase: Mapping[str, Any] = field(default_factory=dict)  # field -> replacement (None: removed)


@dataclass(frozen=True)
class Erasure:
    at: datetime
    actor: Mapping[str, str]  # id, name, role
    reason: str


def to_json(value: Any) -> Any:
    """A document as plain JSON: ids as hex strings, times ISO 8601, money as decimal strings."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    if isinstance(value, bytes):
        return value.hex()
    return value


def _update(erase: Mapping[str, Any]) -> dict[str, Any]:
    to_set = {k: v for k, v in erase.items() if v is not None}
    to_unset = {k: "" for k, v in erase.items() if v is None}
    update: dict[str, Any] = {}
    if to_set:
        update["$set"] = to_set
    if to_unset:
        update["$unset"] = to_unset
    return update


class PersonalDataRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], holdings: Sequence[Holding]) -> None:
        self._db = db
        self._holdings = holdings

    async def _owners(
        self, customer: ObjectId, session: AsyncClientSession | None = None
    ) -> dict[Owner, list[Any]]:
        accounts = await self._db["key_accounts"].distinct("_id", {"customerId": customer}, session=session)
        contacts = await self._db["contacts"].distinct(
            "_id", {"keyAccountId": {"$in": accounts}}, session=session
        )
        return {Owner.CUSTOMER: [customer], Owner.KEY_ACCOUNT: accounts, Owner.CONTACT: contacts}

    @staticmethod
    def _filter(holding: Holding, owners: Mapping[Owner, list[Any]]) -> dict[str, Any]:
        ids = owners[holding.owner]
        clauses = [{name: {"$in": ids}} for name in holding.owner_fields]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    async def export(self, customer_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every document held about the customer, by collection, as plain JSON."""
        owners = await self._owners(ObjectId(customer_id))
        found: dict[str, list[dict[str, Any]]] = {}
        for holding in self._holdings:
            docs = await self._db[holding.collection].find(self._filter(holding, owners)).to_list()
            found.setdefault(holding.collection, []).extend(to_json(d) for d in docs)
        return found

    async def erase(self, customer_id: str, erasure: Erasure, session: AsyncClientSession) -> bool:
        """Erase in one transaction; False if the customer's data was already erased (the
        move is conditional on the state it starts from)."""
        customer = ObjectId(customer_id)
        marked = await self._db["customers"].update_one(
            {"_id": customer, "erasedAt": {"$exists": False}},
            {
                "$set": {
                    "erasedAt": erasure.at,
                    "updatedAt": erasure.at,
                    "erasure": {"at": erasure.at, "actor": dict(erasure.actor), "reason": erasure.reason},
                },
                "$inc": {"version": 1},
            },
            session=session,
        )
        if marked.modified_count == 0:
            return False
        owners = await self._owners(customer, session)
        for holding in self._holdings:
            if update := _update(holding.erase):
                await self._db[holding.collection].update_many(
                    self._filter(holding, owners), update, session=session
                )
        return True
