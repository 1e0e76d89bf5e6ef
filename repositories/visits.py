"""Visit logs: what happened at each visit, with follow-ups embedded (bounded per visit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Scope
from domain.errors import NotFound
from domain.key_accounts import FollowUp, VisitFindings, VisitLog
from repositories.access import kept_in_key_accounts, within
from repositories.documents import aggregate_all, by_ids, find_all, insert_missing, object_ids, without_none
from repositories.pagination import (
    Page,
    SortKey,
    after_filter,
    check_page_size,
    count_children,
    encode_cursor,
    find_child_pages,
)
from repositories.personal_data import Holding, Owner

COLLECTION = "visit_logs"
#: A visit report is the account's business record: exported with the customer's data,
#: kept on erasure (the people it names are contacts, referenced by id).
PERSONAL_DATA = Holding(COLLECTION, Owner.KEY_ACCOUNT, ("keyAccountId",))
LATEST_FIRST = SortKey("visitedAt", descending=True)
#: Open follow-ups across visits, soonest due first (`_due` is set in the pipeline).
DUE_FIRST = SortKey("_due")


def visit_document(visit: VisitLog) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(visit.id),
            "keyAccountId": ObjectId(visit.key_account_id),
            "visitedAt": visit.visited_at,
            "visitorIds": [ObjectId(v) for v in visit.visitor_ids],
            "contactIds": [ObjectId(c) for c in visit.contact_ids],
            "purpose": visit.purpose,
            "findings": without_none(
                {
                    "needs": visit.findings.needs,
                    "satisfaction": visit.findings.satisfaction,
                    "issues": visit.findings.issues,
                }
            ),
            "followUps": [
                without_none(
                    {
                        "id": ObjectId(f.id),
                        "action": f.action,
                        "ownerId": ObjectId(f.owner_id),
                        "dueAt": f.due_at,
                        "doneAt": f.done_at,
                    }
                )
                for f in visit.follow_ups
            ],
            "nextVisitAt": visit.next_visit_at,
            "loggedBy": ObjectId(visit.logged_by),
            "createdAt": visit.created_at,
        }
    )


def to_visit(doc: Mapping[str, Any]) -> VisitLog:
    findings = doc.get("findings", {})
    return VisitLog(
        id=str(doc["_id"]),
        key_account_id=str(doc["keyAccountId"]),
        visited_at=doc["visitedAt"],
        visitor_ids=[str(v) for v in doc["visitorIds"]],
        contact_ids=[str(c) for c in doc["contactIds"]],
        purpose=doc["purpose"],
        findings=VisitFindings(
            needs=list(findings.get("needs", [])),
            satisfaction=findings.get("satisfaction"),
            issues=list(findings.get("issues", [])),
        ),
        follow_ups=[
            FollowUp(
                id=str(f["id"]),
                action=f["action"],
                owner_id=str(f["ownerId"]),
                due_at=f["dueAt"],
                done_at=f.get("doneAt"),
            )
            for f in doc["followUps"]
        ],
        next_visit_at=doc.get("nextVisitAt"),
        logged_by=str(doc["loggedBy"]),
        created_at=doc["createdAt"],
    )


class VisitRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._visits = db[COLLECTION]

    async def add(self, visit: VisitLog, session: AsyncClientSession) -> VisitLog:
        await self._visits.insert_one(visit_document(visit), session=session)
        return visit

    async def insert_many(self, visits: list[VisitLog]) -> None:
        await insert_missing(self._visits, [visit_document(v) for v in visits])

    async def latest(self, key_account_id: str, session: AsyncClientSession) -> VisitLog | None:
        doc = await self._visits.find_one(
            {"keyAccountId": ObjectId(key_account_id)}, sort=LATEST_FIRST.spec, session=session
        )
        return to_visit(doc) if doc else None

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[VisitLog | None]:
        return await by_ids(self._visits, ids, to_visit, kept_in_key_accounts(scope))

    async def by_follow_up_ids(self, follow_up_ids: Sequence[str], scope: Scope) -> list[VisitLog | None]:
        """The visit each follow-up belongs to (None for an unknown follow-up or one out of scope)."""
        query = within({"followUps.id": {"$in": object_ids(follow_up_ids)}}, kept_in_key_accounts(scope))
        docs = await find_all(self._visits, query)
        visits = [to_visit(d) for d in docs]
        owner = {f.id: v for v in visits for f in v.follow_ups}
        return [owner.get(i) for i in follow_up_ids]

    async def complete_follow_up(self, follow_up_id: str, now: datetime, scope: Scope) -> VisitLog:
        """Mark a follow-up done once; doing it again keeps the first completion time."""
        fid = ObjectId(follow_up_id)
        doc = await self._visits.find_one_and_update(
            {"followUps": {"$elemMatch": {"id": fid, "doneAt": {"$exists": False}}}},
            {"$set": {"followUps.$[open].doneAt": now}},
            array_filters=[{"open.id": fid, "open.doneAt": {"$exists": False}}],
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return to_visit(doc)
        [visit] = await self.by_follow_up_ids([follow_up_id], scope)
        if visit is None:
            raise NotFound("no follow-up with this id", "followUpId")
        return visit  # already done: a retry changes nothing

    async def open_follow_ups(
        self, due_before: datetime, scope: Scope, first: int | None, after: str | None
    ) -> Page[tuple[VisitLog, FollowUp]]:
        """Follow-ups not done yet and due before `due_before` (overdue ones first, as all
        are soonest due first), across the visits in scope, each with its visit. Keyset
        pages on (due time, follow-up id)."""
        size = check_page_size(first)
        open_and_due = {"doneAt": {"$exists": False}, "dueAt": {"$lt": due_before}}
        match = within({"followUps": {"$elemMatch": open_and_due}}, kept_in_key_accounts(scope))
        unwound: list[dict[str, Any]] = [
            {"$match": match},
            {"$addFields": {"_all": "$followUps", "_visitId": "$_id"}},
            {"$unwind": "$followUps"},
            {"$match": {f"followUps.{k}": v for k, v in open_and_due.items()}},
            {"$addFields": {"_due": "$followUps.dueAt", "_id": "$followUps.id"}},
        ]
        paged = [*unwound, {"$match": after_filter(after, DUE_FIRST)}] if after else list(unwound)
        docs = await aggregate_all(
            self._visits, [*paged, {"$sort": {"_due": 1, "_id": 1}}, {"$limit": size + 1}]
        )

        def item(doc: Mapping[str, Any]) -> tuple[VisitLog, FollowUp]:
            visit = to_visit({**doc, "_id": doc["_visitId"], "followUps": doc["_all"]})
            follow_up_id = str(doc["_id"])
            return visit, next(f for f in visit.follow_ups if f.id == follow_up_id)

        async def count() -> int:
            counted = await aggregate_all(self._visits, [*unwound, {"$count": "n"}])
            return int(counted[0]["n"]) if counted else 0

        return Page(
            items=[(encode_cursor(d, DUE_FIRST), item(d)) for d in docs[:size]],
            has_next_page=len(docs) > size,
            has_previous_page=after is not None,
            count_total=count,
        )

    async def pages_by_key_account(
        self, key_account_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[VisitLog]]:
        return await find_child_pages(
            self._visits, "keyAccountId", object_ids(key_account_ids), LATEST_FIRST, first, after, to_visit
        )

    async def counts_by_key_account(self, key_account_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._visits, "keyAccountId", object_ids(key_account_ids))
