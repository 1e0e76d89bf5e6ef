"""The care-schedule job (`jobs run care-schedule --date D`, default: today): materialise the
care tasks due on day D.

1. Activation: ACQUIRED customers whose purchase is older than the activation days and who
   have no activation plan yet get one (plan and first tasks in one transaction per batch).
2. Recurring rules: the templates say which open plans may have something on D
   (`domain.care.due_selectors`: every plan of a kind on the 1st and 15th or a holiday,
   those started on D's day of the month for monthly emails, those whose customer has a
   birthday on D); `domain.care.tasks_on` decides each plan's tasks, with consent.
3. Key-account letters: each account's letter of the period D falls in (by grade), one per
   decision-maker contact, owned by the account manager; the period's letter count is set.

Safe to run twice: every task is an upsert keyed by plan, template and occurrence (the day,
the letter period and contact), every plan by its key, so a second run for D creates
nothing and reports `changed 0`. The runner's lease keeps two instances from overlapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from domain.care import (
    CarePlanKind,
    CareRules,
    CareTemplate,
    PlanFacts,
    PlannedTasks,
    due_selectors,
    letter_period,
    letters_due,
    plan_key,
    start_of,
    start_plan,
    tasks_on,
)
from domain.jobs import JobResult
from domain.records import Channel
from repositories.care import IN_BATCH, CareRepository, PlanRef, plan_document, plan_ref, task_document
from repositories.care_letters import LetterRepository
from repositories.transactions import in_transaction
from resolvers.jobs import JobContext

#: Plans (and their customers' facts) handled at a time: lookups by id stay small.
BATCH = IN_BATCH


async def care_schedule(job: JobContext) -> JobResult:
    day = job.date or job.clock().date()
    now = job.clock()
    rules = job.settings.care_rules
    care = CareRepository(job.db)
    templates = await care.templates()
    holidays = await care.holidays(day, day)

    examined, activation_plans, activation_tasks = await _activation(job, care, templates, day)
    plans, recurring_tasks = await _recurring(care, templates, day, holidays, now)
    accounts, letters = await _letters(job, care, templates, day, rules)
    examined += plans + accounts
    tasks = activation_tasks + recurring_tasks + letters
    return JobResult(
        examined=examined,
        changed=tasks + activation_plans,
        summary=f"{day.isoformat()}: {tasks} tasks ({recurring_tasks} recurring, {letters} letters), "
        f"{activation_plans} activation plans",
    )


async def _activation(
    job: JobContext, care: CareRepository, templates: Sequence[CareTemplate], day: date
) -> tuple[int, int, int]:
    started = start_of(day)
    rules = job.settings.care_rules
    candidates = await care.activation_candidates(started - timedelta(days=rules.activation_days))
    plans = tasks = 0
    for i in range(0, len(candidates), BATCH):
        batch = candidates[i : i + BATCH]
        keys = {f.customer_id: plan_key(f.customer_id, CarePlanKind.ACTIVATION) for f in batch}
        existing = await care.existing_keys(list(keys.values()))
        fresh: list[tuple[dict[str, Any], PlannedTasks]] = []
        for facts in batch:
            key = keys[facts.customer_id]
            if key in existing:
                continue
            planned = start_plan(CarePlanKind.ACTIVATION, templates, facts, started)
            reason = f"no second purchase for {rules.activation_days} days"
            doc = plan_document(
                facts.customer_id,
                CarePlanKind.ACTIVATION,
                key,
                started,
                reason,
                job.clock(),
                skipped=planned.skipped_channels,
            )
            fresh.append((doc, planned))
        if not fresh:
            continue

        async def write(
            session: AsyncClientSession, fresh: list[tuple[dict[str, Any], PlannedTasks]] = fresh
        ) -> tuple[int, int]:
            return await care.insert_plans_with_tasks(fresh, job.clock(), session)

        made_plans, made_tasks = await in_transaction(job.db, write)
        plans += made_plans
        tasks += made_tasks
    return len(candidates), plans, tasks


async def _recurring(
    care: CareRepository,
    templates: Sequence[CareTemplate],
    day: date,
    holidays: Mapping[date, str],
    now: datetime,
) -> tuple[int, int]:
    """The day's recurring tasks: the plans the day's selectors name (one query), their
    customers' facts (in batches), the tasks `tasks_on` decides, less those a run for the
    day made before (the day's keys: one range on the due index), inserted."""
    plans = await care.due_plans(due_selectors(templates, day, holidays))
    made_before = await care.day_task_keys(day)
    created = 0
    for i in range(0, len(plans), BATCH):
        batch = plans[i : i + BATCH]
        facts = await care.facts_of(list({p.customer_id for p in batch}))
        docs: list[dict[str, Any]] = []
        skipped: list[tuple[str, frozenset[Channel]]] = []
        for plan in batch:
            if plan.customer_id not in facts:
                continue
            planned = tasks_on(
                day,
                PlanFacts(plan.kind, plan.started_at, plan.last_activity_at),
                facts[plan.customer_id],
                templates,
                holidays,
            )
            ref = plan_ref(plan)
            docs += [
                task_document(ref, draft, now)
                for draft in planned.tasks
                if draft.key(plan.id) not in made_before
            ]
            skipped.append((plan.id, planned.skipped_channels))
        created += await care.insert_new_tasks(docs)
        await care.add_skipped_channels(skipped)
    return len(plans), created


async def _letters(
    job: JobContext, care: CareRepository, templates: Sequence[CareTemplate], day: date, rules: CareRules
) -> tuple[int, int]:
    letters = LetterRepository(job.db)
    accounts = await letters.accounts()
    if not accounts:
        return 0, 0
    now = job.clock()
    docs = [
        plan_document(
            a.customer_id,
            CarePlanKind.KEY_ACCOUNT_LETTERS,
            plan_key(a.customer_id, CarePlanKind.KEY_ACCOUNT_LETTERS),
            start_of(day),
            "consultation letters to the account's decision makers",
            now,
            key_account_id=a.id,
        )
        for a in accounts
    ]
    plans, _ = await care.ensure_plans(docs)
    makers = await letters.decision_makers([a.id for a in accounts])
    work: list[tuple[PlanRef, PlannedTasks, str | None]] = []
    periods: list[tuple[str, str, date]] = []
    for a in accounts:
        plan = plans[plan_key(a.customer_id, CarePlanKind.KEY_ACCOUNT_LETTERS)]
        planned = letters_due(day, a.grade, makers.get(a.id, []), templates, rules)
        if planned.tasks:
            work.append((plan_ref(plan), planned, a.manager_id))
            period = letter_period(day, rules.letter_months[a.grade])
            periods.append((a.id, period.label, period.start))
    created = await care.add_tasks_many(work, now)
    await letters.count_letters(periods)
    return len(accounts), created
