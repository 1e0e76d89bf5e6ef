"""GraphQL shape of customers and their lifecycle. Calls resolvers; never queries."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import customers as domain
from domain.access import sees_sharing
from domain.consent import Consent
from domain.customers import PROFILE_FIELDS
from domain.lifecycle import LifecycleAction as DomainLifecycleAction
from domain.lifecycle import LifecycleEvent as DomainLifecycleEvent
from domain.lifecycle import LifecycleStage as DomainLifecycleStage
from domain.lifecycle import allowed_actions, stage_timings
from domain.rfm import rfm_of
from domain.tiers import value_tier
from domain.touchpoints import peak_end
from repositories.customers import CustomerFilter as RepositoryCustomerFilter
from repositories.customers import CustomerOrderField as RepositoryOrderField
from resolvers import customers as use_cases
from resolvers import journeys as use_journeys
from resolvers.customers import ConsentRequest
from resolvers.loaders import PageRequest
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond, sent_fields
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, opened
from schema.permissions import CanWriteCustomers
from schema.scalars import Duration

if TYPE_CHECKING:
    from schema.care import CarePlan
    from schema.complaints import Complaint
    from schema.journeys import ChurnRisk, Journey, Rfm, Segment, Touchpoint, ValueTier
    from schema.loyalty import Coupon, LoyaltyAccount
    from schema.records import Purchase

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
CustomerKind = domain.CustomerKind
strawberry.enum(CustomerKind, name="CustomerKind")
LifecycleStage = DomainLifecycleStage
strawberry.enum(LifecycleStage, name="LifecycleStage", description="Where the relationship stands.")
LifecycleAction = DomainLifecycleAction
strawberry.enum(LifecycleAction, name="LifecycleAction")


@strawberry.type(description="Who did it, as they were named at the time.")
class Actor:
    id: strawberry.ID
    name: str
    role: str


@strawberry.type(description="One lifecycle transition; the history is append-only.")
class LifecycleEvent:
    action: LifecycleAction
    from_: LifecycleStage = strawberry.field(name="from")
    to: LifecycleStage
    at: datetime
    actor: Actor
    reason: str | None = strawberry.field(
        description="Why, as written: it may name people, so it is personal data (null for "
        "PARTNER and ANALYST, and for ACCOUNT_MANAGER outside their book)."
    )

    @classmethod
    def from_domain(cls, event: DomainLifecycleEvent) -> LifecycleEvent:
        actor = event.actor
        return cls(
            action=event.action,
            from_=event.from_stage,
            to=event.to_stage,
            at=event.at,
            actor=Actor(id=strawberry.ID(actor.id), name=actor.name, role=actor.role),
            reason=event.reason,
        )


@strawberry.type(description="Time spent in one stage, over all its visits.")
class StageTiming:
    stage: LifecycleStage
    entered_at: datetime = strawberry.field(description="When the stage was first entered.")
    exited_at: datetime | None = strawberry.field(
        description="When the stage was last left; null only for the current stage."
    )
    total_time: Duration
    total_seconds: float
    visits: int
    current: bool


PERSONAL = "Personal data: null for PARTNER and ANALYST, and for ACCOUNT_MANAGER outside their book."


@node_type
@strawberry.type(
    description="A person or organisation. Who reads which customers, and which fields, is "
    "the access policy (README, Security): a PARTNER reads only customers shared with it."
)
class Customer(Node):
    kind: CustomerKind
    name: str = strawberry.field(
        description="A person's full name; PARTNER, ANALYST and ACCOUNT_MANAGER outside their "
        "book read only the first name and the initial of the last. Organisations' names are shown."
    )
    email: str | None = strawberry.field(description=PERSONAL)
    phone: str | None = strawberry.field(description=PERSONAL)
    birthday: date | None = strawberry.field(description=PERSONAL)
    child_birthday: date | None = strawberry.field(description=PERSONAL)
    consent: ConsentState | None = strawberry.field(description=PERSONAL)
    consent_history: list[ConsentChangeEntry] = strawberry.field(description=PERSONAL + " Append-only.")
    tags: list[str]
    source: str | None
    erased: bool = strawberry.field(description="Personal data erased on request (eraseCustomer).")
    lifecycle_stage: LifecycleStage
    allowed_actions: list[LifecycleAction] = strawberry.field(
        description="Lifecycle actions allowed from the current stage."
    )
    lifecycle_history: list[LifecycleEvent]
    version: int
    created_at: datetime
    updated_at: datetime
    _domain: strawberry.Private[domain.Customer]

    @strawberry.field(
        description="Partner ids whose portals may read this customer; ADMIN and CX_AGENT only (null for others)."
    )
    def shared_with(self, info: strawberry.Info) -> list[str] | None:
        return self._domain.shared_with if sees_sharing(info.context.viewer) else None

    @strawberry.field(
        description="The customer's complaints and feedback, newest first (one query for every customer on the page)."
    )
    async def complaints(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Complaint, strawberry.lazy("schema.complaints")]]:
        from schema.complaints import Complaint

        loader = info.context.complaints_by_customer_id
        page = await loader.load(PageRequest(self._domain.id, first, opened(info, after)))
        return Connection.of(page, Complaint.from_domain, info.context.cursors)

    @strawberry.field(
        description="From the purchase history (thresholds are settings); null for PARTNER and for "
        "ACCOUNT_MANAGER outside their book."
    )
    def value_tier(
        self, info: strawberry.Info
    ) -> Annotated[ValueTier, strawberry.lazy("schema.journeys")] | None:
        c = self._domain
        return None if c.figures_withheld else value_tier(c.figures, info.context.value_rules.tiers)

    @strawberry.field(
        description="RFM today (the request's clock); null before the first purchase or where withheld."
    )
    def rfm(self, info: strawberry.Info) -> Annotated[Rfm, strawberry.lazy("schema.journeys")] | None:
        from schema.journeys import Rfm

        c = self._domain
        if c.figures_withheld:
            return None
        return Rfm.of(rfm_of(c.figures, info.context.clock().date(), info.context.value_rules.rfm))

    @strawberry.field(
        description="Churn risk as last scored; null before the first purchase or where withheld."
    )
    def churn_risk(self) -> Annotated[ChurnRisk, strawberry.lazy("schema.journeys")] | None:
        from schema.journeys import ChurnRisk

        return ChurnRisk.of(self._domain.churn_risk)

    @strawberry.field(
        description="Touchpoints, newest first (ADMIN, CX_AGENT; ACCOUNT_MANAGER for their book; empty for others)."
    )
    async def touchpoints(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Touchpoint, strawberry.lazy("schema.journeys")]]:
        from schema.journeys import Touchpoint

        loader = info.context.touchpoints_by_customer_id
        page = await loader.load(PageRequest(self._domain.id, first, opened(info, after)))
        return Connection.of(page, Touchpoint.from_domain, info.context.cursors)

    @strawberry.field(description="Purchases, newest first (who sees them: as touchpoints).")
    async def purchases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Purchase, strawberry.lazy("schema.records")]]:
        from schema.records import Purchase

        loader = info.context.purchases_by_customer_id
        page = await loader.load(PageRequest(self._domain.id, first, opened(info, after)))
        return Connection.of(page, Purchase.from_domain, info.context.cursors)

    @strawberry.field(
        description="Care plans, newest first (who sees them: as purchases; one query for every customer on the page)."
    )
    async def care_plans(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[CarePlan, strawberry.lazy("schema.care")]]:
        from schema.care import customer_care_plans

        return await customer_care_plans(info, self._domain.id, first, after)

    @strawberry.field(
        description="Points: balance, ledger and lots (ADMIN, CX_AGENT; ACCOUNT_MANAGER for their book; "
        "null for others)."
    )
    async def loyalty(
        self, info: strawberry.Info
    ) -> Annotated[LoyaltyAccount, strawberry.lazy("schema.loyalty")] | None:
        from schema.loyalty import loyalty_of

        return await loyalty_of(info, self._domain.id)

    @strawberry.field(description="Coupons, newest first (who sees them: as loyalty; empty for others).")
    async def coupons(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Coupon, strawberry.lazy("schema.loyalty")]]:
        from schema.loyalty import coupons_of

        return await coupons_of(info, self._domain.id, first, after)

    @strawberry.field(
        description="The touchpoints between from and to in order, scored by the peak-end rule."
    )
    async def journey(
        self,
        info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> Annotated[Journey, strawberry.lazy("schema.journeys")]:
        from schema.journeys import Journey, Touchpoint

        found, count = await use_journeys.journey(info.context, self._domain.id, from_, to)
        score = peak_end(found)
        return Journey(
            touchpoints=[Touchpoint.from_domain(t) for t in found],
            touchpoint_count=count,
            complete=count <= len(found),
            score=score.score,
            peak=Touchpoint.from_domain(score.peak) if score.peak else None,
            end=Touchpoint.from_domain(score.end) if score.end else None,
        )

    @strawberry.field(description="Time in each stage, derived from the history.")
    def stage_timings(self, info: strawberry.Info) -> list[StageTiming]:
        c = self._domain
        return [
            StageTiming(
                stage=t.stage,
                entered_at=t.entered_at,
                exited_at=t.exited_at,
                total_time=Duration(t.total_time),
                total_seconds=t.total_time.total_seconds(),
                visits=t.visits,
                current=t.current,
            )
            for t in stage_timings(c.created_at, c.lifecycle_history, info.context.clock())
        ]

    @classmethod
    def from_domain(cls, c: domain.Customer) -> Customer:
        return cls(
            id=global_id("Customer", c.id),
            kind=c.kind,
            name=c.name,
            email=c.email,
            phone=c.phone,
            birthday=c.birthday,
            child_birthday=c.child_birthday,
            consent=ConsentState(sms=c.consent.sms, email=c.consent.email, phone=c.consent.phone)
            if c.consent
            else None,
            consent_history=[
                ConsentChangeEntry(
                    channel=h.channel.value,
                    given=h.given,
                    at=h.at,
                    source=h.source,
                    actor=Actor(id=strawberry.ID(h.actor.id), name=h.actor.name, role=h.actor.role),
                )
                for h in c.consent_history
            ],
            tags=c.tags,
            source=c.source,
            erased=c.erased_at is not None,
            lifecycle_stage=c.lifecycle_stage,
            allowed_actions=allowed_actions(c.lifecycle_stage),
            lifecycle_history=[LifecycleEvent.from_domain(e) for e in c.lifecycle_history],
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            _domain=c,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Customer | None]:
        found = await info.context.customer_by_id.load_many(ids)
        return [cls.from_domain(c) if c else None for c in found]


@strawberry.input
class CustomerFilter:
    lifecycle_stage: LifecycleStage | None = None
    search: str | None = strawberry.field(
        default=None, description="Words that start the customer's name words or email."
    )
    tag: str | None = None
    value_tier: Annotated[ValueTier, strawberry.lazy("schema.journeys")] | None = None
    segment: Annotated[Segment, strawberry.lazy("schema.journeys")] | None = strawberry.field(
        default=None, description="The RFM segment today."
    )
    churn_risk_above: float | None = strawberry.field(
        default=None, description="Churn risk as last scored, above this (0-1)."
    )


@strawberry.enum
class CustomerOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    NAME = "NAME"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(
    description="Marketing consent per channel. Send all three: one left out is false (not consented)."
)
class ConsentInput:
    sms: bool = False
    email: bool = False
    phone: bool = False
    source: str | None = strawberry.field(
        default=None,
        description="Where it was given (a form, the store, a call); default: the name of the token used.",
    )

    def to_request(self) -> ConsentRequest:
        return ConsentRequest(Consent(sms=self.sms, email=self.email, phone=self.phone), self.source)


@strawberry.type(description="What the customer agreed to be contacted by.")
class ConsentState:
    sms: bool
    email: bool
    phone: bool


@strawberry.type(description="One change of consent, with when and where it was given or withdrawn.")
class ConsentChangeEntry:
    channel: str
    given: bool
    at: datetime
    source: str
    actor: Actor


@strawberry.input
class CreateCustomerInput:
    name: str
    kind: CustomerKind = domain.CustomerKind.PERSON
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    child_birthday: date | None = None
    tags: list[str] | None = None
    source: str | None = strawberry.field(default=None, description="Acquisition source/channel.")
    consent: ConsentInput | None = None
    shared_with: list[str] | None = strawberry.field(
        default=None, description="Partner ids whose portals may read this customer (masked)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the retry returns the first result.",
    )


@strawberry.input(description="Only the fields sent change; null clears an optional field.")
class UpdateCustomerInput:
    id: strawberry.ID
    expected_version: int
    name: str | None = strawberry.UNSET
    kind: CustomerKind | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    child_birthday: date | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    source: str | None = strawberry.UNSET
    shared_with: list[str] | None = strawberry.UNSET
    consent: ConsentInput | None = strawberry.field(
        default=None,
        description="The consent now (all three channels); changes are recorded in consentHistory.",
    )


@strawberry.input
class LifecycleTransitionInput:
    customer_id: strawberry.ID
    expected_version: int
    reason: str


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.Customer]) -> CustomerPayload:
        return payload(cls, "customer", outcome, Customer.from_domain)


@strawberry.type
class CustomerQueries:
    @strawberry.field
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        found = await use_cases.customer_by_id(info.context, argument_id(id, "Customer", "id"))
        return Customer.from_domain(found) if found else None

    @strawberry.field
    async def customers(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        where = filter or CustomerFilter()
        order = order_by or CustomerOrder()
        page = await use_cases.list_customers(
            info.context,
            RepositoryCustomerFilter(
                lifecycle_stage=where.lifecycle_stage,
                tag=where.tag,
                value_tier=where.value_tier,
                churn_risk_above=where.churn_risk_above,
            ),
            where.search,
            RepositoryOrderField[order.field.name],
            order.direction is OrderDirection.DESC,
            first,
            opened(info, after),
            segment=where.segment,
        )
        return Connection.of(page, Customer.from_domain, info.context.cursors)


def _lifecycle_mutation(action: DomainLifecycleAction, description: str) -> Any:
    async def resolve(info: strawberry.Info, input: LifecycleTransitionInput) -> CustomerPayload:
        async def use_case() -> Outcome[domain.Customer]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            return await use_cases.change_lifecycle_stage(
                info.context, customer_id, input.expected_version, action, input.reason
            )

        return await respond(CustomerPayload.of, use_case)

    return strawberry.mutation(
        resolver=resolve, description=description, permission_classes=[CanWriteCustomers]
    )


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(permission_classes=[CanWriteCustomers])
    async def create_customer(self, info: strawberry.Info, input: CreateCustomerInput) -> CustomerPayload:
        outcome = await use_cases.create_customer(
            info.context,
            sent_fields(input, PROFILE_FIELDS),
            input.idempotency_key,
            input.consent.to_request() if input.consent else None,
        )
        return CustomerPayload.of(outcome)

    @strawberry.mutation(permission_classes=[CanWriteCustomers])
    async def update_customer(self, info: strawberry.Info, input: UpdateCustomerInput) -> CustomerPayload:
        async def use_case() -> Outcome[domain.Customer]:
            ids = InputIds()
            customer_id = ids.one(input.id, "Customer", "id")
            ids.check()
            changes = sent_fields(input, PROFILE_FIELDS)
            consent = input.consent.to_request() if input.consent else None
            return await use_cases.update_customer(
                info.context, customer_id, input.expected_version, changes, consent
            )

        return await respond(CustomerPayload.of, use_case)

    A = DomainLifecycleAction
    acquire_customer = _lifecycle_mutation(A.ACQUIRE, "PROSPECT → ACQUIRED: first transaction.")
    activate_customer = _lifecycle_mutation(A.ACTIVATE, "ACQUIRED → ACTIVE: came back.")
    retain_customer = _lifecycle_mutation(A.RETAIN, "ACTIVE or AT_RISK → RETAINED.")
    flag_customer_at_risk = _lifecycle_mutation(A.FLAG_AT_RISK, "ACTIVE or RETAINED → AT_RISK.")
    lapse_customer = _lifecycle_mutation(A.LAPSE, "ACQUIRED, ACTIVE, RETAINED or AT_RISK → LAPSED.")
    win_back_customer = _lifecycle_mutation(A.WIN_BACK, "LAPSED → ACTIVE.")
    del A
