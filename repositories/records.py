"""Complaint and purchase records as a dossier lists them (read side)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.records import Channel, ComplaintRecord, FeedbackCategory, FeedbackKind, Purchase, Severity
from repositories.access import about_customers
from repositories.documents import by_ids, insert_missing, money, object_ids
from repositories.pagination import Page, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner

COMPLAINTS = "complaints"
PURCHASES = "purchases"
#: A complaint's summary is free text about the customer; purchases hold no personal
#: field and stay whole, so sales figures do not change when a customer is erased.
COMPLAINT_PERSONAL_DATA = Holding(COMPLAINTS, Owner.CUSTOMER, ("customerId",), {"summary": "erased"})
PURCHASE_PERSONAL_DATA = Holding(PURCHASES, Owner.CUSTOMER, ("customerId",))


def _enum(kind: Any, value: str | None) -> Any:
    return kind(value) if value else None


def to_complaint(doc: Mapping[str, Any]) -> ComplaintRecord:
    return ComplaintRecord(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        received_at=doc["receivedAt"],
        kind=_enum(FeedbackKind, doc.get("kind")),
        category=_enum(FeedbackCategory, doc.get("category")),
        severity=_enum(Severity, doc.get("severity")),
        channel=_enum(Channel, doc.get("channel")),
        summary=doc.get("summary"),
        status=doc.get("status"),
    )


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
        self._complaints = db[COMPLAINTS]
        self._purchases = db[PURCHASES]

    async def complaints_by_ids(self, ids: Sequence[str], scope: Scope) -> list[ComplaintRecord | None]:
        return await by_ids(self._complaints, ids, to_complaint, about_customers(scope))

    async def purchases_by_ids(self, ids: Sequence[str], scope: Scope) -> list[Purchase | None]:
        return await by_ids(self._purchases, ids, to_purchase, about_customers(scope))

    async def complaint_pages(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[ComplaintRecord]]:
        key = SortKey("receivedAt", descending=True)
        return await find_child_pages(
            self._complaints, "customerId", object_ids(customer_ids), key, first, after, to_complaint
        )

    async def complaint_counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._complaints, "customerId", object_ids(customer_ids))

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
