"""Key-account consultation/satisfaction letters (domain.md §4): which accounts get letters
and to whom (their decision makers), and the running totals of the answers per account and
letter period that the satisfaction trend reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.care import SATISFIED_FROM, CarePlanKind, LetterAnswer, LetterTotals
from domain.key_accounts import DecisionRole, Grade
from repositories.documents import aggregate_all, day, find_all, object_ids
from repositories.personal_data import Holding, Owner

TOTALS = "key_account_satisfaction"
#: Counts per account and period: about the account, nothing personal (exported, kept).
TOTALS_DATA = Holding(TOTALS, Owner.KEY_ACCOUNT, ("keyAccountId",))


@dataclass(frozen=True)
class LetterAccount:
    id: str
    customer_id: str
    grade: Grade
    manager_id: str


def _totals_id(key_account_id: str, period: str) -> str:
    return f"{key_account_id}:{period}"


def to_totals(doc: dict[str, Any]) -> LetterTotals:
    return LetterTotals(
        period=doc["period"],
        period_start=doc["periodStart"].date(),
        letters=doc.get("letters", 0),
        answers=doc.get("answers", 0),
        satisfaction_sum=doc.get("satisfactionSum", 0),
        satisfied=doc.get("satisfied", 0),
        loyal=doc.get("loyal", 0),
    )


class LetterRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._accounts = db["key_accounts"]
        self._contacts = db["contacts"]
        self._tasks = db["care_tasks"]
        self._totals = db[TOTALS]

    async def accounts(self) -> list[LetterAccount]:
        docs = await find_all(
            self._accounts, {}, [("_id", 1)], projection={"customerId": 1, "grade": 1, "managerId": 1}
        )
        return [
            LetterAccount(str(d["_id"]), str(d["customerId"]), Grade(d["grade"]), str(d["managerId"]))
            for d in docs
        ]

    async def decision_makers(self, account_ids: Sequence[str]) -> dict[str, list[str]]:
        query = {
            "keyAccountId": {"$in": object_ids(account_ids)},
            "decisionRole": DecisionRole.DECISION_MAKER.value,
        }
        found: dict[str, list[str]] = {a: [] for a in account_ids}
        for d in await find_all(self._contacts, query, [("keyAccountId", 1), ("createdAt", 1), ("_id", 1)]):
            found[str(d["keyAccountId"])].append(str(d["_id"]))
        return found

    async def count_letters(self, periods: Sequence[tuple[str, str, date]]) -> None:
        """Set each (account, period)'s letter count from the letters that exist (so a
        second run, or a run after a crash, leaves the right count)."""
        if not periods:
            return
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "planKind": CarePlanKind.KEY_ACCOUNT_LETTERS.value,
                    "keyAccountId": {"$in": object_ids({a for a, _, _ in periods})},
                    "period": {"$in": sorted({p for _, p, _ in periods})},
                }
            },
            {"$group": {"_id": {"account": "$keyAccountId", "period": "$period"}, "letters": {"$sum": 1}}},
        ]
        counts = {
            (str(d["_id"]["account"]), d["_id"]["period"]): d["letters"]
            for d in await aggregate_all(self._tasks, pipeline)
        }
        await self._totals.bulk_write(
            [
                UpdateOne(
                    {"_id": _totals_id(account, period)},
                    {
                        "$set": {"letters": counts.get((account, period), 0)},
                        "$setOnInsert": {
                            "keyAccountId": ObjectId(account),
                            "period": period,
                            "periodStart": day(start),
                        },
                    },
                    upsert=True,
                )
                for account, period, start in periods
            ],
            ordered=False,
        )

    async def record_answer(
        self,
        key_account_id: str,
        period: str,
        period_start: date,
        answer: LetterAnswer,
        session: AsyncClientSession,
    ) -> None:
        await self._totals.update_one(
            {"_id": _totals_id(key_account_id, period)},
            {
                "$inc": {
                    "answers": 1,
                    "satisfactionSum": answer.satisfaction,
                    "satisfied": int(answer.satisfaction >= SATISFIED_FROM),
                    "loyal": int(answer.loyalty_intent),
                },
                "$setOnInsert": {
                    "keyAccountId": ObjectId(key_account_id),
                    "period": period,
                    "periodStart": day(period_start),
                },
            },
            upsert=True,
            session=session,
        )

    async def totals(
        self, account_ids: Sequence[str], first: date, last: date
    ) -> dict[str, list[LetterTotals]]:
        """Per account, its periods starting within [first, last], in order: one query."""
        query = {
            "keyAccountId": {"$in": object_ids(account_ids)},
            "periodStart": {"$gte": day(first), "$lte": day(last)},
        }
        found: dict[str, list[LetterTotals]] = {a: [] for a in account_ids}
        for d in await find_all(self._totals, query, [("keyAccountId", 1), ("periodStart", 1)]):
            found[str(d["keyAccountId"])].append(to_totals(d))
        return found

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._totals.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in docs], ordered=False
            )
