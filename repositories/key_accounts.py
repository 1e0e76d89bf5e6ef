"""Key accounts: the dossier document (bounded data only) and its queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import EVERYTHING, Book, PersonalFields, Scope
from domain.errors import Duplicate, NotFound
from domain.key_accounts import Category, CompanyProfile, Grade, GradeChange, KeyAccount
from repositories.access import scope_filter, within
from repositories.documents import (
    by_ids,
    find_all,
    insert_missing,
    money,
    money_document,
    object_ids,
    update_at_version,
    without_none,
)
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, find_page
from repositories.personal_data import Holding, Owner

COLLECTION = "key_accounts"
BOOK_FIELDS = {"_id": 1, "customerId": 1}
#: People named in a company profile; withheld from viewers who do not see people's data.
MASKED = PersonalFields(hidden=("company_profile.legal_representative", "company_profile.person_in_charge"))
PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {
    "companyProfile.legalRepresentative": None,
    "companyProfile.personInCharge": None,
}


PERSONAL_DATA = Holding(COLLECTION, Owner.CUSTOMER, ("customerId",), PERSONAL_DOCUMENT_FIELDS)


def key_account_scope(scope: Scope) -> dict[str, Any] | None:
    return scope_filter(scope, key_account="_id")


@dataclass(frozen=True)
class KeyAccountFilter:
    manager_id: str | None = None
    grade: Grade | None = None
    visit_overdue: bool | None = None
    visit_due_before: datetime | None = None  # next visit due before this (overdue included)
    now: datetime | None = None
    only_ids: Sequence[str] | None = None  # e.g. accounts with contracts ending soon
    scope: Scope = EVERYTHING  # the accounts the viewer may read


def profile_document(profile: CompanyProfile) -> dict[str, Any]:
    return without_none(
        {
            "legalRepresentative": profile.legal_representative,
            "size": profile.size,
            "mainProducts": profile.main_products,
            "annualRevenue": money_document(profile.annual_revenue),
            "profitOrLoss": money_document(profile.profit_or_loss),
            "personInCharge": profile.person_in_charge,
        }
    )


def _profile(doc: Mapping[str, Any]) -> CompanyProfile:
    return CompanyProfile(
        legal_representative=doc.get("legalRepresentative"),
        size=doc.get("size"),
        main_products=list(doc.get("mainProducts", [])),
        annual_revenue=money(doc.get("annualRevenue")),
        profit_or_loss=money(doc.get("profitOrLoss")),
        person_in_charge=doc.get("personInCharge"),
    )


def _grade_change(doc: Mapping[str, Any]) -> GradeChange:
    return GradeChange(
        from_grade=Grade(doc["from"]),
        to_grade=Grade(doc["to"]),
        at=doc["at"],
        actor_id=doc["actor"]["id"],
        actor_name=doc["actor"]["name"],
        reason=doc["reason"],
    )


def to_key_account(doc: Mapping[str, Any]) -> KeyAccount:
    return KeyAccount(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        grade=Grade(doc["grade"]),
        category=Category(doc["category"]),
        industry=doc.get("industry"),
        manager_id=str(doc["managerId"]),
        team_ids=[str(t) for t in doc["teamIds"]],
        company_profile=_profile(doc["companyProfile"]),
        grade_history=[_grade_change(g) for g in doc["gradeHistory"]],
        last_visit_at=doc.get("lastVisitAt"),
        planned_next_visit_at=doc.get("plannedNextVisitAt"),
        next_visit_due_at=doc["nextVisitDueAt"],
        version=doc["version"],
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
    )


def new_key_account_document(
    *,
    customer_id: str,
    grade: Grade,
    category: Category,
    industry: str | None,
    manager_id: str,
    profile: CompanyProfile,
    next_visit_due_at: datetime,
    now: datetime,
    object_id: ObjectId | None = None,
) -> dict[str, Any]:
    return without_none(
        {
            "_id": object_id or ObjectId(),
            "customerId": ObjectId(customer_id),
            "grade": grade.value,
            "category": category.value,
            "industry": industry,
            "managerId": ObjectId(manager_id),
            "teamIds": [],
            "companyProfile": profile_document(profile),
            "gradeHistory": [],
            "nextVisitDueAt": next_visit_due_at,
            "version": 1,
            "createdAt": now,
            "updatedAt": now,
        }
    )


class KeyAccountRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._accounts = db[COLLECTION]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[KeyAccount | None]:
        return await by_ids(self._accounts, ids, to_key_account, key_account_scope(scope))

    async def get(
        self,
        key_account_id: str,
        scope: Scope,
        field: str = "keyAccountId",
        session: AsyncClientSession | None = None,
    ) -> KeyAccount:
        oid = to_object_id(key_account_id)
        query = within({"_id": oid}, key_account_scope(scope))
        doc = await self._accounts.find_one(query, session=session) if oid else None
        if doc is None:
            raise NotFound("no key account with this id", field)
        return to_key_account(doc)

    async def book_of(self, member_id: str) -> Book:
        """The accounts a user manages or is on the team of, and their customers: one query."""
        member = to_object_id(member_id)
        docs = await find_all(
            self._accounts, {"$or": [{"managerId": member}, {"teamIds": member}]}, projection=BOOK_FIELDS
        )
        return Book(
            key_account_ids=frozenset(str(d["_id"]) for d in docs),
            customer_ids=frozenset(str(d["customerId"]) for d in docs),
        )

    async def account_of_customer(self, customer_id: str) -> str | None:
        """The id of the customer's key account, if it has one (an existence check before
        opening one; the caller decides what the viewer may be told)."""
        doc = await self._accounts.find_one({"customerId": to_object_id(customer_id)}, {"_id": 1})
        return str(doc["_id"]) if doc else None

    async def create(
        self,
        *,
        customer_id: str,
        grade: Grade,
        category: Category,
        industry: str | None,
        manager_id: str,
        profile: CompanyProfile,
        next_visit_due_at: datetime,
        now: datetime,
    ) -> KeyAccount:
        """Open a dossier; a customer has at most one."""
        doc = new_key_account_document(
            customer_id=customer_id,
            grade=grade,
            category=category,
            industry=industry,
            manager_id=manager_id,
            profile=profile,
            next_visit_due_at=next_visit_due_at,
            now=now,
        )
        try:
            await self._accounts.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Duplicate("this customer already has a key account", "customerId") from exc
        return to_key_account(doc)

    async def insert_many(self, docs: list[dict[str, Any]]) -> int:
        return await insert_missing(self._accounts, docs)

    async def update_profile(
        self, account: KeyAccount, expected_version: int, changes: Mapping[str, Any], now: datetime
    ) -> KeyAccount:
        """changes: any of category, industry (None clears it), profile (replaced whole)."""
        to_set: dict[str, Any] = {}
        to_unset: list[str] = []
        if "category" in changes:
            to_set["category"] = changes["category"].value
        if "industry" in changes:
            if changes["industry"] is None:
                to_unset.append("industry")
            else:
                to_set["industry"] = changes["industry"]
        if "profile" in changes:
            to_set["companyProfile"] = profile_document(changes["profile"])
        return await self._update(account, expected_version, now, to_set, unset=to_unset)

    async def change_grade(
        self, account: KeyAccount, expected_version: int, change: GradeChange, next_visit_due_at: datetime
    ) -> KeyAccount:
        entry = {
            "from": change.from_grade.value,
            "to": change.to_grade.value,
            "at": change.at,
            "actor": {"id": change.actor_id, "name": change.actor_name},
            "reason": change.reason,
        }
        to_set = {"grade": change.to_grade.value, "nextVisitDueAt": next_visit_due_at}
        return await self._update(account, expected_version, change.at, to_set, push={"gradeHistory": entry})

    async def assign_manager(
        self, account: KeyAccount, expected_version: int, manager_id: str, now: datetime
    ) -> KeyAccount:
        return await self._update(account, expected_version, now, {"managerId": ObjectId(manager_id)})

    async def assign_team(
        self, account: KeyAccount, expected_version: int, member_ids: Sequence[str], now: datetime
    ) -> KeyAccount:
        return await self._update(
            account, expected_version, now, {"teamIds": [ObjectId(m) for m in member_ids]}
        )

    async def _update(
        self,
        account: KeyAccount,
        expected_version: int,
        now: datetime,
        to_set: dict[str, Any],
        *,
        unset: Iterable[str] = (),
        push: dict[str, Any] | None = None,
    ) -> KeyAccount:
        """A versioned change to the dossier: applies only at `expected_version`."""
        doc = await update_at_version(
            self._accounts,
            ObjectId(account.id),
            expected_version,
            now,
            set_fields=to_set,
            unset_fields=unset,
            push=push,
            noun="key account",
            id_field="keyAccountId",
        )
        return to_key_account(doc)

    async def record_visit_plan(
        self,
        account_id: str,
        last_visit_at: datetime | None,
        planned_next_visit_at: datetime | None,
        next_visit_due_at: datetime,
        session: AsyncClientSession,
    ) -> None:
        """Derived visit-plan fields; not a dossier edit, so the version stays."""
        to_set = without_none({"lastVisitAt": last_visit_at, "nextVisitDueAt": next_visit_due_at})
        update: dict[str, Any] = {"$set": to_set}
        if planned_next_visit_at is None:
            update["$unset"] = {"plannedNextVisitAt": ""}
        else:
            to_set["plannedNextVisitAt"] = planned_next_visit_at
        await self._accounts.update_one({"_id": ObjectId(account_id)}, update, session=session)

    async def page(self, where: KeyAccountFilter, first: int | None, after: str | None) -> Page[KeyAccount]:
        return await find_page(
            self._accounts, self._query(where), SortKey("createdAt"), first, after, to_key_account
        )

    @staticmethod
    def _query(where: KeyAccountFilter) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if where.manager_id is not None:
            clauses.append({"managerId": to_object_id(where.manager_id)})
        if where.grade is not None:
            clauses.append({"grade": where.grade.value})
        if where.visit_overdue is not None:
            clauses.append({"nextVisitDueAt": {"$lt" if where.visit_overdue else "$gte": where.now}})
        if where.visit_due_before is not None:
            clauses.append({"nextVisitDueAt": {"$lt": where.visit_due_before}})
        if where.only_ids is not None:
            clauses.append({"_id": {"$in": object_ids(where.only_ids)}})
        query = clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else {}
        return within(query, key_account_scope(where.scope))
