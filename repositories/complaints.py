"""Complaints and feedback items: documents <-> domain objects, their list queries, and
moves written as one update conditional on the status they start from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import PersonalFields, Scope
from domain.churn import ComplaintHistory
from domain.complaints import (
    OPEN_STATES,
    Clock,
    Compensation,
    Complaint,
    ComplaintAction,
    ComplaintStatus,
    CustomerNeed,
    HistoryEntry,
    ImprovementAction,
)
from domain.errors import NotFound, VersionConflict
from domain.lifecycle import Actor
from domain.money import Money
from domain.records import Channel, FeedbackCategory, FeedbackKind, Severity
from domain.sla import BusinessCalendar, Pause, PolicyMatch, SlaClock, SlaPolicy, Target
from repositories.access import about_customers, within
from repositories.documents import aggregate_all, by_ids, find_all, money, money_document, object_ids
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, count_children, find_child_pages, find_page
from repositories.personal_data import Holding, Owner

COMPLAINTS = "complaints"
POLICIES = "sla_policies"
DEPARTMENTS = "departments"
ROUTING = "complaint_routing"
EVENTS = "complaint_events"  # SLA breaches, for later notification (ids only)
IMPROVEMENTS = "improvement_actions"
NEEDS = "customer_needs"
NEWEST_FIRST = SortKey("receivedAt", descending=True)

#: The texts of an item are about the customer: withheld from analysts, erased on request.
MASKED = PersonalFields(hidden=("description", "resolution", "history.note"))
PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {
    "summary": "erased",
    "description": None,
    "resolution": None,
    "history.$[].note": None,
}
PERSONAL_DATA = Holding(COMPLAINTS, Owner.CUSTOMER, ("customerId",), PERSONAL_DOCUMENT_FIELDS)
EVENTS_DATA = Holding("complaint_events", Owner.CUSTOMER, ("customerId",))  # ids and times only
#: An improvement action is about the business, not the customer: exported, kept.
IMPROVEMENTS_DATA = Holding("improvement_actions", Owner.CUSTOMER, ("customerId",))
#: A need is what the customer said they want: personal, erased with them.
NEEDS_DATA = Holding("customer_needs", Owner.CUSTOMER, ("customerId",), {"need": "erased"})


# --- documents ---------------------------------------------------------------------------


def target_document(target: Target) -> dict[str, Any]:
    return {"seconds": int(target.duration.total_seconds()), "businessHours": target.business_hours}


def to_target(doc: Mapping[str, Any]) -> Target:
    return Target(timedelta(seconds=doc["seconds"]), doc.get("businessHours", False))


def calendar_document(calendar: BusinessCalendar | None) -> dict[str, Any] | None:
    if calendar is None:
        return None
    return {
        "timeZone": calendar.time_zone,
        "weeklyHours": [
            [d, o.isoformat("minutes"), c.isoformat("minutes")] for d, o, c in calendar.weekly_hours
        ],
        "holidays": sorted(h.isoformat() for h in calendar.holidays),
    }


def to_calendar(doc: Mapping[str, Any] | None) -> BusinessCalendar | None:
    if not doc:
        return None
    from datetime import date

    return BusinessCalendar(
        time_zone=doc["timeZone"],
        weekly_hours=tuple(
            (d, time.fromisoformat(o), time.fromisoformat(c)) for d, o, c in doc["weeklyHours"]
        ),
        holidays=frozenset(date.fromisoformat(h) for h in doc.get("holidays", [])),
    )


def _actor(doc: Mapping[str, Any]) -> Actor:
    return Actor(id=doc["id"], name=doc["name"], role=doc["role"])


def _clock(doc: Mapping[str, Any]) -> Clock:
    return Clock(started_at=doc["startedAt"], target=to_target(doc["target"]), met_at=doc.get("metAt"))


def clock_document(clock: Clock, due_at: datetime) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "startedAt": clock.started_at,
        "target": target_document(clock.target),
        "dueAt": due_at,
    }
    if clock.met_at is not None:
        doc["metAt"] = clock.met_at
        doc["late"] = clock.met_at > due_at
    return doc


def history_document(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "action": entry.action.value,
        "from": entry.from_status.value if entry.from_status else None,
        "to": entry.to_status.value,
        "at": entry.at,
        "actor": {"id": entry.actor.id, "name": entry.actor.name, "role": entry.actor.role},
        "note": entry.note,
    }


def to_complaint(doc: Mapping[str, Any]) -> Complaint:
    sla = doc["sla"]
    compensation = doc.get("compensation")
    follow_up = doc.get("followUp") or {}
    return Complaint(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        key_account_id=str(doc["keyAccountId"]) if doc.get("keyAccountId") else None,
        channel=Channel(doc["channel"]),
        kind=FeedbackKind(doc["kind"]),
        category=FeedbackCategory(doc["category"]),
        severity=Severity(doc["severity"]),
        summary=doc["summary"],
        description=doc.get("description"),
        department_at_fault=doc.get("departmentAtFault"),
        received_at=doc["receivedAt"],
        status=ComplaintStatus(doc["status"]),
        department_id=str(doc["departmentId"]) if doc.get("departmentId") else None,
        owner_id=str(doc["ownerId"]) if doc.get("ownerId") else None,
        policy_name=sla["policy"],
        calendar=to_calendar(sla.get("calendar")),
        targets={SlaClock(k): to_target(v) for k, v in sla["targets"].items()},
        clocks={SlaClock(k): _clock(v) for k, v in sla["clocks"].items()},
        pauses=[Pause(p["startedAt"], p.get("endedAt")) for p in doc.get("pauses", [])],
        history=[
            HistoryEntry(
                action=ComplaintAction(h["action"]),
                from_status=ComplaintStatus(h["from"]) if h.get("from") else None,
                to_status=ComplaintStatus(h["to"]),
                at=h["at"],
                actor=_actor(h["actor"]),
                note=h.get("note"),
            )
            for h in doc.get("history", [])
        ],
        resolution=doc.get("resolution"),
        root_cause=doc.get("rootCause"),
        compensation=Compensation(money(compensation), compensation["status"]) if compensation else None,  # type: ignore[arg-type]
        satisfaction=follow_up.get("satisfaction"),
        fix_held=follow_up.get("fixHeld"),
        training_case=doc.get("trainingCase", False),
        version=doc["version"],
        created_at=doc.get("createdAt"),
        updated_at=doc.get("updatedAt"),
    )


def complaint_document(complaint: Complaint, now: datetime) -> dict[str, Any]:
    """A new item's document (clocks with their due times as of filing)."""
    doc: dict[str, Any] = {
        "_id": ObjectId(complaint.id),
        "customerId": ObjectId(complaint.customer_id),
        "channel": complaint.channel.value,
        "kind": complaint.kind.value,
        "category": complaint.category.value,
        "severity": complaint.severity.value,
        "summary": complaint.summary,
        "receivedAt": complaint.received_at,
        "status": complaint.status.value,
        "sla": {
            "policy": complaint.policy_name,
            "calendar": calendar_document(complaint.calendar),
            "targets": {k.value: target_document(v) for k, v in complaint.targets.items()},
            "clocks": {
                k.value: clock_document(c, _due(complaint, k, now)) for k, c in complaint.clocks.items()
            },
        },
        "pauses": [],
        "history": [history_document(h) for h in complaint.history],
        "version": complaint.version,
        "createdAt": now,
        "updatedAt": now,
    }
    for name, value in (
        ("keyAccountId", to_object_id(complaint.key_account_id) if complaint.key_account_id else None),
        ("description", complaint.description),
        ("departmentAtFault", complaint.department_at_fault),
        ("departmentId", to_object_id(complaint.department_id) if complaint.department_id else None),
        ("ownerId", to_object_id(complaint.owner_id) if complaint.owner_id else None),
    ):
        if value is not None:
            doc[name] = value
    return doc


