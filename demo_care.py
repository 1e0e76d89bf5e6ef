"""Demo care data (`seed_demo_care(db, now)`, called from demo_data.seed_demo_data): plans
for the demo customers made by the real rules (the templates in the database, the pure plan
functions), with tasks in every state, a care activity in each of the last four quarters and
this one with its invitations and figures, and key-account letters with answers and their
running totals. It reads the customers and dossiers already seeded, so it fits whatever
demo base is there.

Deterministic (a seeded generator, ids derived from what they name) and idempotent: the
set is written whole, its marker (the first activity) last, and a second run adds nothing.
Fast: bulk inserts. Customers with no consent recorded get some, with its history (source
"demo data"), so their plans have tasks; demo letter answers sit on the letters and the
period totals (the demo's journeys and touchpoints are seeded with their own rollups).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from domain.care import (
    RECURRING_PLANS,
    SATISFIED_FROM,
    CareActivity,
    CareActivityKind,
    CareFacts,
    CarePlanKind,
    CarePlanStatus,
    CareRules,
    CareTaskKind,
    CareTaskStatus,
    LetterAnswer,
    PlanFacts,
    PlannedTasks,
    TaskDraft,
    answer_outcome,
    invitation,
    letter_period,
    letters_due,
    plan_key,
    quarter_of,
    start_plan,
    tasks_on,
)
from domain.consent import Consent, consent_changes
from domain.lifecycle import Actor
from domain.records import Channel
from domain.tiers import ValueTier
from repositories.care import CareRepository, PlanRef, care_facts, plan_document, task_document
from repositories.care_activities import ACTIVITIES, CareActivityRepository, activity_document
from repositories.care_letters import LetterRepository
from repositories.customers import consent_change_document, consent_document
from repositories.documents import day

DEMO_CARE_CUSTOMERS = 200
RECENT_DAYS = 45
SEED_ACTOR = {"id": "demo-data", "name": "Demo data", "role": "CX_AGENT"}
OUTCOMES = {
    CareTaskStatus.DONE: [
        "reached; happy with the product",
        "sent",
        "answered the survey",
        "accepted the offer",
    ],
    CareTaskStatus.SKIPPED: [
        "customer asked not to be called this month",
        "duplicate of a complaint follow-up",
    ],
    CareTaskStatus.FAILED: ["no answer after three tries", "message bounced"],
}
ACTIVITY_NAMES = [
    ("Customer appreciation day", CareActivityKind.APPRECIATION_DAY, ValueTier.VIP),
    ("Mid-Autumn greetings and mooncakes", CareActivityKind.HOLIDAY_CARE, ValueTier.REGULAR),
    ("New tea tasting", CareActivityKind.PRODUCT_TRIAL, ValueTier.REGULAR),
    ("Spring Festival care", CareActivityKind.HOLIDAY_CARE, ValueTier.VIP),
    ("Members' evening", CareActivityKind.APPRECIATION_DAY, ValueTier.REGULAR),
]


def _id(text: str) -> ObjectId:
    """An id derived from what the record names, the same on every run."""
    return ObjectId(hashlib.sha256(f"demo-care:{text}".encode()).hexdigest()[:24])


def _closed(rng: random.Random) -> CareTaskStatus:
    return rng.choices(
        [CareTaskStatus.DONE, CareTaskStatus.SKIPPED, CareTaskStatus.FAILED, CareTaskStatus.PENDING],
        weights=[60, 12, 10, 18],
    )[0]


class _Seed:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(20261126)
        self.plans: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []

    def plan(
        self,
        customer_id: str,
        kind: CarePlanKind,
        started: datetime,
        reason: str,
        planned: PlannedTasks,
        occasion: str | None = None,
        *,
        key_account_id: str | None = None,
        activity_id: str | None = None,
    ) -> tuple[dict[str, Any], PlanRef]:
        key = plan_key(customer_id, kind, occasion)
        doc = plan_document(
            customer_id,
            kind,
            key,
            started,
            reason,
            started,
            skipped=planned.skipped_channels,
            key_account_id=key_account_id,
            activity_id=activity_id,
            plan_id=_id(key),
        )
        ref = PlanRef(str(doc["_id"]), customer_id, kind, key_account_id, activity_id)
        pending = 0
        for draft in planned.tasks:
            self.tasks.append(self.task(ref, draft, None))
            pending += self.tasks[-1]["status"] == CareTaskStatus.PENDING.value
        if kind not in RECURRING_PLANS and planned.tasks and not pending:
            doc["status"] = CarePlanStatus.COMPLETED.value
        self.plans.append(doc)
        return doc, ref

    def task(
        self, plan: PlanRef, draft: TaskDraft, owner_id: str | None, status: CareTaskStatus | None = None
    ) -> dict[str, Any]:
        doc = task_document(plan, draft, min(draft.due_at, self.now), owner_id)
        doc["_id"] = _id(doc["key"])
        status = status or (_closed(self.rng) if draft.due_at < self.now else CareTaskStatus.PENDING)
        if status is not CareTaskStatus.PENDING:
            doc.update(
                status=status.value,
                outcome=self.rng.choice(OUTCOMES[status]),
                completedAt=min(draft.due_at + timedelta(hours=self.rng.randint(1, 30)), self.now),
                completedBy=SEED_ACTOR,
            )
        return doc


async def _consent(db: AsyncDatabase, customers: list[dict[str, Any]], now: datetime) -> list[CareFacts]:
    """Consent for demo customers who have none recorded: most agree to email, many to SMS,
    some to calls (conditional on no history, so a richer demo base keeps its own)."""
    rng = random.Random(4242)
    updates, facts = [], []
    for doc in customers:
        if doc.get("consentHistory"):
            facts.append(care_facts(doc))
            continue
        given = Consent(sms=rng.random() < 0.7, email=rng.random() < 0.9, phone=rng.random() < 0.5)
        changes = consent_changes(Consent(), given, doc["createdAt"], "demo data", Actor(**SEED_ACTOR))
        history = [consent_change_document(change) for change in changes]
        updates.append(
            UpdateOne(
                {"_id": doc["_id"], "consentHistory": {"$size": 0}},
                {"$set": {"consent": consent_document(given), "consentHistory": history}},
            )
        )
        facts.append(care_facts({**doc, "consent": consent_document(given)}))
    if updates:
        await db["customers"].bulk_write(updates, ordered=False)
    return facts


async def seed_demo_care(db: AsyncDatabase, now: datetime, rules: CareRules | None = None) -> int:
    """Plans, tasks, activities and letters for the demo base; returns the tasks added."""
    rules = rules or CareRules()
    marker = _id(f"activity:{quarter_of(now.date())}")
    if await db[ACTIVITIES].count_documents({"_id": marker}) > 0:
        return 0
    care = CareRepository(db)
    templates = [t for t in await care.templates() if t.active]
    holidays = await care.holidays(now.date() - timedelta(days=400), now.date() + timedelta(days=30))
    customers = (
        await db["customers"]
        .find({"kind": "PERSON", "erasedAt": {"$exists": False}})
        .sort([("_id", 1)])
        .limit(DEMO_CARE_CUSTOMERS)
        .to_list()
    )
    facts = await _consent(db, customers, now)
    seed = _Seed(now)
    rng = seed.rng
    stages = {str(d["_id"]): d["lifecycleStage"] for d in customers}
    for n, f in enumerate(facts):
        stage = stages[f.customer_id]
        started = now - timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 23))
        if stage in ("AT_RISK", "LAPSED"):
            kind = CarePlanKind.RETENTION if stage == "AT_RISK" else CarePlanKind.WIN_BACK
            seed.plan(
                f.customer_id,
                kind,
                started,
                f"moved to {stage}",
                start_plan(kind, templates, f, started),
                started.isoformat(),
            )
            continue
        if stage == "ACQUIRED" and n % 2:
            kind = CarePlanKind.ACTIVATION
            seed.plan(
                f.customer_id,
                kind,
                started,
                "no second purchase for 30 days",
                start_plan(kind, templates, f, started),
            )
            continue
        kind = [
            CarePlanKind.NEW,
            CarePlanKind.QUALITY_NEW,
            CarePlanKind.REGULAR,
            CarePlanKind.REGULAR,
            CarePlanKind.VIP,
        ][n % 5]
        if kind in (CarePlanKind.REGULAR, CarePlanKind.VIP):
            started = now - timedelta(days=rng.randint(60, 300))
            planned = PlannedTasks()
            plan = PlanFacts(kind, started)
            # The recent weeks' and the coming fortnight's recurring tasks (older ones would
            # only be more of the same).
            for offset in range(-RECENT_DAYS, 15):
                planned = planned + tasks_on(
                    now.date() + timedelta(days=offset), plan, f, templates, holidays
                )
            seed.plan(f.customer_id, kind, started, f"the purchase made the customer {kind.value}", planned)
        else:
            seed.plan(f.customer_id, kind, started, "first purchase", start_plan(kind, templates, f, started))
        if n % 9 == 0:
            review = started + timedelta(days=3)
            follow_up = start_plan(CarePlanKind.REVIEW_FOLLOW_UP, templates, f, review)
            seed.plan(
                f.customer_id,
                CarePlanKind.REVIEW_FOLLOW_UP,
                review,
                "review rated low",
                follow_up,
                f"demo-{n}",
            )

    activities = _activities(seed, facts, now)
    totals = await _letters(db, seed, templates, now, rules)
    await care.insert_many(seed.plans, seed.tasks)
    await LetterRepository(db).insert_many(totals)
    # The current quarter's activity is the marker: written last, so a run that stopped
    # half-way runs again.
    await CareActivityRepository(db).insert_many(sorted(activities, key=lambda d: d["_id"] == marker))
    return len(seed.tasks)


def _activities(seed: _Seed, facts: list[CareFacts], now: datetime) -> list[dict[str, Any]]:
    """One activity in each of the last four quarters and in this one, each for a tier,
    with its invitations (done), participation and satisfaction, and its running figures."""
    docs = []
    today = now.date()
    for back in range(4, -1, -1):
        month = today.month - 1 - 3 * back
        first = date(today.year + month // 12, month % 12 + 1, 1)
        quarter_start = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
        held = min(quarter_start + timedelta(days=40), today - timedelta(days=1))
        name, kind, tier = ACTIVITY_NAMES[back % len(ACTIVITY_NAMES)]
        quarter = quarter_of(held)
        activity = CareActivity(
            id=str(_id(f"activity:{quarter}")),
            name=name,
            kind=kind,
            held_on=held,
            segment=None,
            tier=tier,
            task_kind=CareTaskKind.GREETING,
            channel=Channel.SMS,
            owner_id=None,
            created_at=datetime.combine(held - timedelta(days=20), now.timetz()),
        )
        invited_at = activity.created_at
        invited = participated = total = rated = 0
        for f in facts[back * 7 :: 5][:25]:
            planned = invitation(activity, f, invited_at)
            if not planned.tasks:
                continue
            took_part = seed.rng.random() < 0.6
            satisfaction = seed.rng.choice([3, 4, 4, 5, 5]) if took_part else None
            doc, ref = seed.plan(
                f.customer_id,
                CarePlanKind.ACTIVITY,
                invited_at,
                f"invited to {name}",
                PlannedTasks(),
                activity.id,
                activity_id=activity.id,
            )
            seed.tasks.append(seed.task(ref, planned.tasks[0], None, CareTaskStatus.DONE))
            doc["status"] = CarePlanStatus.COMPLETED.value
            if held < now.date():
                doc["participation"] = {
                    "participated": took_part,
                    "recordedAt": day(held + timedelta(days=1)),
                }
                if satisfaction is not None:
                    doc["participation"]["satisfaction"] = satisfaction
                participated += took_part
                total += satisfaction or 0
                rated += satisfaction is not None
            invited += 1
        activity = replace(
            activity,
            invited=invited,
            participated=participated,
            satisfaction_sum=total,
            satisfaction_count=rated,
        )
        docs.append(activity_document(activity, quarter))
    return docs


async def _letters(
    db: AsyncDatabase, seed: _Seed, templates: list[Any], now: datetime, rules: CareRules
) -> list[dict[str, Any]]:
    """Letters of the last year's periods to each account's decision makers: answered
    (most of them) in past periods, pending in the current one; the period totals."""
    letters = LetterRepository(db)
    accounts = await letters.accounts()
    makers = await letters.decision_makers([a.id for a in accounts])
    totals: dict[str, dict[str, Any]] = {}
    for n, account in enumerate(accounts):
        months = rules.letter_months[account.grade]
        opened = now - timedelta(days=370)
        _, ref = seed.plan(
            account.customer_id,
            CarePlanKind.KEY_ACCOUNT_LETTERS,
            opened,
            "consultation letters to the account's decision makers",
            PlannedTasks(),
            key_account_id=account.id,
        )
        period = letter_period(now.date(), months)
        periods = [period]
        while len(periods) < 12 // months + 1:
            periods.append(letter_period(periods[-1].start - timedelta(days=1), months))
        mood = 4.6 if n % 4 else 3.4  # one account in four is slipping
        for p in periods:
            current = p == period
            for draft in letters_due(
                p.start, account.grade, makers.get(account.id, []), templates, rules
            ).tasks:
                answered = not current and seed.rng.random() < 0.85
                doc = seed.task(ref, draft, account.manager_id, CareTaskStatus.PENDING)
                total = totals.setdefault(
                    f"{account.id}:{p.label}",
                    {
                        "_id": f"{account.id}:{p.label}",
                        "keyAccountId": ObjectId(account.id),
                        "period": p.label,
                        "periodStart": day(p.start),
                        "letters": 0,
                        "answers": 0,
                        "satisfactionSum": 0,
                        "satisfied": 0,
                        "loyal": 0,
                    },
                )
                total["letters"] += 1
                if answered:
                    answer = LetterAnswer(
                        max(1, min(5, round(seed.rng.gauss(mood, 0.7)))),
                        seed.rng.random() < (0.9 if n % 4 else 0.6),
                    )
                    doc.update(
                        status=CareTaskStatus.DONE.value,
                        outcome=answer_outcome(answer),
                        completedAt=min(datetime.combine(p.start + timedelta(days=20), now.timetz()), now),
                        completedBy=SEED_ACTOR,
                        answer={"satisfaction": answer.satisfaction, "loyaltyIntent": answer.loyalty_intent},
                    )
                    total["answers"] += 1
                    total["satisfactionSum"] += answer.satisfaction
                    total["satisfied"] += answer.satisfaction >= SATISFIED_FROM
                    total["loyal"] += answer.loyalty_intent
                seed.tasks.append(doc)
    return list(totals.values())
