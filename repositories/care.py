"""Care plans and tasks, and the rules they come from: documents <-> domain objects, the due
list and plan lists within a scope, plans started once (keyed by what started them), tasks
written once (keyed by plan, template and occurrence), conditional completion, and what
the schedule job reads (templates, holidays, open plans, the facts of their customers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from domain.access import PersonalFields, Scope
from domain.care import (
    CareFacts,
    CarePlan,
    CarePlanKind,
    CarePlanStatus,
    CareTask,
    CareTaskKind,
    CareTaskStatus,
    CareTemplate,
    DueSelector,
    LetterAnswer,
    PlannedTasks,
    Schedule,
    ScheduleType,
    TaskDraft,
    TouchpointMatch,
    start_of,
)
from domain.consent import Consent
from domain.errors import NotFound
from domain.lifecycle import Actor
from domain.records import Channel
from repositories.access import about_customers, within
from repositories.documents import by_ids, day, day_of, find_all, insert_missing, object_ids, without_none
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, count_children, find_child_pages, find_page
from repositories.personal_data import Holding, Owner

TEMPLATES = "care_templates"
HOLIDAYS = "care_holidays"
PLANS = "care_plans"
TASKS = "care_tasks"
NEWEST_FIRST = SortKey("startedAt", descending=True)
DUE_FIRST = SortKey("dueAt")
DUPLICATE_KEY = 11000
#: Ids looked up with one `$in` at most: MongoDB answers any size from the index, but the
#: embedded server's `$in` grows with the square of its list (100 ids: 0.2 s; 1,000: 10 s).
IN_BATCH = 100

#: What happened on a task, as written (a call's notes), is about the customer: withheld
#: where the customer is read masked, erased on request. Plans hold ids, kinds and times.
MASKED = PersonalFields(hidden=("outcome",))
TASKS_DATA = Holding(TASKS, Owner.CUSTOMER, ("customerId",), {"outcome": None})
PLANS_DATA = Holding(PLANS, Owner.CUSTOMER, ("customerId",))


# --- templates --------------------------------------------------------------------------------


def to_template(doc: Mapping[str, Any]) -> CareTemplate:
    s = doc["schedule"]
    m = doc.get("match")
    return CareTemplate(
        id=str(doc["_id"]),
        rule=doc["rule"],
        name=doc["name"],
        applies_to=frozenset(CarePlanKind(k) for k in doc["appliesTo"]),
        kind=CareTaskKind(doc["task"]["kind"]),
        channel=Channel(doc["task"]["channel"]),
        schedule=Schedule(
            type=ScheduleType(s["type"]),
            days=s.get("days", 0),
            for_days=s.get("forDays", 0),
            month_days=tuple(s.get("monthDays", ())),
            every_months=s.get("everyMonths", 1),
            of_child=s.get("ofChild", False),
        ),
        marketing=doc.get("marketing", True),
        match=None
        if m is None
        else TouchpointMatch(
            types=frozenset(m.get("types", ())),
            channels=frozenset(Channel(c) for c in m.get("channels", ())),
            satisfaction_at_most=m.get("satisfactionAtMost"),
            nps_at_most=m.get("npsAtMost"),
            negative_sentiment=m.get("negativeSentiment", False),
            active_within_days=m.get("activeWithinDays"),
        ),
        active=doc.get("active", True),
        order=doc.get("order", 0),
    )


def schedule_document(s: Schedule) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": s.type.value}
    if s.type in (ScheduleType.AFTER, ScheduleType.EVERY, ScheduleType.PER_PURCHASE):
        doc["days"] = s.days
    if s.type is ScheduleType.EVERY:
        doc["forDays"] = s.for_days
    if s.type is ScheduleType.MONTHLY:
        if s.month_days:
            doc["monthDays"] = list(s.month_days)
        doc["everyMonths"] = s.every_months
    if s.type is ScheduleType.BIRTHDAY and s.of_child:
        doc["ofChild"] = True
    return doc


# --- plans and tasks ------------------------------------------------------------------------------


def _oid(value: str | None) -> ObjectId | None:
    return to_object_id(value) if value else None


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def to_plan(doc: Mapping[str, Any]) -> CarePlan:
    participation = doc.get("participation") or {}
    return CarePlan(
        id=str(doc["_id"]),
        customer_id=str(doc["customerId"]),
        kind=CarePlanKind(doc["kind"]),
        status=CarePlanStatus(doc["status"]),
        started_at=doc["startedAt"],
        reason=doc["reason"],
        skipped_channels=tuple(Channel(c) for c in doc.get("skippedChannels", [])),
        created_at=doc["createdAt"],
        closed_at=doc.get("closedAt"),
        closed_reason=doc.get("closedReason"),
        last_activity_at=doc.get("lastActivityAt"),
        key_account_id=_str(doc.get("keyAccountId")),
        activity_id=_str(doc.get("activityId")),
        participated=participation.get("participated"),
        satisfaction=participation.get("satisfaction"),
    )


def plan_document(
    customer_id: str,
    kind: CarePlanKind,
    key: str,
    started_at: datetime,
    reason: str,
    now: datetime,
    *,
    skipped: Iterable[Channel] = (),
    status: CarePlanStatus = CarePlanStatus.ACTIVE,
    key_account_id: str | None = None,
    activity_id: str | None = None,
    last_activity_at: datetime | None = None,
    plan_id: ObjectId | None = None,
) -> dict[str, Any]:
    return without_none(
        {
            "_id": plan_id or ObjectId(),
            "key": key,
            "customerId": ObjectId(customer_id),
            "kind": kind.value,
            "status": status.value,
            "startedAt": started_at,
            "startDay": started_at.day,
            "reason": reason,
            "skippedChannels": sorted(c.value for c in skipped),
            "keyAccountId": _oid(key_account_id),
            "activityId": _oid(activity_id),
            "lastActivityAt": last_activity_at,
            "createdAt": now,
            "updatedAt": now,
        }
    )


def _actor(doc: Mapping[str, Any] | None) -> Actor | None:
    return Actor(id=doc["id"], name=doc["name"], role=doc["role"]) if doc else None


def to_task(doc: Mapping[str, Any]) -> CareTask:
    answer = doc.get("answer")
    return CareTask(
        id=str(doc["_id"]),
        plan_id=str(doc["planId"]),
        customer_id=str(doc["customerId"]),
        plan_kind=CarePlanKind(doc["planKind"]),
        rule=doc["rule"],
        title=doc["title"],
        kind=CareTaskKind(doc["kind"]),
        channel=Channel(doc["channel"]),
        due_at=doc["dueAt"],
        status=CareTaskStatus(doc["status"]),
        outcome=doc.get("outcome"),
        owner_id=_str(doc.get("ownerId")),
        created_at=doc["createdAt"],
        completed_at=doc.get("completedAt"),
        completed_by=_actor(doc.get("completedBy")),
        key_account_id=_str(doc.get("keyAccountId")),
        contact_id=_str(doc.get("contactId")),
        activity_id=_str(doc.get("activityId")),
        period=doc.get("period"),
        answer=LetterAnswer(answer["satisfaction"], answer["loyaltyIntent"]) if answer else None,
    )


@dataclass(frozen=True)
class PlanRef:
    """What a task document copies from its plan."""

    id: str
    customer_id: str
    kind: CarePlanKind
    key_account_id: str | None = None
    activity_id: str | None = None


def plan_ref(plan: CarePlan) -> PlanRef:
    return PlanRef(plan.id, plan.customer_id, plan.kind, plan.key_account_id, plan.activity_id)


def task_document(
    plan: PlanRef, draft: TaskDraft, now: datetime, owner_id: str | None = None
) -> dict[str, Any]:
    return without_none(
        {
            "_id": ObjectId(),
            "key": draft.key(plan.id),
            "planId": ObjectId(plan.id),
            "customerId": ObjectId(plan.customer_id),
            "planKind": plan.kind.value,
            "rule": draft.rule,
            "title": draft.title,
            "kind": draft.kind.value,
            "channel": draft.channel.value,
            "dueAt": draft.due_at,
            "status": CareTaskStatus.PENDING.value,
            "ownerId": _oid(owner_id),
            "keyAccountId": _oid(plan.key_account_id),
            "contactId": _oid(draft.contact_id),
            "activityId": _oid(plan.activity_id),
            "period": draft.period,
            "createdAt": now,
        }
    )


def care_facts(doc: Mapping[str, Any]) -> CareFacts:
    """A customer document's care facts (read with FACT_FIELDS)."""
    consent = doc.get("consent") or {}
    return CareFacts(
        customer_id=str(doc["_id"]),
        consent=Consent(
            sms=bool(consent.get("sms")), email=bool(consent.get("email")), phone=bool(consent.get("phone"))
        ),
        birthday=day_of(doc.get("birthday")),
        child_birthday=day_of(doc.get("childBirthday")),
    )


