"""Purchase records as a dossier lists them (read side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.records import Channel, Purchase
from repositories.access import about_customers
from repositories.documents import by_ids, insert_missing, money, object_ids
from repositories.pagination import Page, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner

PURCHASES = "purchases"
#: Purchases hold no personal field and stay whole, so sales figures do not change when a
#: customer is erased.
PURCHASE_PERSONAL_DATA = Holding(PURCHASES, Owner.CUSTOMER, ("customerId",))


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value else None


def to_purchase(doc: Mapping[str, Any]) -> Purchase:
    return Purchase(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        purchased_at=doc["purchasedAt"],
        amount=money(doc["amount"]),  # type: ignore[arg-type]
        units=doc["units"],
        channel=_enum(Channel, doc.get("channel")),
    )


class RecordRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._purchases = db[PURCHASES]

    async def purchases_by_ids(self, ids: Sequence[str], scope: Scope) -> list[Purchase | None]:
        return await by_ids(self._purchases, ids, to_purchase, about_customers(scope))

    async def purchase_pages(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[Purchase]]:
        key = SortKey("purchasedAt", descending=True)
        return await find_child_pages(
            self._purchases, "customerId", object_ids(customer_ids), key, first, after, to_purchase
        )

    async def purchase_counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._purchases, "customerId", object_ids(customer_ids))

    async def insert_purchases(self, docs: list[dict[str, Any]]) -> None:
        await insert_missing(self._purchases, docs)
