"""GraphQL shape of care: plans and their tasks, the due list, completing a task, care
activities and their quarter, key-account letters and the satisfaction trend, and the care
rules (templates) they come from. Calls resolvers; never queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.permission import BasePermission

from domain import care as domain
from domain.care import PeriodSatisfaction, parse_period
from domain.records import Channel as DomainChannel
from repositories.care import PlanFilter as RepositoryPlanFilter
from repositories.care import TaskFilter as RepositoryTaskFilter
from resolvers import care as use_cases
from resolvers.care_loaders import TasksRequest
from resolvers.loaders import PageRequest
from resolvers.outcome import Outcome
from schema.customers import Actor
from schema.errors import UserError, payload, respond, user_errors
from schema.journeys import Segment, Touchpoint, ValueTier
from schema.limits import BOUNDED_LISTS
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, opened
from schema.permissions import CanWriteCustomers
from schema.records import Channel
from schema.users import User

if TYPE_CHECKING:
    from schema.contacts import Contact
    from schema.customers import Customer

CarePlanKind = domain.CarePlanKind
strawberry.enum(CarePlanKind, name="CarePlanKind", description="Which rule a plan follows (domain.md §6).")
CarePlanStatus = domain.CarePlanStatus
strawberry.enum(
    CarePlanStatus,
    name="CarePlanStatus",
    description="ACTIVE; COMPLETED (every task ended); CLOSED (its stage was left, or a later plan replaced it).",
)
CareTaskKind = domain.CareTaskKind
strawberry.enum(CareTaskKind, name="CareTaskKind")
CareTaskStatus = domain.CareTaskStatus
strawberry.enum(CareTaskStatus, name="CareTaskStatus")
CareActivityKind = domain.CareActivityKind
strawberry.enum(CareActivityKind, name="CareActivityKind")
CareScheduleType = domain.ScheduleType
strawberry.enum(CareScheduleType, name="CareScheduleType")

OUTCOME = "What happened, as written: personal data, null for those who read the customer masked."


@strawberry.type(description="A key-account letter's answer.")
class LetterAnswer:
    satisfaction: int = strawberry.field(description="1-5.")
    loyalty_intent: bool = strawberry.field(description="Intends to stay (renew, buy again).")


@node_type
@strawberry.type(
    description="One dated task of a care plan: a call, email, SMS, greeting, gift, survey, visit or offer."
)
class CareTask(Node):
    kind: CareTaskKind
    channel: Channel
    title: str
    rule: str = strawberry.field(description="The care template that made it.")
    plan_kind: CarePlanKind
    due_at: datetime
    status: CareTaskStatus
    outcome: str | None = strawberry.field(description=OUTCOME)
    completed_at: datetime | None
    completed_by: Actor | None
    period: str | None = strawberry.field(description="Letters: the period the letter is for (2026-Q4).")
    answer: LetterAnswer | None = strawberry.field(description="Letters: the answer recorded.")
    _domain: strawberry.Private[domain.CareTask]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        if self._domain.owner_id is None:
            return None
        found = await info.context.user_by_id.load(self._domain.owner_id)
        return User.from_domain(found) if found else None

    @strawberry.field
    async def plan(self, info: strawberry.Info) -> CarePlan | None:
        found = await info.context.care.plan_by_id.load(self._domain.plan_id)
        return CarePlan.from_domain(found) if found else None

    @strawberry.field
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        from schema.customers import Customer

        found = await info.context.customer_by_id.load(self._domain.customer_id)
        return Customer.from_domain(found) if found else None

    @strawberry.field(description="Letters: the decision-maker contact it goes to.")
    async def contact(
        self, info: strawberry.Info
    ) -> Annotated[Contact, strawberry.lazy("schema.contacts")] | None:
        from schema.contacts import Contact

        if self._domain.contact_id is None:
            return None
        found = await info.context.contact_by_id.load(self._domain.contact_id)
        return Contact.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, t: domain.CareTask) -> CareTask:
        by = t.completed_by
        return cls(
            id=global_id("CareTask", t.id),
            kind=t.kind,
            channel=t.channel,
            title=t.title,
            rule=t.rule,
            plan_kind=t.plan_kind,
            due_at=t.due_at,
            status=t.status,
            outcome=t.outcome,
            completed_at=t.completed_at,
            completed_by=Actor(id=strawberry.ID(by.id), name=by.name, role=by.role) if by else None,
            period=t.period,
            answer=LetterAnswer(satisfaction=t.answer.satisfaction, loyalty_intent=t.answer.loyalty_intent)
            if t.answer
            else None,
            _domain=t,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[CareTask | None]:
        return [cls.from_domain(t) if t else None for t in await use_cases.tasks_by_ids(info.context, ids)]


@node_type
@strawberry.type(
    description="A customer's care plan: the dated tasks one rule made for them, started by a fact "
    "(a first purchase, a tier reached, a stage move, a review, an activity)."
)
class CarePlan(Node):
    kind: CarePlanKind
    status: CarePlanStatus
    started_at: datetime
    reason: str = strawberry.field(description="The fact that started it.")
    skipped_channels: list[Channel] = strawberry.field(
        description="Channels the customer has not consented to: their tasks were not made."
    )
    closed_at: datetime | None
    closed_reason: str | None
    participated: bool | None = strawberry.field(description="Activities: as recorded.")
    satisfaction: int | None = strawberry.field(description="Activities: 1-5, as recorded.")
    _domain: strawberry.Private[domain.CarePlan]

    @strawberry.field(
        description="The plan's tasks in due order, the first `first` (default 20, at most 100)."
    )
    async def tasks(self, info: strawberry.Info, first: int | None = None) -> list[CareTask]:
        found = await info.context.care.tasks_by_plan_id.load(TasksRequest(self._domain.id, first))
        return [CareTask.from_domain(t) for t in found]

    @strawberry.field
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        from schema.customers import Customer

        found = await info.context.customer_by_id.load(self._domain.customer_id)
        return Customer.from_domain(found) if found else None

    @strawberry.field(
        description="Activities: the activity invited to (null for those who may not read activities)."
    )
    async def activity(self, info: strawberry.Info) -> CareActivity | None:
        if self._domain.activity_id is None:
            return None
        found = await info.context.care.activity_by_id.load(self._domain.activity_id)
        return CareActivity.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, p: domain.CarePlan) -> CarePlan:
        return cls(
            id=global_id("CarePlan", p.id),
            kind=p.kind,
            status=p.status,
            started_at=p.started_at,
            reason=p.reason,
            skipped_channels=list(p.skipped_channels),
            closed_at=p.closed_at,
            closed_reason=p.closed_reason,
            participated=p.participated,
            satisfaction=p.satisfaction,
            _domain=p,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[CarePlan | None]:
        return [cls.from_domain(p) if p else None for p in await use_cases.plans_by_ids(info.context, ids)]


async def customer_care_plans(
    info: strawberry.Info, customer_id: str, first: int | None, after: str | None
) -> Connection[CarePlan]:
    """`Customer.carePlans`: one query for every customer on the page."""
    page = await info.context.care.plans_by_customer_id.load(
        PageRequest(customer_id, first, opened(info, after))
    )
    return Connection.of(page, CarePlan.from_domain, info.context.cursors)


@node_type
@strawberry.type(description="A care activity (campaign) for a segment or a tier, evaluated afterwards.")
class CareActivity(Node):
    name: str
    kind: CareActivityKind
    held_on: date
    quarter: str
    segment: Segment | None
    tier: ValueTier | None
    task_kind: CareTaskKind = strawberry.field(description="The invitation's task kind.")
    channel: Channel = strawberry.field(description="The invitation's channel.")
    invited: int
    participated: int
    participation_rate: float | None = strawberry.field(description="participated / invited.")
    average_satisfaction: float | None = strawberry.field(
        description="Of the participants who rated it, 1-5."
    )
    created_at: datetime
    _domain: strawberry.Private[domain.CareActivity]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        if self._domain.owner_id is None:
            return None
        found = await info.context.user_by_id.load(self._domain.owner_id)
        return User.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, a: domain.CareActivity) -> CareActivity:
        return cls(
            id=global_id("CareActivity", a.id),
            name=a.name,
            kind=a.kind,
            held_on=a.held_on,
            quarter=a.quarter,
            segment=a.segment,
            tier=a.tier,
            task_kind=a.task_kind,
            channel=a.channel,
            invited=a.invited,
            participated=a.participated,
            participation_rate=a.participation_rate,
            average_satisfaction=a.average_satisfaction,
            created_at=a.created_at,
            _domain=a,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[CareActivity | None]:
        found = await info.context.care.activity_by_id.load_many(ids)
        return [cls.from_domain(a) if a else None for a in found]


@strawberry.type(
    description="A quarter's care activities: the playbook holds at least one a quarter "
    "(RAPPORT_CARE_ACTIVITIES_PER_QUARTER), each evaluated by participation and satisfaction."
)
class CareQuarter:
    quarter: str
    from_: date = strawberry.field(name="from")
    to: date
    target: int = strawberry.field(description="Activities the quarter should hold at least.")
    activity_count: int
    meets_target: bool
    invited: int
    participated: int
    participation_rate: float | None
    average_satisfaction: float | None

    @strawberry.field(description="The quarter's activities by date.")
    async def activities(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[CareActivity]:
        page = await use_cases.quarter_activities(info.context, self.quarter, first, opened(info, after))
        return Connection.of(page, CareActivity.from_domain, info.context.cursors)

    @classmethod
    def of(cls, q: use_cases.CareQuarter) -> CareQuarter:
        t = q.totals
        return cls(
            quarter=q.quarter,
            from_=q.first_day,
            to=q.last_day,
            target=q.target,
            activity_count=t.activities,
            meets_target=q.meets_target,
            invited=t.invited,
            participated=t.participated,
            participation_rate=round(t.participated / t.invited, 4) if t.invited else None,
            average_satisfaction=round(t.satisfaction_sum / t.satisfaction_count, 4)
            if t.satisfaction_count
            else None,
        )


# --- key-account satisfaction ---------------------------------------------------------------------


@strawberry.type
class SatisfactionTargets:
    satisfaction: float = strawberry.field(description="Share of satisfied answers (4-5) to reach.")
    loyalty: float = strawberry.field(description="Share of answers intending to stay to reach.")


@strawberry.type(description="One letter period of a key account, from running totals kept on write.")
class SatisfactionPeriod:
    period: str
    from_: date = strawberry.field(name="from")
    to: date
    letters: int
    answers: int
    average_satisfaction: float | None
    satisfaction_rate: float | None = strawberry.field(description="Share of answers of 4-5.")
    loyalty_rate: float | None = strawberry.field(description="Share of answers intending to stay.")
    meets_satisfaction_target: bool | None
    meets_loyalty_target: bool | None
    change: float | None = strawberry.field(
        description="satisfactionRate minus the previous answered period's."
    )

    @classmethod
    def of(cls, p: PeriodSatisfaction) -> SatisfactionPeriod:
        period = parse_period(p.totals.period)
        return cls(
            period=p.totals.period,
            from_=period.start,
            to=period.end,
            letters=p.totals.letters,
            answers=p.totals.answers,
            average_satisfaction=p.average,
            satisfaction_rate=p.satisfaction_rate,
            loyalty_rate=p.loyalty_rate,
            meets_satisfaction_target=p.meets_satisfaction,
            meets_loyalty_target=p.meets_loyalty,
            change=p.change,
        )


@strawberry.type(
    description="The account's consultation/satisfaction letters per period against the playbook's targets."
)
class KeyAccountSatisfaction:
    targets: SatisfactionTargets
    periods: list[SatisfactionPeriod]
    slipping: bool = strawberry.field(
        description="The latest answered period misses a target, or its satisfaction rate fell."
    )


#: Three years of monthly letters (resolvers.care.TREND_DAYS_MAX).
SATISFACTION_PERIODS_MAX = 37
BOUNDED_LISTS[("KeyAccountSatisfaction", "periods")] = SATISFACTION_PERIODS_MAX


async def key_account_satisfaction(
    info: strawberry.Info, key_account_id: str, first: date, last: date
) -> KeyAccountSatisfaction:
    ctx = info.context
    trend = await use_cases.key_account_satisfaction(ctx, key_account_id, first, last)
    return KeyAccountSatisfaction(
        targets=SatisfactionTargets(
            satisfaction=ctx.care_rules.satisfaction_target, loyalty=ctx.care_rules.loyalty_target
        ),
        periods=[SatisfactionPeriod.of(p) for p in trend],
        slipping=domain.slipping(trend),
    )


# --- the rules -------------------------------------------------------------------------------------


@strawberry.type
class CareSchedule:
    type: CareScheduleType
    days: int
    for_days: int
    month_days: list[int]
    every_months: int
    of_child: bool


@strawberry.type(
    description="Which touchpoints a rule reacts to: any of the ratings given, on the types and channels given."
)
class CareTouchpointMatch:
    types: list[str]
    channels: list[Channel]
    satisfaction_at_most: int | None
    nps_at_most: int | None
    negative_sentiment: bool
    active_within_days: int | None


@node_type
@strawberry.type(
    description="A care rule (data in care_templates; the defaults are the playbook's tables): ADMIN, "
    "CX_AGENT and ANALYST read them, ADMIN changes them (updateCareTemplate)."
)
class CareTemplate(Node):
    rule: str = strawberry.field(description="The rule's name, as tasks name it in `rule`.")
    name: str
    applies_to: list[CarePlanKind]
    task_kind: CareTaskKind
    channel: Channel
    schedule: CareSchedule
    marketing: bool = strawberry.field(
        description="Consent applies (letters to key accounts are service mail)."
    )
    match: CareTouchpointMatch | None
    active: bool

    @classmethod
    def from_domain(cls, t: domain.CareTemplate) -> CareTemplate:
        s, m = t.schedule, t.match
        return cls(
            id=global_id("CareTemplate", t.id),
            rule=t.rule,
            name=t.name,
            applies_to=sorted(t.applies_to, key=lambda k: k.value),
            task_kind=t.kind,
            channel=t.channel,
            schedule=CareSchedule(
                type=s.type,
                days=s.days,
                for_days=s.for_days,
                month_days=list(s.month_days),
                every_months=s.every_months,
                of_child=s.of_child,
            ),
            marketing=t.marketing,
            match=None
            if m is None
            else CareTouchpointMatch(
                types=sorted(m.types),
                channels=sorted(m.channels, key=lambda c: c.value),
                satisfaction_at_most=m.satisfaction_at_most,
                nps_at_most=m.nps_at_most,
                negative_sentiment=m.negative_sentiment,
                active_within_days=m.active_within_days,
            ),
            active=t.active,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[CareTemplate | None]:
        return [
            cls.from_domain(t) if t else None for t in await use_cases.templates_by_ids(info.context, ids)
        ]


TEMPLATES_MAX = 200
BOUNDED_LISTS[("Query", "careTemplates")] = TEMPLATES_MAX


# --- queries ------------------------------------------------------------------------------------------


@strawberry.input
class CarePlanFilter:
    customer_id: strawberry.ID | None = None
    kind: CarePlanKind | None = None
    status: CarePlanStatus | None = None


@strawberry.input
class CareTaskFilter:
    customer_id: strawberry.ID | None = None
    due_from: datetime | None = strawberry.field(default=None, description="Due at or after.")
    due_to: datetime | None = strawberry.field(default=None, description="Due before.")
    status: CareTaskStatus | None = None
    owner_id: strawberry.ID | None = None
    channel: Channel | None = None


@strawberry.type
class CareQueries:
    @strawberry.field(
        description="Care plans, newest first (ADMIN, CX_AGENT; ACCOUNT_MANAGER for their book)."
    )
    async def care_plans(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: CarePlanFilter | None = None,
    ) -> Connection[CarePlan]:
        f = filter or CarePlanFilter()
        where = RepositoryPlanFilter(
            scope=None,  # type: ignore[arg-type]  # the use case sets the viewer's scope
            customer_id=None
            if f.customer_id is None
            else argument_id(f.customer_id, "Customer", "filter.customerId"),
            kind=f.kind,
            status=f.status,
        )
        page = await use_cases.list_plans(info.context, where, first, opened(info, after))
        return Connection.of(page, CarePlan.from_domain, info.context.cursors)

    @strawberry.field(
        description="The due list, soonest first (who reads it: as carePlans); a day's list is "
        "`filter: { dueFrom: day, dueTo: next day, status: PENDING }`."
    )
    async def care_tasks(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: CareTaskFilter | None = None,
    ) -> Connection[CareTask]:
        f = filter or CareTaskFilter()
        where = RepositoryTaskFilter(
            scope=None,  # type: ignore[arg-type]  # the use case sets the viewer's scope
            customer_id=None
            if f.customer_id is None
            else argument_id(f.customer_id, "Customer", "filter.customerId"),
            due_from=f.due_from,
            due_to=f.due_to,
            status=f.status,
            owner_id=None if f.owner_id is None else argument_id(f.owner_id, "User", "filter.ownerId"),
            channel=f.channel,
        )
        page = await use_cases.list_tasks(info.context, where, first, opened(info, after))
        return Connection.of(page, CareTask.from_domain, info.context.cursors)

    @strawberry.field(
        description="A quarter's care activities and figures (2026-Q4; default: this quarter): ADMIN, CX_AGENT, ANALYST."
    )
    async def care_activities(self, info: strawberry.Info, quarter: str | None = None) -> CareQuarter:
        return CareQuarter.of(await use_cases.care_quarter(info.context, quarter))

    @strawberry.field(description="The care rules, in order: ADMIN, CX_AGENT, ANALYST.")
    async def care_templates(self, info: strawberry.Info) -> list[CareTemplate]:
        return [
            CareTemplate.from_domain(t) for t in (await use_cases.templates(info.context))[:TEMPLATES_MAX]
        ]


# --- mutations ------------------------------------------------------------------------------------------


@strawberry.type
class CareTaskPayload:
    task: CareTask | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.CareTask]) -> CareTaskPayload:
        return payload(cls, "task", outcome, CareTask.from_domain)


@strawberry.input
class CompleteCareTaskInput:
    id: strawberry.ID
    status: CareTaskStatus = strawberry.field(description="DONE, SKIPPED or FAILED.")
    outcome: str | None = strawberry.field(
        default=None, description="What happened (at most 2,000 characters)."
    )


@strawberry.type
class CareActivityPayload:
    activity: CareActivity | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.CareActivity]) -> CareActivityPayload:
        return payload(cls, "activity", outcome, CareActivity.from_domain)


@strawberry.input
class CreateCareActivityInput:
    name: str
    kind: CareActivityKind
    held_on: date
    segment: Segment | None = strawberry.field(default=None, description="Give a segment or a tier.")
    tier: ValueTier | None = None
    task_kind: CareTaskKind = strawberry.field(
        default=domain.CareTaskKind.GREETING, description="The invitation."
    )
    channel: Channel = strawberry.field(default=DomainChannel.SMS, description="The invitation's channel.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who organises it (owns the invitations)."
    )


@strawberry.input
class InviteToCareActivityInput:
    id: strawberry.ID


@strawberry.type
class InviteToCareActivityPayload:
    activity: CareActivity | None
    invited_now: int
    skipped_without_consent: int = strawberry.field(
        description="Customers of the audience not consented to the channel."
    )
    complete: bool = strawberry.field(description="False: the batch limit was reached; call again to go on.")
    errors: list[UserError]


@strawberry.input
class RecordCareActivityParticipationInput:
    activity_id: strawberry.ID
    customer_id: strawberry.ID
    participated: bool
    satisfaction: int | None = strawberry.field(default=None, description="1-5, participants only.")


@strawberry.input
class RecordLetterAnswerInput:
    task_id: strawberry.ID = strawberry.field(
        description="The letter (a CareTask of a KEY_ACCOUNT_LETTERS plan)."
    )
    satisfaction: int = strawberry.field(description="1-5.")
    loyalty_intent: bool = strawberry.field(description="Intends to stay (renew, buy again).")
    comment: str | None = None
    answered_at: datetime | None = strawberry.field(
        default=None, description="Default: now; never in the future."
    )


@strawberry.type
class RecordLetterAnswerPayload:
    task: CareTask | None
    touchpoint: Touchpoint | None
    errors: list[UserError]


WRITE: list[type[BasePermission]] = [CanWriteCustomers]


class CanChangeCareRules(BasePermission):
    message = "only an ADMIN changes the care rules"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: object, info: strawberry.Info, **kwargs: object) -> bool:
        return bool(info.context.viewer.role.value == "ADMIN")


@strawberry.input(description="Only the fields sent change; a field the rule's schedule has not is refused.")
class UpdateCareTemplateInput:
    id: strawberry.ID
    name: str | None = None
    active: bool | None = None
    days: int | None = strawberry.field(
        default=None, description="AFTER, PER_PURCHASE: the offset; EVERY: the interval."
    )
    for_days: int | None = strawberry.field(default=None, description="EVERY: for how long.")
    month_days: list[int] | None = strawberry.field(default=None, description="MONTHLY: days of the month.")
    every_months: int | None = strawberry.field(default=None, description="MONTHLY: 1, 2, 3, 4, 6 or 12.")


@strawberry.type
class CareTemplatePayload:
    template: CareTemplate | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.CareTemplate]) -> CareTemplatePayload:
        return payload(cls, "template", outcome, CareTemplate.from_domain)


@strawberry.type
class CareMutations:
    @strawberry.mutation(
        permission_classes=[CanChangeCareRules],
        description="Change a care rule's cadence, name or whether it applies (ADMIN): recurring rules apply to "
        "open plans from the next schedule run, the others to plans started from now on.",
    )
    async def update_care_template(
        self, info: strawberry.Info, input: UpdateCareTemplateInput
    ) -> CareTemplatePayload:
        async def use_case() -> Outcome[domain.CareTemplate]:
            ids = InputIds()
            template_id = ids.one(input.id, "CareTemplate", "id")
            ids.check()
            change = domain.TemplateChange(
                name=input.name,
                active=input.active,
                days=input.days,
                for_days=input.for_days,
                month_days=input.month_days,
                every_months=input.every_months,
            )
            return await use_cases.update_template(info.context, template_id, change)

        return await respond(CareTemplatePayload.of, use_case)

    @strawberry.mutation(
        permission_classes=WRITE, description="PENDING → DONE, SKIPPED or FAILED, once, with an outcome."
    )
    async def complete_care_task(
        self, info: strawberry.Info, input: CompleteCareTaskInput
    ) -> CareTaskPayload:
        async def use_case() -> Outcome[domain.CareTask]:
            ids = InputIds()
            task_id = ids.one(input.id, "CareTask", "id")
            ids.check()
            return await use_cases.complete_task(info.context, task_id, input.status, input.outcome)

        return await respond(CareTaskPayload.of, use_case)

    @strawberry.mutation(permission_classes=WRITE, description="A care activity for one segment or one tier.")
    async def create_care_activity(
        self, info: strawberry.Info, input: CreateCareActivityInput
    ) -> CareActivityPayload:
        async def use_case() -> Outcome[domain.CareActivity]:
            ids = InputIds()
            owner_id = ids.optional(input.owner_id, "User", "ownerId")
            ids.check()
            new = use_cases.NewActivity(
                name=input.name,
                kind=input.kind,
                held_on=input.held_on,
                segment=input.segment,
                tier=input.tier,
                task_kind=input.task_kind,
                channel=input.channel,
                owner_id=owner_id,
            )
            return await use_cases.create_activity(info.context, new)

        return await respond(CareActivityPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=WRITE,
        description="Invite the activity's audience: an invitation task each, on consented channels; "
        "never twice. At most RAPPORT_CARE_INVITE_BATCH a call: call again until `complete`.",
    )
    async def invite_to_care_activity(
        self, info: strawberry.Info, input: InviteToCareActivityInput
    ) -> InviteToCareActivityPayload:
        def of(outcome: Outcome[use_cases.Invitations]) -> InviteToCareActivityPayload:
            v = outcome.value
            return InviteToCareActivityPayload(
                activity=CareActivity.from_domain(v.activity) if v else None,
                invited_now=v.invited_now if v else 0,
                skipped_without_consent=v.skipped_without_consent if v else 0,
                complete=v.complete if v else False,
                errors=user_errors(outcome.problems),
            )

        async def use_case() -> Outcome[use_cases.Invitations]:
            ids = InputIds()
            activity_id = ids.one(input.id, "CareActivity", "id")
            ids.check()
            return await use_cases.invite(info.context, activity_id)

        return await respond(of, use_case)

    @strawberry.mutation(
        permission_classes=WRITE, description="Whether an invitee took part, and their satisfaction; once."
    )
    async def record_care_activity_participation(
        self, info: strawberry.Info, input: RecordCareActivityParticipationInput
    ) -> CareActivityPayload:
        async def use_case() -> Outcome[domain.CareActivity]:
            ids = InputIds()
            activity_id = ids.one(input.activity_id, "CareActivity", "activityId")
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            return await use_cases.record_participation(
                info.context, activity_id, customer_id, input.participated, input.satisfaction
            )

        return await respond(CareActivityPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=WRITE,
        description="A key account's answer to a letter: a SURVEY touchpoint of its customer, the letter DONE, "
        "the period's satisfaction totals; once.",
    )
    async def record_letter_answer(
        self, info: strawberry.Info, input: RecordLetterAnswerInput
    ) -> RecordLetterAnswerPayload:
        def of(outcome: Outcome[use_cases.AnsweredLetter]) -> RecordLetterAnswerPayload:
            v = outcome.value
            return RecordLetterAnswerPayload(
                task=CareTask.from_domain(v.task) if v else None,
                touchpoint=Touchpoint.from_domain(v.touchpoint) if v and v.touchpoint else None,
                errors=user_errors(outcome.problems),
            )

        async def use_case() -> Outcome[use_cases.AnsweredLetter]:
            ids = InputIds()
            task_id = ids.one(input.task_id, "CareTask", "taskId")
            ids.check()
            return await use_cases.record_letter_answer(
                info.context,
                task_id,
                input.satisfaction,
                input.loyalty_intent,
                input.comment,
                input.answered_at,
            )

        return await respond(of, use_case)