FACT_FIELDS = {"consent": 1, "birthday": 1, "childBirthday": 1}


@dataclass(frozen=True)
class TaskFilter:
    scope: Scope
    customer_id: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    status: CareTaskStatus | None = None
    owner_id: str | None = None
    channel: Channel | None = None


@dataclass(frozen=True)
class PlanFilter:
    scope: Scope
    customer_id: str | None = None
    kind: CarePlanKind | None = None
    status: CarePlanStatus | None = None


class CareRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._templates = db[TEMPLATES]
        self._holidays = db[HOLIDAYS]
        self._plans = db[PLANS]
        self._tasks = db[TASKS]

    # --- rules ---

    async def templates(self, session: AsyncClientSession | None = None) -> list[CareTemplate]:
        cursor = self._templates.find({}, session=session).sort([("order", 1), ("_id", 1)])
        return [to_template(d) for d in await cursor.to_list()]

    async def holidays(self, first: date, last: date) -> dict[date, str]:
        query = {"day": {"$gte": day(first), "$lte": day(last)}}
        return {d["day"].date(): d["name"] for d in await find_all(self._holidays, query)}

    async def templates_by_ids(self, ids: Sequence[str]) -> list[CareTemplate | None]:
        return await by_ids(self._templates, ids, to_template)

    async def save_template(self, template: CareTemplate) -> CareTemplate:
        """A business's change of a rule: its name, whether it applies, its schedule."""
        doc = await self._templates.find_one_and_update(
            {"_id": ObjectId(template.id)},
            {
                "$set": {
                    "name": template.name,
                    "active": template.active,
                    "schedule": schedule_document(template.schedule),
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise NotFound("no care template with this id", "id")
        return to_template(doc)

    # --- reads within a scope ---

    async def plans_by_ids(self, ids: Sequence[str], scope: Scope) -> list[CarePlan | None]:
        return await by_ids(self._plans, ids, to_plan, about_customers(scope))

    async def tasks_by_ids(self, ids: Sequence[str], scope: Scope) -> list[CareTask | None]:
        return await by_ids(self._tasks, ids, to_task, about_customers(scope))

    async def task_page(self, where: TaskFilter, first: int | None, after: str | None) -> Page[CareTask]:
        return await find_page(self._tasks, self._task_query(where), DUE_FIRST, first, after, to_task)

    @staticmethod
    def _task_query(where: TaskFilter) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if where.customer_id is not None:
            query["customerId"] = to_object_id(where.customer_id)
        if where.status is not None:
            query["status"] = where.status.value
        if where.owner_id is not None:
            query["ownerId"] = to_object_id(where.owner_id)
        if where.channel is not None:
            query["channel"] = where.channel.value
        due: dict[str, Any] = {}
        if where.due_from is not None:
            due["$gte"] = where.due_from
        if where.due_to is not None:
            due["$lt"] = where.due_to
        if due:
            query["dueAt"] = due
        return within(query, about_customers(where.scope))

    async def plan_page(self, where: PlanFilter, first: int | None, after: str | None) -> Page[CarePlan]:
        query: dict[str, Any] = {}
        if where.customer_id is not None:
            query["customerId"] = to_object_id(where.customer_id)
        if where.kind is not None:
            query["kind"] = where.kind.value
        if where.status is not None:
            query["status"] = where.status.value
        scoped = within(query, about_customers(where.scope))
        return await find_page(self._plans, scoped, NEWEST_FIRST, first, after, to_plan)

    async def plan_pages_by_customer(
        self, customer_ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[CarePlan]]:
        return await find_child_pages(
            self._plans, "customerId", object_ids(customer_ids), NEWEST_FIRST, first, after, to_plan
        )

    async def plan_counts_by_customer(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._plans, "customerId", object_ids(customer_ids))

    async def tasks_by_plans(self, plan_ids: Sequence[str], first: int | None) -> dict[str, list[CareTask]]:
        """The first tasks of each plan in due order: one aggregate for every plan asked."""
        pages = await find_child_pages(
            self._tasks, "planId", object_ids(plan_ids), DUE_FIRST, first, None, to_task
        )
        return {plan_id: [task for _, task in page.items] for plan_id, page in pages.items()}

    # --- starting plans and adding tasks (inside the transaction of the fact) ---

    async def recorded_at(self, purchase_id: str, session: AsyncClientSession) -> datetime | None:
        """When a purchase was recorded (the time of the transaction that writes its plans)."""
        doc = await self._db["purchases"].find_one(
            {"_id": to_object_id(purchase_id)}, {"recordedAt": 1}, session=session
        )
        return doc.get("recordedAt") if doc else None

    async def plan_by_key(self, key: str, session: AsyncClientSession | None = None) -> CarePlan | None:
        doc = await self._plans.find_one({"key": key}, session=session)
        return to_plan(doc) if doc else None

    async def start(
        self,
        doc: dict[str, Any],
        planned: PlannedTasks,
        now: datetime,
        session: AsyncClientSession,
        owner_id: str | None = None,
    ) -> CarePlan:
        """Insert a new plan with its first tasks (the caller has checked its key is free,
        inside the same transaction: the fact's write serialises them). A finite plan that
        starts with no task (every channel unconsented) is completed at once."""
        await self._plans.insert_one(doc, session=session)
        plan = to_plan(doc)
        await self.add_tasks(plan_ref(plan), planned, now, session, owner_id)
        if not planned.tasks and not plan.recurring:
            await self._plans.update_one(
                {"_id": doc["_id"]},
                {"$set": {"status": CarePlanStatus.COMPLETED.value, "closedAt": now, "updatedAt": now}},
                session=session,
            )
        return plan

    async def add_tasks(
        self,
        plan: PlanRef,
        planned: PlannedTasks,
        now: datetime,
        session: AsyncClientSession | None,
        owner_id: str | None = None,
    ) -> int:
        """Write the tasks not written yet (keyed by plan, template and occurrence: an
        upsert that finds its key does nothing) and record the channels skipped."""
        requests = [
            UpdateOne({"key": doc["key"]}, {"$setOnInsert": doc}, upsert=True)
            for doc in (task_document(plan, draft, now, owner_id) for draft in planned.tasks)
        ]
        created = 0
        if requests:
            result = await self._tasks.bulk_write(requests, ordered=False, session=session)
            created = result.upserted_count
        if planned.skipped_channels:
            await self._plans.update_one(
                {"_id": ObjectId(plan.id)},
                {
                    "$addToSet": {
                        "skippedChannels": {"$each": sorted(c.value for c in planned.skipped_channels)}
                    }
                },
                session=session,
            )
        return created

    async def close(
        self,
        customer_id: str,
        kind: CarePlanKind,
        at: datetime,
        reason: str,
        session: AsyncClientSession,
        *,
        skip_pending: bool,
    ) -> int:
        """Close the customer's open plans of `kind`; their pending tasks are skipped when
        they are no longer needed. Returns the plans closed."""
        open_plans = await self._plans.find(
            {"customerId": ObjectId(customer_id), "kind": kind.value, "status": CarePlanStatus.ACTIVE.value},
            {"_id": 1},
            session=session,
        ).to_list()
        ids = [d["_id"] for d in open_plans]
        if not ids:
            return 0
        await self._plans.update_many(
            {"_id": {"$in": ids}, "status": CarePlanStatus.ACTIVE.value},
            {
                "$set": {
                    "status": CarePlanStatus.CLOSED.value,
                    "closedAt": at,
                    "closedReason": reason,
                    "updatedAt": at,
                }
            },
            session=session,
        )
        if skip_pending:
            await self._tasks.update_many(
                {"planId": {"$in": ids}, "status": CareTaskStatus.PENDING.value},
                {"$set": {"status": CareTaskStatus.SKIPPED.value, "outcome": reason, "completedAt": at}},
                session=session,
            )
        return len(ids)

    async def note_activity(self, plan_id: str, at: datetime, session: AsyncClientSession) -> None:
        """A community plan stays active while its customer takes part (the latest time wins)."""
        await self._plans.update_one(
            {"_id": ObjectId(plan_id)},
            {"$max": {"lastActivityAt": at}, "$set": {"updatedAt": at}},
            session=session,
        )

    # --- completing ---

    async def complete(
        self,
        task_id: str,
        status: CareTaskStatus,
        outcome: str | None,
        actor: Actor,
        at: datetime,
        session: AsyncClientSession,
        answer: LetterAnswer | None = None,
    ) -> CareTask | None:
        """PENDING → status, once: None when the task is no longer pending."""
        changes: dict[str, Any] = {
            "status": status.value,
            "completedAt": at,
            "completedBy": {"id": actor.id, "name": actor.name, "role": actor.role},
        }
        if outcome is not None:
            changes["outcome"] = outcome
        if answer is not None:
            changes["answer"] = {"satisfaction": answer.satisfaction, "loyaltyIntent": answer.loyalty_intent}
        doc = await self._tasks.find_one_and_update(
            {"_id": to_object_id(task_id), "status": CareTaskStatus.PENDING.value},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return to_task(doc) if doc else None

    async def task_status(self, task_id: str, session: AsyncClientSession) -> CareTaskStatus | None:
        doc = await self._tasks.find_one({"_id": to_object_id(task_id)}, {"status": 1}, session=session)
        return CareTaskStatus(doc["status"]) if doc else None

    async def complete_plan_if_done(self, plan_id: str, at: datetime, session: AsyncClientSession) -> bool:
        """A finite plan with no pending task left is completed."""
        pending = await self._tasks.count_documents(
            {"planId": ObjectId(plan_id), "status": CareTaskStatus.PENDING.value}, limit=1, session=session
        )
        if pending:
            return False
        result = await self._plans.update_one(
            {"_id": ObjectId(plan_id), "status": CarePlanStatus.ACTIVE.value},
            {"$set": {"status": CarePlanStatus.COMPLETED.value, "closedAt": at, "updatedAt": at}},
            session=session,
        )
        return result.modified_count == 1

    # --- the schedule job ---

    async def activation_candidates(self, bought_before: datetime, batch: int = 1000) -> list[CareFacts]:
        """ACQUIRED customers whose (only) purchase was before `bought_before`."""
        query = {
            "lifecycleStage": "ACQUIRED",
            "figures.lastPurchaseAt": {"$lt": bought_before},
            "erasedAt": {"$exists": False},
        }
        cursor = self._db["customers"].find(query, FACT_FIELDS).batch_size(batch)
        return [care_facts(d) async for d in cursor]

    async def existing_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return {
            d["key"] for d in await find_all(self._plans, {"key": {"$in": list(keys)}}, projection={"key": 1})
        }

    async def insert_plans_with_tasks(
        self,
        plans: Sequence[tuple[dict[str, Any], PlannedTasks]],
        now: datetime,
        session: AsyncClientSession,
        owner_id: str | None = None,
    ) -> tuple[int, int]:
        """Plans whose keys were free when read, each with its first tasks, in one
        transaction (a plan is an upsert on its key: one started meanwhile is left alone,
        and gets no tasks from here). Returns (plans, tasks) created."""
        if not plans:
            return 0, 0
        requests = [UpdateOne({"key": doc["key"]}, {"$setOnInsert": doc}, upsert=True) for doc, _ in plans]
        result = await self._plans.bulk_write(requests, ordered=True, session=session)
        created_plans = tasks = 0
        for index in result.upserted_ids or {}:
            doc, planned = plans[index]
            created_plans += 1
            tasks += await self.add_tasks(plan_ref(to_plan(doc)), planned, now, session, owner_id)
        return created_plans, tasks

    async def due_plans(self, selectors: Sequence[DueSelector]) -> list[CarePlan]:
        """The open plans a day's selectors name, in one query (a branch per selector; the
        birthday selectors through the customers whose birthday it is)."""
        branches: list[dict[str, Any]] = []
        birthdays = [s for s in selectors if s.birthdays is not None]
        if birthdays and (customers := await self._birthday_customers(birthdays)):
            kinds = sorted({k.value for s in birthdays for k in s.kinds})
            branches.append({"kind": {"$in": kinds}, "customerId": {"$in": object_ids(customers)}})
        for selector in selectors:
            if selector.birthdays is not None:
                continue
            branch: dict[str, Any] = {"kind": {"$in": sorted(k.value for k in selector.kinds)}}
            if selector.start_days is not None:
                branch["startDay"] = {"$in": sorted(selector.start_days)}
            branches.append(branch)
        if not branches:
            return []
        query = {"status": CarePlanStatus.ACTIVE.value, "$or": branches}
        return [to_plan(d) for d in await find_all(self._plans, query)]

    async def _birthday_customers(self, selectors: Sequence[DueSelector]) -> list[str]:
        """Customers whose birthday (or child's) falls on a selector's (month, day): one query
        (a month and a day are no index range: it reads the customers with a birthday)."""
        same_day = []
        for selector in selectors:
            assert selector.birthdays is not None
            name = "$childBirthday" if selector.child else "$birthday"
            same_day += [
                {"$and": [{"$eq": [{"$month": name}, month]}, {"$eq": [{"$dayOfMonth": name}, d]}]}
                for month, d in sorted(selector.birthdays)
            ]
        query: dict[str, Any] = {
            "erasedAt": {"$exists": False},
            "$or": [{"birthday": {"$type": "date"}}, {"childBirthday": {"$type": "date"}}],
            "$expr": same_day[0] if len(same_day) == 1 else {"$or": same_day},
        }
        return [str(d["_id"]) for d in await find_all(self._db["customers"], query, projection={"_id": 1})]

    async def day_task_keys(self, day: date) -> set[str]:
        """The keys of the tasks due at the start of `day` (what a schedule run for the day
        made before): one range on the due index."""
        query = {"dueAt": start_of(day)}
        return {d["key"] for d in await find_all(self._tasks, query, projection={"key": 1})}

    async def insert_new_tasks(self, docs: Sequence[dict[str, Any]]) -> int:
        """Insert tasks whose keys were free when read; one written meanwhile (a duplicate
        key) is left as it is. Returns how many were inserted."""
        if not docs:
            return 0
        try:
            result = await self._tasks.insert_many(list(docs), ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as error:
            if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
                raise
            return int(error.details.get("nInserted", 0))

    async def add_skipped_channels(self, skipped: Sequence[tuple[str, frozenset[Channel]]]) -> None:
        requests = [
            UpdateOne(
                {"_id": ObjectId(plan_id)},
                {"$addToSet": {"skippedChannels": {"$each": sorted(c.value for c in channels)}}},
            )
            for plan_id, channels in skipped
            if channels
        ]
        if requests:
            await self._plans.bulk_write(requests, ordered=False)

    async def facts_of(self, customer_ids: Sequence[str]) -> dict[str, CareFacts]:
        query = {"_id": {"$in": object_ids(customer_ids)}}
        return {
            str(d["_id"]): care_facts(d)
            for d in await find_all(self._db["customers"], query, projection=FACT_FIELDS)
        }

    async def add_tasks_many(
        self, batches: Sequence[tuple[PlanRef, PlannedTasks, str | None]], now: datetime
    ) -> int:
        """Tasks for many plans at once (the schedule job): upserts keyed as add_tasks."""
        requests = [
            UpdateOne({"key": doc["key"]}, {"$setOnInsert": doc}, upsert=True)
            for plan, planned, owner in batches
            for doc in (task_document(plan, draft, now, owner) for draft in planned.tasks)
        ]
        created = 0
        if requests:
            result = await self._tasks.bulk_write(requests, ordered=False)
            created = result.upserted_count
        skipped = [
            UpdateOne(
                {"_id": ObjectId(plan.id)},
                {
                    "$addToSet": {
                        "skippedChannels": {"$each": sorted(c.value for c in planned.skipped_channels)}
                    }
                },
            )
            for plan, planned, _ in batches
            if planned.skipped_channels
        ]
        if skipped:
            await self._plans.bulk_write(skipped, ordered=False)
        return created

    async def ensure_plans(self, docs: Sequence[dict[str, Any]]) -> tuple[dict[str, CarePlan], int]:
        """Plans by key, inserting those missing (upserts); returns them and how many were new."""
        if not docs:
            return {}, 0
        result = await self._plans.bulk_write(
            [UpdateOne({"key": d["key"]}, {"$setOnInsert": d}, upsert=True) for d in docs], ordered=False
        )
        found = await find_all(self._plans, {"key": {"$in": [d["key"] for d in docs]}})
        return {d["key"]: to_plan(d) for d in found}, result.upserted_count

    async def created_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these task keys exist (the letters job counts what it added)."""
        if not keys:
            return set()
        return {
            d["key"] for d in await find_all(self._tasks, {"key": {"$in": list(keys)}}, projection={"key": 1})
        }

    # --- seeding and the benchmark ---

    async def insert_many(self, plans: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        await insert_missing(self._plans, plans)
        for start in range(0, len(tasks), 5000):
            await insert_missing(self._tasks, tasks[start : start + 5000])