def _due(complaint: Complaint, name: SlaClock, now: datetime) -> datetime:
    state = complaint.clock(name, now)
    assert state is not None
    due: datetime = state.due_at
    return due


def to_policy(doc: Mapping[str, Any]) -> SlaPolicy:
    match = doc.get("match") or {}

    def optional_set(key: str) -> frozenset[str] | None:
        return frozenset(match[key]) if match.get(key) is not None else None

    return SlaPolicy(
        name=doc["name"],
        order=doc["order"],
        match=PolicyMatch(
            severities=optional_set("severities"),
            key_account_grades=optional_set("keyAccountGrades"),
            vip=match.get("vip"),
        ),
        targets={SlaClock(k): to_target(v) for k, v in doc.get("targets", {}).items()},
        calendar=to_calendar(doc.get("calendar")),
    )


# --- queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFilter:
    scope: Scope
    status: ComplaintStatus | None = None
    category: FeedbackCategory | None = None
    department_id: str | None = None
    owner_id: str | None = None
    customer_id: str | None = None
    key_account_id: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    breached: bool | None = None
    now: datetime | None = None


def breached_filter(now: datetime) -> dict[str, Any]:
    """Some clock was met late, or is unmet and past due (and not waiting on the customer)."""
    clauses: list[dict[str, Any]] = []
    for name in SlaClock:
        clock = f"sla.clocks.{name.value}"
        clauses.append({f"{clock}.late": True})
        clauses.append(
            {
                f"{clock}.dueAt": {"$lt": now},
                f"{clock}.metAt": {"$exists": False},
                "status": {
                    "$nin": [ComplaintStatus.WAITING_ON_CUSTOMER.value, ComplaintStatus.DISCARDED.value]
                },
            }
        )
    return {"$or": clauses}


class ComplaintRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._complaints = db[COMPLAINTS]
        self._policies = db[POLICIES]
        self._departments = db[DEPARTMENTS]
        self._routing = db[ROUTING]
        self._events = db[EVENTS]
        self._improvements = db[IMPROVEMENTS]
        self._needs = db[NEEDS]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[Complaint | None]:
        return await by_ids(self._complaints, ids, to_complaint, about_customers(scope))

    async def get(self, complaint_id: str, scope: Scope, field: str = "id") -> Complaint:
        [found] = await self.by_ids([complaint_id], scope)
        if found is None:
            raise NotFound("no complaint with this id", field)
        return found

    async def churn_histories(
        self, customer_ids: Sequence[str] | None, since: datetime
    ) -> dict[str, ComplaintHistory]:
        """Per customer, complaints received since `since` and how many ended badly (the
        follow-up found the fix did not hold, or the customer unsatisfied): one aggregate,
        for some customers or (None) for all."""
        match: dict[str, Any] = {"kind": FeedbackKind.COMPLAINT.value, "receivedAt": {"$gte": since}}
        if customer_ids is not None:
            match["customerId"] = {"$in": object_ids(customer_ids)}
        bad = {
            "$or": [
                {"$eq": ["$followUp.fixHeld", False]},
                {"$lte": [{"$ifNull": ["$followUp.satisfaction", 99]}, 2]},
            ]
        }
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {
                "$group": {
                    "_id": "$customerId",
                    "recent": {"$sum": 1},
                    "bad": {"$sum": {"$cond": [bad, 1, 0]}},
                }
            },
        ]
        return {
            str(d["_id"]): ComplaintHistory(recent=d["recent"], bad_outcomes=d["bad"])
            for d in await aggregate_all(self._complaints, pipeline)
        }

    async def policies(self) -> list[SlaPolicy]:
        return [to_policy(d) for d in await find_all(self._policies, {}, [("order", 1), ("_id", 1)])]

    async def department_for(self, category: FeedbackCategory) -> str | None:
        """The routing rule's department for a category, else the default rule's."""
        docs = await find_all(self._routing, {"_id": {"$in": [category.value, "DEFAULT"]}})
        by_key = {d["_id"]: d["departmentId"] for d in docs}
        found = by_key.get(category.value) or by_key.get("DEFAULT")
        return str(found) if found else None

    async def department_exists(self, department_id: str) -> bool:
        oid = to_object_id(department_id)
        return oid is not None and await self._departments.count_documents({"_id": oid}, limit=1) > 0

    async def departments_by_ids(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        return await by_ids(self._departments, ids, lambda d: {"id": str(d["_id"]), "name": d["name"]})

    async def departments_page(self, first: int | None, after: str | None) -> Page[dict[str, Any]]:
        return await find_page(
            self._departments,
            {},
            SortKey("name"),
            first,
            after,
            lambda d: {"id": str(d["_id"]), "name": d["name"]},
        )

    async def file(
        self, complaint: Complaint, now: datetime, session: AsyncClientSession | None = None
    ) -> Complaint:
        doc = complaint_document(complaint, now)
        await self._complaints.insert_one(doc, session=session)
        return to_complaint(doc)

    async def move(
        self,
        complaint: Complaint,
        expected_version: int | None,
        entry: HistoryEntry,
        now: datetime,
        *,
        set_fields: Mapping[str, Any] | None = None,
        clocks: Mapping[SlaClock, Clock] | None = None,
        pause: str | None = None,  # "start" or "end"
        session: AsyncClientSession | None = None,
    ) -> Complaint:
        """Apply a move in one update, only if the item is still in the status it was read
        in (and at `expected_version` if given): two concurrent moves cannot both apply."""
        changed = dict(set_fields or {})
        changed["status"] = entry.to_status.value
        changed["updatedAt"] = now
        guard: dict[str, Any] = {"_id": ObjectId(complaint.id), "status": complaint.status.value}
        if expected_version is not None:
            guard["version"] = expected_version
        update: dict[str, Any] = {
            "$set": changed,
            "$inc": {"version": 1},
            "$push": {"history": history_document(entry)},
        }
        if pause == "start":
            update["$push"]["pauses"] = {"startedAt": now}
        elif pause == "end" and complaint.pauses and complaint.pauses[-1].ended_at is None:
            changed[f"pauses.{len(complaint.pauses) - 1}.endedAt"] = now
        if clocks:
            # Due times as they stand after this move (paused time included).
            after = _with(complaint, clocks, pause, now)
            for name, clock in clocks.items():
                changed[f"sla.clocks.{name.value}"] = clock_document(clock, _due(after, name, now))
        elif pause == "end":
            after = _with(complaint, {}, pause, now)
            for name, clock in after.clocks.items():
                if clock.met_at is None:
                    changed[f"sla.clocks.{name.value}.dueAt"] = _due(after, name, now)
        doc = await self._complaints.find_one_and_update(
            guard, update, return_document=ReturnDocument.AFTER, session=session
        )
        if doc is not None:
            return to_complaint(doc)
        current = await self._complaints.find_one(
            {"_id": ObjectId(complaint.id)}, {"version": 1, "status": 1}, session=session
        )
        if current is None:
            raise NotFound("no complaint with this id", "id")
        if expected_version is not None and current["version"] != expected_version:
            raise VersionConflict.stale("complaint", current["version"], expected_version)
        raise VersionConflict(
            f"the complaint moved to {current['status']} meanwhile; reload it and try again", "id"
        )

    async def pages_by_customer(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[Complaint]]:
        return await find_child_pages(
            self._complaints, "customerId", object_ids(customer_ids), NEWEST_FIRST, first, after, to_complaint
        )

    async def counts_by_customer(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._complaints, "customerId", object_ids(customer_ids))

    async def open_counts_by_customer(self, customer_ids: Sequence[str]) -> dict[str, int]:
        """How many items of each customer are still open (not resolved, closed or
        discarded), in one aggregate."""
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "customerId": {"$in": object_ids(customer_ids)},
                    "status": {"$in": sorted(s.value for s in OPEN_STATES)},
                }
            },
            {"$group": {"_id": "$customerId", "n": {"$sum": 1}}},
        ]
        counts = {c: 0 for c in customer_ids}
        for doc in await aggregate_all(self._complaints, pipeline):
            counts[str(doc["_id"])] = doc["n"]
        return counts

    async def page(self, where: ComplaintFilter, first: int | None, after: str | None) -> Page[Complaint]:
        return await find_page(self._complaints, self._query(where), NEWEST_FIRST, first, after, to_complaint)

    @staticmethod
    def _query(where: ComplaintFilter) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if where.status is not None:
            query["status"] = where.status.value
        if where.category is not None:
            query["category"] = where.category.value
        for key, value in (
            ("departmentId", where.department_id),
            ("ownerId", where.owner_id),
            ("customerId", where.customer_id),
            ("keyAccountId", where.key_account_id),
        ):
            if value is not None:
                query[key] = to_object_id(value)
        received: dict[str, Any] = {}
        if where.received_from is not None:
            received["$gte"] = where.received_from
        if where.received_to is not None:
            received["$lte"] = where.received_to
        if received:
            query["receivedAt"] = received
        if where.breached is not None and where.now is not None:
            late = breached_filter(where.now)
            query = (
                {"$and": [query, late if where.breached else {"$nor": [late]}]}
                if query
                else (late if where.breached else {"$nor": [late]})
            )
        return within(query, about_customers(where.scope))

    async def record_breaches(self, now: datetime) -> tuple[int, int]:
        """Record one SLA_BREACHED event per breached clock (a reopened item's new clock is
        a new one), then mark the clock recorded. Safe to run twice and to stop half-way:
        the event's id is the clock's, so a second insert is a duplicate, and a clock is
        marked only after its event exists. Returns (examined, newly recorded)."""
        examined = recorded = 0
        for name in SlaClock:
            clock = f"sla.clocks.{name.value}"
            due = {
                f"{clock}.dueAt": {"$lt": now},
                f"{clock}.metAt": {"$exists": False},
                "status": {
                    "$nin": [ComplaintStatus.WAITING_ON_CUSTOMER.value, ComplaintStatus.DISCARDED.value]
                },
            }
            query = {"$or": [{f"{clock}.late": True}, due], f"{clock}.breachRecordedAt": {"$exists": False}}
            for doc in await find_all(self._complaints, query, projection={"customerId": 1, clock: 1}):
                examined += 1
                started = doc["sla"]["clocks"][name.value]["startedAt"]
                event = {
                    "_id": f"{doc['_id']}:{name.value}:{started.isoformat()}",
                    "type": "SLA_BREACHED",
                    "complaintId": doc["_id"],
                    "customerId": doc["customerId"],
                    "clock": name.value,
                    "dueAt": doc["sla"]["clocks"][name.value]["dueAt"],
                    "recordedAt": now,
                }
                try:
                    await self._events.insert_one(event)
                    recorded += 1
                except DuplicateKeyError:
                    pass  # recorded by a run that stopped before marking the clock
                await self._complaints.update_one(
                    {"_id": doc["_id"], f"{clock}.startedAt": started},
                    {"$set": {f"{clock}.breachRecordedAt": now}},
                )
        return examined, recorded

    async def add_improvement(
        self, improvement: ImprovementAction, customer_id: str, session: AsyncClientSession
    ) -> None:
        await self._improvements.insert_one(
            {
                "_id": ObjectId(improvement.id),
                "complaintId": ObjectId(improvement.complaint_id),
                "customerId": ObjectId(customer_id),
                "action": improvement.action,
                "ownerId": ObjectId(improvement.owner_id),
                "dueAt": improvement.due_at,
                "trainingCase": improvement.training_case,
                "createdAt": improvement.created_at,
            },
            session=session,
        )

    async def improvements_by_complaint_ids(self, ids: Sequence[str]) -> list[list[ImprovementAction]]:
        found: dict[str, list[ImprovementAction]] = {i: [] for i in ids}
        query = {"complaintId": {"$in": object_ids(ids)}}
        for d in await find_all(self._improvements, query, [("complaintId", 1), ("createdAt", 1)]):
            found[str(d["complaintId"])].append(
                ImprovementAction(
                    id=str(d["_id"]),
                    complaint_id=str(d["complaintId"]),
                    action=d["action"],
                    owner_id=str(d["ownerId"]),
                    due_at=d["dueAt"],
                    training_case=d["trainingCase"],
                    created_at=d["createdAt"],
                )
            )
        return [found[i] for i in ids]

    async def add_need(self, need: CustomerNeed, session: AsyncClientSession) -> None:
        await self._needs.insert_one(
            {
                "_id": ObjectId(need.id),
                "customerId": ObjectId(need.customer_id),
                "complaintId": ObjectId(need.complaint_id),
                "need": need.need,
                "recordedAt": need.recorded_at,
            },
            session=session,
        )

    async def needs_by_complaint_ids(self, ids: Sequence[str]) -> list[list[CustomerNeed]]:
        found: dict[str, list[CustomerNeed]] = {i: [] for i in ids}
        query = {"complaintId": {"$in": object_ids(ids)}}
        for d in await find_all(self._needs, query, [("complaintId", 1), ("recordedAt", 1)]):
            found[str(d["complaintId"])].append(
                CustomerNeed(
                    str(d["_id"]), str(d["customerId"]), str(d["complaintId"]), d["need"], d["recordedAt"]
                )
            )
        return [found[i] for i in ids]

    async def breach_events(self, complaint_id: str) -> list[dict[str, Any]]:
        return await find_all(self._events, {"complaintId": ObjectId(complaint_id)}, [("recordedAt", 1)])

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self._complaints.insert_many(docs, ordered=False)


def _with(
    complaint: Complaint, clocks: Mapping[SlaClock, Clock], pause: str | None, now: datetime
) -> Complaint:
    """The item as it will be after a move, for computing due times."""
    from dataclasses import replace

    pauses = list(complaint.pauses)
    if pause == "start":
        pauses.append(Pause(now, None))
    elif pause == "end" and pauses and pauses[-1].ended_at is None:
        pauses[-1] = Pause(pauses[-1].started_at, now)
    return replace(complaint, clocks={**complaint.clocks, **clocks}, pauses=pauses)


def money_doc(value: Money | None) -> dict[str, Any] | None:
    """A compensation's amount as stored (Decimal128)."""
    return money_document(value)
