"""Care use cases: read plans and the due list within the access policy, complete a task
once, run care activities (create, invite in bulk, record participation, the quarter's
figures), answer a key-account letter (a touchpoint of the account's customer and the
period's running totals) and read an account's satisfaction trend.

Plans and tasks are a customer's activity: read by ADMIN and CX_AGENT, by an account
manager for their book, by nobody else (analysts read only the aggregates: activity figures
and satisfaction trends). ADMIN and CX_AGENT write."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.access import may_read_reports
from domain.care import (
    RECURRING_PLANS,
    CareActivity,
    CareActivityKind,
    CarePlan,
    CarePlanKind,
    CareTask,
    CareTaskKind,
    CareTaskStatus,
    CareTemplate,
    LetterAnswer,
    PeriodSatisfaction,
    TemplateChange,
    answer_outcome,
    changed_template,
    check_activity,
    check_completion,
    check_letter_answer,
    check_participation,
    invitation,
    parse_period,
    plan_key,
    quarter_bounds,
    quarter_of,
    satisfaction_trend,
)
from domain.errors import BadArgument, Forbidden, InvalidTransition, NotFound, Problem, ValidationFailed
from domain.lifecycle import Actor
from domain.records import Channel
from domain.rfm import Segment, segment_areas
from domain.tiers import ValueTier
from domain.touchpoints import JourneyStage, Touchpoint, TouchpointRequest, TouchpointType
from domain.users import Role
from repositories.care import IN_BATCH, PlanFilter, TaskFilter, plan_document
from repositories.care_activities import Audience, QuarterTotals
from repositories.pagination import Page
from repositories.transactions import in_transaction
from resolvers import journeys
from resolvers.care_loaders import TotalsRequest, shown_task
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt
from resolvers.users import check_users

#: Who works care plans and activities.
CARE_WRITERS = frozenset({Role.ADMIN, Role.CX_AGENT})


def _check_writer(ctx: Context) -> None:
    if ctx.viewer.role not in CARE_WRITERS:
        raise Forbidden("your role may not work care plans")


def _actor(ctx: Context) -> Actor:
    v = ctx.viewer
    return Actor(id=v.id, name=v.name, role=v.role.value)


# --- plans and tasks -----------------------------------------------------------------------------


async def plans_by_ids(ctx: Context, ids: list[str]) -> list[CarePlan | None]:
    return await ctx.care.plan_by_id.load_many(ids)


async def tasks_by_ids(ctx: Context, ids: list[str]) -> list[CareTask | None]:
    return await ctx.care.task_by_id.load_many(ids)


async def list_plans(ctx: Context, where: PlanFilter, first: int | None, after: str | None) -> Page[CarePlan]:
    access = await ctx.access()
    page = await ctx.care.plans.plan_page(replace(where, scope=access.activity), first, after)
    for _, plan in page.items:
        ctx.care.plan_by_id.prime(plan.id, plan)
    return page


#: The due list covers at most this many days per request.
DUE_WINDOW_DAYS_MAX = 3660


async def list_tasks(ctx: Context, where: TaskFilter, first: int | None, after: str | None) -> Page[CareTask]:
    """The due list, soonest first: served by the (filter, dueAt) indexes."""
    if where.due_from is not None and where.due_to is not None:
        if where.due_to < where.due_from:
            raise BadArgument("dueTo must not be before dueFrom", "filter.dueTo")
        if where.due_to - where.due_from > timedelta(days=DUE_WINDOW_DAYS_MAX):
            raise BadArgument(f"a due window covers at most {DUE_WINDOW_DAYS_MAX} days", "filter.dueTo")
    access = await ctx.access()
    page = await ctx.care.plans.task_page(replace(where, scope=access.activity), first, after)
    page = replace(page, items=[(cursor, shown_task(access, t)) for cursor, t in page.items])
    for _, task in page.items:
        ctx.care.task_by_id.prime(task.id, task)
    return page


async def _task(ctx: Context, task_id: str, field: str = "id") -> CareTask:
    access = await ctx.access()
    [task] = await ctx.care.plans.tasks_by_ids([task_id], access.activity)
    if task is None:
        raise NotFound("no care task with this id", field)
    return task


def _refused_again(status: CareTaskStatus | None, field: str = "id") -> InvalidTransition:
    return InvalidTransition(
        f"the task is already {status.value if status else 'gone'}; only a PENDING task is completed", field
    )


async def complete_task(
    ctx: Context, task_id: str, status: CareTaskStatus, outcome: str | None
) -> Outcome[CareTask]:
    """PENDING → DONE, SKIPPED or FAILED, once (a second completion is INVALID_TRANSITION);
    a finite plan whose last pending task this was is completed in the same transaction."""

    async def work() -> CareTask:
        _check_writer(ctx)
        text = check_completion(status, outcome)
        await _task(ctx, task_id)
        care, now, actor = ctx.care.plans, ctx.clock(), _actor(ctx)

        async def write(session: AsyncClientSession) -> CareTask:
            done = await care.complete(task_id, status, text, actor, now, session)
            if done is None:
                raise _refused_again(await care.task_status(task_id, session))
            if done.plan_kind not in RECURRING_PLANS:
                await care.complete_plan_if_done(done.plan_id, now, session)
            return done

        return shown_task(await ctx.access(), await in_transaction(ctx.db, write))

    return await attempt(work())


async def templates(ctx: Context) -> list[CareTemplate]:
    if not may_read_reports(ctx.viewer):
        raise Forbidden("your role may not read the care rules")
    return await ctx.care.plans.templates()


async def templates_by_ids(ctx: Context, ids: list[str]) -> list[CareTemplate | None]:
    if not may_read_reports(ctx.viewer):
        return [None for _ in ids]
    return await ctx.care.plans.templates_by_ids(ids)


async def update_template(ctx: Context, template_id: str, change: TemplateChange) -> Outcome[CareTemplate]:
    """A business changes a rule (ADMIN): open plans follow at once for recurring rules (the
    schedule reads the rules of the day); finite rules apply to plans started from now on."""

    async def work() -> CareTemplate:
        if ctx.viewer.role is not Role.ADMIN:
            raise Forbidden("only an ADMIN changes the care rules")
        [found] = await ctx.care.plans.templates_by_ids([template_id])
        if found is None:
            raise NotFound("no care template with this id", "id")
        return await ctx.care.plans.save_template(changed_template(found, change))

    return await attempt(work())


# --- key-account letters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweredLetter:
    task: CareTask
    touchpoint: Touchpoint | None


async def record_letter_answer(
    ctx: Context,
    task_id: str,
    satisfaction: int,
    loyalty_intent: bool,
    comment: str | None,
    answered_at: datetime | None,
) -> Outcome[AnsweredLetter]:
    """The answer becomes a SURVEY touchpoint of the account's customer (recorded through
    the journeys use case, so figures, churn risk and rollups follow; its idempotency key is
    the letter's, so a retry records it once), then the letter is DONE and the period's
    totals count it, in one transaction conditional on the letter being PENDING."""

    async def work() -> AnsweredLetter:
        _check_writer(ctx)
        text = check_letter_answer(satisfaction, comment)
        task = await _task(ctx, task_id, "taskId")
        if task.plan_kind is not CarePlanKind.KEY_ACCOUNT_LETTERS or task.period is None:
            raise ValidationFailed(
                [Problem(ValidationFailed.code, "only a consultation letter takes an answer", "taskId")]
            )
        if task.status is not CareTaskStatus.PENDING:
            raise _refused_again(task.status, "taskId")
        now = ctx.clock()
        request = TouchpointRequest(
            customer_id=task.customer_id,
            channel=task.channel,
            stage=JourneyStage.AFTER_SALE,
            type=TouchpointType.SURVEY,
            occurred_at=answered_at or now,
            satisfaction=satisfaction,
            notes=text,
            idempotency_key=f"care-letter:{task.id}",
        )
        recorded = await journeys.record_touchpoint(ctx, request)
        if recorded.value is None:
            problems = [
                replace(p, field="answeredAt") if p.field == "occurredAt" else p for p in recorded.problems
            ]
            raise ValidationFailed(problems)
        answer = LetterAnswer(satisfaction, loyalty_intent)
        care, letters, actor = ctx.care.plans, ctx.care.letters, _actor(ctx)
        period = task.period
        account = task.key_account_id or ""

        async def write(session: AsyncClientSession) -> CareTask:
            done = await care.complete(
                task_id, CareTaskStatus.DONE, answer_outcome(answer), actor, now, session, answer
            )
            if done is None:
                raise _refused_again(await care.task_status(task_id, session), "taskId")
            await letters.record_answer(account, period, parse_period(period).start, answer, session)
            return done

        done = await in_transaction(ctx.db, write)
        return AnsweredLetter(shown_task(await ctx.access(), done), recorded.value.record)

    return await attempt(work())


#: A satisfaction trend covers at most three years (so a page of accounts with their
#: periods stays within the query budget).
TREND_DAYS_MAX = 3 * 366


async def key_account_satisfaction(
    ctx: Context, key_account_id: str, first: date, last: date
) -> list[PeriodSatisfaction]:
    """The account's letter periods starting in [first, last] against the targets (the
    account comes from a scoped read: whoever reads the dossier reads its trend)."""
    if last < first:
        raise BadArgument("to must not be before from", "to")
    if (last - first).days > TREND_DAYS_MAX:
        raise BadArgument(f"a trend covers at most {TREND_DAYS_MAX} days", "to")
    totals = await ctx.care.letter_totals_by_key_account_id.load(TotalsRequest(key_account_id, first, last))
    return satisfaction_trend(totals, ctx.care_rules)


# --- care activities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewActivity:
    name: str
    kind: CareActivityKind
    held_on: date
    segment: Segment | None
    tier: ValueTier | None
    task_kind: CareTaskKind
    channel: Channel
    owner_id: str | None


async def create_activity(ctx: Context, new: NewActivity) -> Outcome[CareActivity]:
    async def work() -> CareActivity:
        _check_writer(ctx)
        now = ctx.clock()
        name = check_activity(new.name, new.held_on, new.segment, new.tier, now.date())
        if new.owner_id is not None:
            await check_users(
                ctx, [(new.owner_id, "ownerId")], CARE_WRITERS, "this user's role does not work care plans"
            )
        activity = CareActivity(
            id=str(ObjectId()),
            name=name,
            kind=new.kind,
            held_on=new.held_on,
            segment=new.segment,
            tier=new.tier,
            task_kind=new.task_kind,
            channel=new.channel,
            owner_id=new.owner_id,
            created_at=now,
        )
        return await ctx.care.activities.create(activity, activity.quarter)

    return await attempt(work())


async def _activity(ctx: Context, activity_id: str, field: str = "id") -> CareActivity:
    [found] = await ctx.care.activities.by_ids([activity_id])
    if found is None:
        raise NotFound("no care activity with this id", field)
    return found


@dataclass(frozen=True)
class Invitations:
    activity: CareActivity
    invited_now: int
    skipped_without_consent: int
    complete: bool  # every customer of the audience was looked at (else: call again)


INVITE_CHUNK = IN_BATCH


async def invite(ctx: Context, activity_id: str) -> Outcome[Invitations]:
    """Invite the activity's audience (its tier, or its segment today): each customer not
    invited yet gets an ACTIVITY plan and an invitation task on the activity's channel (if
    consented), written in transactions of INVITE_CHUNK. At most the invite batch a call:
    call again until `complete`; a customer is never invited twice (keyed by activity and
    customer)."""

    async def work() -> Invitations:
        _check_writer(ctx)
        activity = await _activity(ctx, activity_id)
        now = ctx.clock()
        audience = (
            Audience(tier=activity.tier)
            if activity.tier is not None
            else Audience(
                segment_areas=segment_areas(activity.segment, now.date(), ctx.value_rules.rfm)  # type: ignore[arg-type]
            )
        )
        activities, plans = ctx.care.activities, ctx.care.plans
        invited = skipped = 0
        after: str | None = None
        limit = ctx.care_rules.invite_batch
        complete = True
        while True:
            facts, after = await activities.audience(
                audience, activity.id, min(INVITE_CHUNK, limit - invited), after
            )
            chunk = []
            for f in facts:
                planned = invitation(activity, f, now)
                if not planned.tasks:
                    skipped += 1
                    continue
                key = plan_key(f.customer_id, CarePlanKind.ACTIVITY, activity.id)
                reason = f"invited to {activity.name}"
                doc = plan_document(
                    f.customer_id, CarePlanKind.ACTIVITY, key, now, reason, now, activity_id=activity.id
                )
                chunk.append((doc, planned))

            async def write(session: AsyncClientSession, chunk: list[Any] = chunk) -> tuple[int, int]:
                return await plans.insert_plans_with_tasks(chunk, now, session, activity.owner_id)

            created, _ = await in_transaction(ctx.db, write) if chunk else (0, 0)
            invited += created
            if after is None:
                break
            if invited >= limit:
                complete = False
                break
        counted = await activities.recount_invited(activity.id)
        return Invitations(counted or activity, invited, skipped, complete)

    return await attempt(work())


async def record_participation(
    ctx: Context, activity_id: str, customer_id: str, participated: bool, satisfaction: int | None
) -> Outcome[CareActivity]:
    """Whether an invitee took part (and how satisfied they were), once per invitee, with
    the activity's running figures in the same transaction."""

    async def work() -> CareActivity:
        _check_writer(ctx)
        check_participation(participated, satisfaction)
        await _activity(ctx, activity_id, "activityId")
        now = ctx.clock()
        activities = ctx.care.activities

        async def write(session: AsyncClientSession) -> str:
            return await activities.record_participation(
                activity_id, customer_id, participated, satisfaction, now, session
            )

        result = await in_transaction(ctx.db, write)
        if result == "not_invited":
            raise NotFound("this customer was not invited to the activity", "customerId")
        if result == "already":
            raise InvalidTransition("this customer's participation is recorded already", "customerId")
        return await _activity(ctx, activity_id, "activityId")

    return await attempt(work())


@dataclass(frozen=True)
class CareQuarter:
    quarter: str
    first_day: date
    last_day: date
    target: int
    totals: QuarterTotals

    @property
    def meets_target(self) -> bool:
        return self.totals.activities >= self.target


async def care_quarter(ctx: Context, quarter: str | None) -> CareQuarter:
    if not may_read_reports(ctx.viewer):
        raise Forbidden("your role may not read care activities")
    name = quarter or quarter_of(ctx.clock().date())
    first, last = quarter_bounds(name)
    totals = await ctx.care.activities.quarter_totals(name)
    return CareQuarter(name, first, last, ctx.care_rules.activities_per_quarter, totals)


async def quarter_activities(
    ctx: Context, quarter: str, first: int | None, after: str | None
) -> Page[CareActivity]:
    page = await ctx.care.activities.page(quarter, first, after)
    for _, activity in page.items:
        ctx.care.activity_by_id.prime(activity.id, activity)
    return page
