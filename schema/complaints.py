"""GraphQL shape of complaints and feedback: the item, its SLA clocks and history, the
queue, departments, and the moves of the closed loop. Calls resolvers; never queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import complaints as domain
from domain.complaints import Filing
from domain.money import Money as DomainMoney
from domain.sla import ClockState, SlaClock
from repositories.complaints import ComplaintFilter as RepositoryComplaintFilter
from repositories.pagination import Paging
from resolvers import complaints as use_cases
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond
from schema.money import MoneyInput
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, connection
from schema.records import Channel, FeedbackCategory, FeedbackKind, Severity
from schema.scalars import Duration
from schema.users import User

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.key_accounts import KeyAccount

ComplaintStatus = domain.ComplaintStatus
strawberry.enum(ComplaintStatus, name="ComplaintStatus", description="Where an item is in the closed loop.")
ComplaintAction = domain.ComplaintAction
strawberry.enum(ComplaintAction, name="ComplaintAction")

PERSONAL = (
    "About the customer: null for those who read the customer masked (ANALYST; a manager outside their book)."
)


@node_type
@strawberry.type(description="A department complaints are routed to.")
class Department(Node):
    name: str

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Department | None]:
        found = await info.context.department_by_id.load_many(ids)
        return [cls(id=global_id("Department", d["id"]), name=d["name"]) if d else None for d in found]


@strawberry.type(description="One SLA clock. `remaining` is an ISO 8601 duration (negative when late).")
class SlaClockState:
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    breached: bool
    remaining: Duration
    remaining_seconds: float = strawberry.field(description="`remaining` in seconds (negative when late).")
    paused: Duration = strawberry.field(
        description="Time the clock stood still while waiting on the customer."
    )
    running: bool

    @classmethod
    def of(cls, state: ClockState | None) -> SlaClockState | None:
        if state is None:
            return None
        return cls(
            started_at=state.started_at,
            due_at=state.due_at,
            met_at=state.met_at,
            breached=state.breached,
            remaining=Duration(state.remaining),
            remaining_seconds=state.remaining.total_seconds(),
            paused=Duration(state.paused),
            running=state.running,
        )


@strawberry.type(
    description="The item's clocks, computed at the time of the request from the targets stored on it."
)
class ComplaintSla:
    policy: str
    first_response: SlaClockState | None
    resolution: SlaClockState | None
    follow_up: SlaClockState | None = strawberry.field(description="Starts at the resolution.")


@strawberry.type
class ComplaintActor:
    id: strawberry.ID
    name: str
    role: str


@strawberry.type(description="One change of the item; the history is append-only.")
class ComplaintHistoryEntry:
    action: ComplaintAction
    from_: ComplaintStatus | None = strawberry.field(name="from")
    to: ComplaintStatus
    at: datetime
    actor: ComplaintActor
    note: str | None = strawberry.field(description=PERSONAL)


@strawberry.type
class Compensation:
    amount: str
    currency: str
    status: str = strawberry.field(description="GRANTED, or PENDING_APPROVAL above the handler's limit.")


@strawberry.type(description="What changes so it does not happen again: the loop's 'improve'.")
class ImprovementAction:
    action: str
    due_at: datetime
    training_case: bool
    created_at: datetime
    _owner_id: strawberry.Private[str]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        found = await info.context.user_by_id.load(self._owner_id)
        return User.from_domain(found) if found else None


@strawberry.type(description="A need a demand suggestion revealed, recorded on the customer.")
class CustomerNeed:
    need: str = strawberry.field(description=PERSONAL)
    recorded_at: datetime


@node_type
@strawberry.type(
    description="A complaint, suggestion or praise from any channel, worked through the closed loop."
)
class Complaint(Node):
    channel: Channel
    kind: FeedbackKind
    category: FeedbackCategory
    severity: Severity
    status: ComplaintStatus
    summary: str
    description: str | None = strawberry.field(description=PERSONAL)
    department_at_fault: str | None
    received_at: datetime
    resolution: str | None = strawberry.field(description=PERSONAL)
    root_cause: str | None
    compensation: Compensation | None
    satisfaction: int | None = strawberry.field(description="From the follow-up, 1-5.")
    fix_held: bool | None
    history: list[ComplaintHistoryEntry]
    version: int
    _domain: strawberry.Private[domain.Complaint]

    @strawberry.field
    def sla(self, info: strawberry.Info) -> ComplaintSla:
        c, now = self._domain, info.context.clock()
        return ComplaintSla(
            policy=c.policy_name,
            first_response=SlaClockState.of(c.clock(SlaClock.FIRST_RESPONSE, now)),
            resolution=SlaClockState.of(c.clock(SlaClock.RESOLUTION, now)),
            follow_up=SlaClockState.of(c.clock(SlaClock.FOLLOW_UP, now)),
        )

    training_case: bool = strawberry.field(description="Marked as a case to train handlers with.")

    @strawberry.field(description="Improvement actions this item led to (one query for the page).")
    async def improvement_actions(self, info: strawberry.Info) -> list[ImprovementAction]:
        found = await info.context.improvements_by_complaint_id.load(self._domain.id)
        return [
            ImprovementAction(
                action=a.action,
                due_at=a.due_at,
                training_case=a.training_case,
                created_at=a.created_at,
                _owner_id=a.owner_id,
            )
            for a in found
        ]

    @strawberry.field(description="Needs this demand suggestion recorded on the customer.")
    async def customer_needs(self, info: strawberry.Info) -> list[CustomerNeed]:
        if not (await info.context.access()).shows_customer(self._domain.customer_id):
            return []  # what a customer wants is personal data
        found = await info.context.needs_by_complaint_id.load(self._domain.id)
        return [CustomerNeed(need=n.need, recorded_at=n.recorded_at) for n in found]

    @strawberry.field
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        from schema.customers import Customer

        found = await info.context.customer_by_id.load(self._domain.customer_id)
        return Customer.from_domain(found) if found else None

    @strawberry.field
    async def key_account(
        self, info: strawberry.Info
    ) -> Annotated[KeyAccount, strawberry.lazy("schema.key_accounts")] | None:
        from schema.key_accounts import KeyAccount

        if self._domain.key_account_id is None:
            return None
        found = await info.context.key_account_by_id.load(self._domain.key_account_id)
        return KeyAccount.from_domain(found) if found else None

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        if self._domain.owner_id is None:
            return None
        found = await info.context.user_by_id.load(self._domain.owner_id)
        return User.from_domain(found) if found else None

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department | None:
        if self._domain.department_id is None:
            return None
        [found] = await Department.resolve_nodes(info, [self._domain.department_id])
        return found

    @classmethod
    def from_domain(cls, c: domain.Complaint) -> Complaint:
        compensation = None
        if c.compensation is not None:
            money = c.compensation.amount
            compensation = Compensation(
                amount=str(money.amount), currency=money.currency, status=c.compensation.status
            )
        return cls(
            id=global_id("Complaint", c.id),
            channel=c.channel,
            kind=c.kind,
            category=c.category,
            severity=c.severity,
            status=c.status,
            summary=c.summary,
            description=c.description,
            department_at_fault=c.department_at_fault,
            received_at=c.received_at,
            resolution=c.resolution,
            root_cause=c.root_cause,
            compensation=compensation,
            satisfaction=c.satisfaction,
            fix_held=c.fix_held,
            training_case=c.training_case,
            history=[
                ComplaintHistoryEntry(
                    action=h.action,
                    from_=h.from_status,
                    to=h.to_status,
                    at=h.at,
                    actor=ComplaintActor(id=strawberry.ID(h.actor.id), name=h.actor.name, role=h.actor.role),
                    note=h.note,
                )
                for h in c.history
            ],
            version=c.version,
            _domain=c,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Complaint | None]:
        return [
            cls.from_domain(c) if c else None for c in await use_cases.complaints_by_ids(info.context, ids)
        ]


@strawberry.type
class ComplaintPayload:
    complaint: Complaint | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.Complaint]) -> ComplaintPayload:
        return payload(cls, "complaint", outcome, Complaint.from_domain)


@strawberry.input
class ComplaintFilter:
    status: ComplaintStatus | None = None
    category: FeedbackCategory | None = None
    department_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    key_account_id: strawberry.ID | None = None
    breached: bool | None = strawberry.field(default=None, description="Some clock met late or past due now.")
    received_from: datetime | None = None
    received_to: datetime | None = None


@strawberry.type
class Count:
    key: str
    count: int


@strawberry.type(description="SLA compliance of one clock: the share of clocks met on time, among those met.")
class ClockCompliance:
    clock: str
    met: int
    on_time: int
    rate: float | None


@strawberry.type
class GroupCompliance:
    id: strawberry.ID = strawberry.field(
        description="A User id (per owner) or a Department id (per department)."
    )
    clocks: list[ClockCompliance]


@strawberry.type(
    description="Complaint figures for a period, from running totals kept per day (UTC) on every write: "
    "items filed on the day they were received, responses and clocks on the day they happened."
)
class ComplaintStats:
    filed: int
    by_category: list[Count]
    by_kind: list[Count]
    by_channel: list[Count]
    first_responses: int
    average_first_response_seconds: float | None
    median_first_response_seconds: float | None
    compliance: list[ClockCompliance]
    compliance_by_owner: list[GroupCompliance]
    compliance_by_department: list[GroupCompliance]
    resolved: int
    reopened: int
    reopen_rate: float | None = strawberry.field(description="Reopenings per resolution in the period.")

    @classmethod
    def of(cls, totals: dict[str, Any]) -> ComplaintStats:
        def counts(key: str) -> list[Count]:
            return [Count(key=k, count=v) for k, v in sorted(totals.get(key, {}).items())]

        def clocks(values: dict[str, Any]) -> list[ClockCompliance]:
            return [
                ClockCompliance(clock=name.value, met=c.met, on_time=c.on_time, rate=c.rate)
                for name, c in sorted(domain.compliance(values).items(), key=lambda item: item[0].value)
            ]

        def groups(key: str, type_name: str) -> list[GroupCompliance]:
            return [
                GroupCompliance(id=global_id(type_name, k), clocks=clocks(v))
                for k, v in sorted(totals.get(key, {}).items())
            ]

        times = totals.get("firstResponseSeconds", [])
        resolved, reopened = totals.get("resolved", 0), totals.get("reopened", 0)
        return cls(
            filed=totals.get("filed", 0),
            by_category=counts("byCategory"),
            by_kind=counts("byKind"),
            by_channel=counts("byChannel"),
            first_responses=len(times),
            average_first_response_seconds=domain.mean(times),
            median_first_response_seconds=domain.median(times),
            compliance=clocks(totals.get("clocks", {})),
            compliance_by_owner=groups("owners", "User"),
            compliance_by_department=groups("departments", "Department"),
            resolved=resolved,
            reopened=reopened,
            reopen_rate=domain.reopen_rate(resolved, reopened),
        )


@strawberry.type
class ComplaintQueries:
    @strawberry.field(
        description="Figures for the days from..to (UTC, at most 366): ADMIN, CX_AGENT, ANALYST."
    )
    async def complaint_stats(
        self,
        info: strawberry.Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> ComplaintStats:
        return ComplaintStats.of(await use_cases.complaint_stats(info.context, from_, to))

    @strawberry.field
    async def complaint(self, info: strawberry.Info, id: strawberry.ID) -> Complaint | None:
        [found] = await use_cases.complaints_by_ids(info.context, [argument_id(id, "Complaint", "id")])
        return Complaint.from_domain(found) if found else None

    @connection(description="The complaint queue, newest first, within what the viewer may read.")
    async def complaints(
        self,
        info: strawberry.Info,
        paging: Paging,
        filter: ComplaintFilter | None = None,
    ) -> Connection[Complaint]:
        f = filter or ComplaintFilter()

        def local(value: strawberry.ID | None, type_name: str, name: str) -> str | None:
            return None if value is None else argument_id(value, type_name, f"filter.{name}")

        where = RepositoryComplaintFilter(
            scope=None,  # type: ignore[arg-type]  # the use case sets the viewer's scope
            status=f.status,
            category=f.category,
            department_id=local(f.department_id, "Department", "departmentId"),
            owner_id=local(f.owner_id, "User", "ownerId"),
            customer_id=local(f.customer_id, "Customer", "customerId"),
            key_account_id=local(f.key_account_id, "KeyAccount", "keyAccountId"),
            received_from=f.received_from,
            received_to=f.received_to,
            breached=f.breached,
        )
        page = await use_cases.list_complaints(info.context, where, paging)
        return Connection.of(page, Complaint.from_domain, info.context.cursors)

    @connection(description="Departments complaints are routed to, by name.")
    async def departments(self, info: strawberry.Info, paging: Paging) -> Connection[Department]:
        page = await info.context.complaints.departments_page(paging)
        return Connection.of(
            page,
            lambda d: Department(id=global_id("Department", d["id"]), name=d["name"]),
            info.context.cursors,
        )


# --- moves -------------------------------------------------------------------------------


@strawberry.input
class FileComplaintInput:
    customer_id: strawberry.ID
    channel: Channel
    kind: FeedbackKind
    category: FeedbackCategory
    severity: Severity
    summary: str = strawberry.field(description="A short title (at most 200 characters).")
    key_account_id: strawberry.ID | None = None
    description: str | None = None
    received_at: datetime | None = strawberry.field(
        default=None, description="When it reached us, for items logged after the fact; never in the future."
    )
    department_at_fault: str | None = None


@strawberry.input
class ComplaintIdInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class AcknowledgeComplaintInput:
    id: strawberry.ID
    response: str
    expected_version: int | None = None


@strawberry.input
class ComplaintReasonInput:
    id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.input
class ResolveComplaintInput:
    id: strawberry.ID
    resolution: str
    root_cause: str | None = None
    compensation: MoneyInput | None = None
    expected_version: int | None = None


@strawberry.input
class ComplaintFollowUpInput:
    id: strawberry.ID
    satisfaction: int
    fix_held: bool
    expected_version: int | None = None


@strawberry.input
class AssignComplaintInput:
    id: strawberry.ID
    department_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    expected_version: int | None = None


async def _moved(
    input_id: strawberry.ID, run: Callable[[str], Awaitable[Outcome[domain.Complaint]]]
) -> ComplaintPayload:
    async def use_case() -> Outcome[domain.Complaint]:
        ids = InputIds()
        complaint_id = ids.one(input_id, "Complaint", "id")
        ids.check()
        return await run(complaint_id)

    return await respond(ComplaintPayload.of, use_case)


def _money(value: MoneyInput | None) -> DomainMoney | None:
    return value.to_domain() if value is not None else None


@strawberry.input
class PlanImprovementInput:
    id: strawberry.ID = strawberry.field(description="A RESOLVED or CLOSED complaint.")
    action: str
    owner_id: strawberry.ID
    due_at: datetime
    training_case: bool = False
    expected_version: int | None = None


@strawberry.input
class RecordCustomerNeedInput:
    id: strawberry.ID = strawberry.field(description="A SUGGESTION_SERVICE_DEMAND item.")
    need: str
    expected_version: int | None = None


async def _file(info: strawberry.Info, input: FileComplaintInput) -> ComplaintPayload:
    async def use_case() -> Outcome[domain.Complaint]:
        ids = InputIds()
        customer_id = ids.one(input.customer_id, "Customer", "customerId")
        key_account_id = ids.optional(input.key_account_id, "KeyAccount", "keyAccountId")
        ids.check()
        filing = Filing(
            customer_id=customer_id,
            key_account_id=key_account_id,
            channel=input.channel,
            kind=input.kind,
            category=input.category,
            severity=input.severity,
            summary=input.summary,
            description=input.description,
            received_at=input.received_at,
            department_at_fault=input.department_at_fault,
        )
        return await use_cases.file_complaint(info.context, filing)

    return await respond(ComplaintPayload.of, use_case)


@strawberry.type
class ComplaintMutations:
    @strawberry.mutation(
        description="Turn a resolved complaint into an improvement action (and a training case)."
    )
    async def plan_improvement(self, info: strawberry.Info, input: PlanImprovementInput) -> ComplaintPayload:
        async def use_case() -> Outcome[domain.Complaint]:
            ids = InputIds()
            complaint_id = ids.one(input.id, "Complaint", "id")
            owner_id = ids.one(input.owner_id, "User", "ownerId")
            ids.check()
            return await use_cases.plan_improvement(
                info.context,
                complaint_id,
                input.action,
                owner_id,
                input.due_at,
                input.training_case,
                input.expected_version,
            )

        return await respond(ComplaintPayload.of, use_case)

    @strawberry.mutation(description="Record the need a demand suggestion revealed on the customer.")
    async def record_customer_need(
        self, info: strawberry.Info, input: RecordCustomerNeedInput
    ) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.record_need(ctx, i, input.need, input.expected_version)
        )

    @strawberry.mutation(description="Record a complaint or other feedback from any channel.")
    async def file_complaint(self, info: strawberry.Info, input: FileComplaintInput) -> ComplaintPayload:
        return await _file(info, input)

    @strawberry.mutation(
        description="The same as fileComplaint, by the name feedback intake uses (any kind)."
    )
    async def file_feedback(self, info: strawberry.Info, input: FileComplaintInput) -> ComplaintPayload:
        return await _file(info, input)

    @strawberry.mutation(
        description="The first response: OPEN → ACKNOWLEDGED (meets the first-response clock)."
    )
    async def acknowledge_complaint(
        self, info: strawberry.Info, input: AcknowledgeComplaintInput
    ) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.acknowledge(ctx, i, input.response, input.expected_version)
        )

    @strawberry.mutation(description="→ IN_PROGRESS (from OPEN, ACKNOWLEDGED or WAITING_ON_CUSTOMER).")
    async def start_complaint_work(self, info: strawberry.Info, input: ComplaintIdInput) -> ComplaintPayload:
        ctx = info.context
        return await _moved(input.id, lambda i: use_cases.start_work(ctx, i, input.expected_version))

    @strawberry.mutation(description="→ WAITING_ON_CUSTOMER: the clocks stop until work resumes.")
    async def wait_on_customer(self, info: strawberry.Info, input: ComplaintReasonInput) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.wait_on_customer(ctx, i, input.reason, input.expected_version)
        )

    @strawberry.mutation(
        description="→ RESOLVED, or PENDING_APPROVAL when the compensation is above the handler's limit."
    )
    async def resolve_complaint(
        self, info: strawberry.Info, input: ResolveComplaintInput
    ) -> ComplaintPayload:
        ctx = info.context
        limit = ctx.compensation_limit
        return await _moved(
            input.id,
            lambda i: use_cases.resolve(
                ctx,
                i,
                input.resolution,
                input.root_cause,
                _money(input.compensation),
                input.expected_version,
                limit,
            ),
        )

    @strawberry.mutation(description="PENDING_APPROVAL → RESOLVED (ADMIN).")
    async def approve_compensation(self, info: strawberry.Info, input: ComplaintIdInput) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.approve_compensation(ctx, i, input.expected_version)
        )

    @strawberry.mutation(
        description="RESOLVED → CLOSED, with the customer's satisfaction and whether the fix held."
    )
    async def record_complaint_follow_up(
        self, info: strawberry.Info, input: ComplaintFollowUpInput
    ) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id,
            lambda i: use_cases.record_follow_up(
                ctx, i, input.satisfaction, input.fix_held, input.expected_version
            ),
        )

    @strawberry.mutation(description="RESOLVED or CLOSED → IN_PROGRESS, with a new resolution clock.")
    async def reopen_complaint(self, info: strawberry.Info, input: ComplaintReasonInput) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.reopen(ctx, i, input.reason, input.expected_version)
        )

    @strawberry.mutation(description="OPEN or ACKNOWLEDGED → DISCARDED (spam, invalid), with a reason.")
    async def discard_feedback(self, info: strawberry.Info, input: ComplaintReasonInput) -> ComplaintPayload:
        ctx = info.context
        return await _moved(
            input.id, lambda i: use_cases.discard(ctx, i, input.reason, input.expected_version)
        )

    @strawberry.mutation(description="Route the item to a department and/or an owner.")
    async def assign_complaint(self, info: strawberry.Info, input: AssignComplaintInput) -> ComplaintPayload:
        async def use_case() -> Outcome[domain.Complaint]:
            ids = InputIds()
            complaint_id = ids.one(input.id, "Complaint", "id")
            department_id = ids.optional(input.department_id, "Department", "departmentId")
            owner_id = ids.optional(input.owner_id, "User", "ownerId")
            ids.check()
            return await use_cases.assign(
                info.context, complaint_id, department_id, owner_id, input.expected_version
            )

        return await respond(ComplaintPayload.of, use_case)
