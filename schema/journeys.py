"""GraphQL shape of journeys and value: touchpoints, recorded purchases, the peak-end
journey, value tiers, RFM and churn risk on a customer. Calls resolvers; never queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from domain import churn as churn_domain
from domain import rfm as rfm_domain
from domain import tiers as tiers_domain
from domain import touchpoints as domain
from domain.purchases import PurchaseRequest
from domain.records import PurchaseLine as DomainPurchaseLine
from domain.touchpoints import TouchpointRequest
from resolvers import journeys as use_cases
from resolvers.journeys import JOURNEY_TOUCHPOINTS_MAX, Recorded
from resolvers.outcome import Outcome
from schema.errors import UserError, respond, user_errors
from schema.limits import BOUNDED_LISTS
from schema.node import InputIds, Node, global_id, node_type
from schema.permissions import CanWriteCustomers
from schema.records import Channel, Purchase

if TYPE_CHECKING:
    from schema.customers import Customer

JourneyStage = domain.JourneyStage
strawberry.enum(JourneyStage, name="JourneyStage")
TouchpointType = domain.TouchpointType
strawberry.enum(TouchpointType, name="TouchpointType")
Sentiment = domain.Sentiment
strawberry.enum(Sentiment, name="Sentiment")
ValueTier = tiers_domain.ValueTier
strawberry.enum(
    ValueTier,
    name="ValueTier",
    description="From the purchase history: NONE, NEW (one purchase), QUALITY_NEW (one of 4+ units), "
    "REGULAR (2+ purchases below the VIP line), VIP (lifetime spend of 8,000 or more); thresholds are settings.",
)
Segment = rfm_domain.Segment
strawberry.enum(Segment, name="Segment", description="RFM segment (README: Journeys and value).")

P = TypeVar("P")
NOTES = "What the customer said: personal data, null for those who read the customer masked."


@node_type
@strawberry.type(description="One interaction at one channel and journey stage.")
class Touchpoint(Node):
    channel: Channel
    stage: JourneyStage
    type: TouchpointType
    occurred_at: datetime
    satisfaction: int | None = strawberry.field(description="1-5.")
    nps: int | None = strawberry.field(description="0-10.")
    sentiment: Sentiment | None
    notes: str | None = strawberry.field(description=NOTES)
    created_at: datetime

    @classmethod
    def from_domain(cls, t: domain.Touchpoint) -> Touchpoint:
        return cls(
            id=global_id("Touchpoint", t.id),
            channel=t.channel,
            stage=t.stage,
            type=t.type,
            occurred_at=t.occurred_at,
            satisfaction=t.satisfaction,
            nps=t.nps,
            sentiment=t.sentiment,
            notes=t.notes,
            created_at=t.created_at,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Touchpoint | None]:
        return [
            cls.from_domain(t) if t else None for t in await use_cases.touchpoints_by_ids(info.context, ids)
        ]


@strawberry.type(
    description="A journey by the peak-end rule: score = 3 + value(peak) + value(end) on the 1-5 scale, "
    "where a touchpoint's value in [-1, 1] is (satisfaction - 3) / 2, else (NPS - 5) / 5, else its sentiment "
    "(+0.5, 0, -0.5); the peak is the rated touchpoint with the largest |value| (the later on a tie), the end "
    "the last rated one. Moments in between carry no weight."
)
class Journey:
    touchpoints: list[Touchpoint] = strawberry.field(
        description=f"In the order they happened; at most the latest {JOURNEY_TOUCHPOINTS_MAX} of the period."
    )
    touchpoint_count: int = strawberry.field(description="All touchpoints of the period.")
    complete: bool = strawberry.field(description="False when the period has more than 200 touchpoints.")
    score: float | None = strawberry.field(description="1-5; null when no touchpoint was rated.")
    peak: Touchpoint | None
    end: Touchpoint | None


BOUNDED_LISTS[("Journey", "touchpoints")] = JOURNEY_TOUCHPOINTS_MAX


@strawberry.type(
    description="Recency in days since the last purchase, frequency in purchases, monetary in spend."
)
class Rfm:
    recency: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: Segment

    @classmethod
    def of(cls, value: rfm_domain.Rfm | None) -> Rfm | None:
        if value is None:
            return None
        return cls(
            recency=value.recency,
            frequency=value.frequency,
            monetary=value.monetary,
            r=value.r,
            f=value.f,
            m=value.m,
            segment=value.segment,
        )


@strawberry.type
class ChurnSignal:
    name: str
    weight: float
    value: float = strawberry.field(description="0-1; the score is the sum of weight x value.")


@strawberry.type(
    description="Churn risk in [0, 1] and the signals that produced it, as scored at the customer's last "
    "purchase or touchpoint or by the daily churn scan (scoredAt)."
)
class ChurnRisk:
    score: float
    signals: list[ChurnSignal]
    scored_at: datetime

    @classmethod
    def of(cls, value: churn_domain.ChurnRisk | None) -> ChurnRisk | None:
        if value is None:
            return None
        return cls(
            score=value.score,
            signals=[ChurnSignal(name=s.name, weight=s.weight, value=s.value) for s in value.signals],
            scored_at=value.scored_at,
        )


# --- recording ---------------------------------------------------------------------------------


@strawberry.input
class PurchaseLineInput:
    sku: str
    quantity: int
    unit_price: Decimal = strawberry.field(description="A decimal string in the deployment's currency.")
    points_per_unit: int = 0


@strawberry.input
class RecordPurchaseInput:
    customer_id: strawberry.ID
    purchased_at: datetime = strawberry.field(description="Never in the future.")
    channel: Channel
    lines: list[PurchaseLineInput]
    idempotency_key: str = strawberry.field(
        description="Send the same key when retrying: the purchase is recorded once and the retry answers it."
    )
    currency: str | None = strawberry.field(
        default=None, description="Defaults to the deployment's currency."
    )


@strawberry.type
class RecordPurchasePayload:
    purchase: Purchase | None
    customer: Annotated[Customer, strawberry.lazy("schema.customers")] | None
    errors: list[UserError]


@strawberry.input
class RecordTouchpointInput:
    customer_id: strawberry.ID
    channel: Channel
    stage: JourneyStage
    type: TouchpointType
    occurred_at: datetime = strawberry.field(description="Never in the future.")
    satisfaction: int | None = strawberry.field(default=None, description="1-5.")
    nps: int | None = strawberry.field(default=None, description="0-10.")
    sentiment: Sentiment | None = None
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Send the same key when retrying: the touchpoint is recorded once."
    )


@strawberry.type
class RecordTouchpointPayload:
    touchpoint: Touchpoint | None
    customer: Annotated[Customer, strawberry.lazy("schema.customers")] | None
    errors: list[UserError]


def _payload(cls: type[P], field: str, to_node: Callable[[Any], Any], outcome: Outcome[Recorded]) -> P:
    from schema.customers import Customer

    value = outcome.value
    return cls(
        **{
            field: to_node(value.record) if value else None,
            "customer": Customer.from_domain(value.customer) if value else None,
            "errors": user_errors(outcome.problems),
        }
    )


@strawberry.type
class JourneyMutations:
    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Record a purchase once (idempotencyKey): a first purchase acquires a PROSPECT, a second "
        "activates an ACQUIRED customer, one from a LAPSED customer wins them back (actor system).",
    )
    async def record_purchase(
        self, info: strawberry.Info, input: RecordPurchaseInput
    ) -> RecordPurchasePayload:
        async def use_case() -> Outcome[Recorded]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            request = PurchaseRequest(
                customer_id=customer_id,
                purchased_at=input.purchased_at,
                channel=input.channel,
                lines=[
                    DomainPurchaseLine(x.sku, x.quantity, x.unit_price, x.points_per_unit)
                    for x in input.lines
                ],
                idempotency_key=input.idempotency_key,
                currency=input.currency,
            )
            return await use_cases.record_purchase(info.context, request)

        return await respond(
            lambda o: _payload(RecordPurchasePayload, "purchase", Purchase.from_domain, o), use_case
        )

    @strawberry.mutation(
        permission_classes=[CanWriteCustomers], description="Record a touchpoint of the customer's journey."
    )
    async def record_touchpoint(
        self, info: strawberry.Info, input: RecordTouchpointInput
    ) -> RecordTouchpointPayload:
        async def use_case() -> Outcome[Recorded]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            request = TouchpointRequest(
                customer_id=customer_id,
                channel=input.channel,
                stage=input.stage,
                type=input.type,
                occurred_at=input.occurred_at,
                satisfaction=input.satisfaction,
                nps=input.nps,
                sentiment=input.sentiment,
                notes=input.notes,
                idempotency_key=input.idempotency_key,
            )
            return await use_cases.record_touchpoint(info.context, request)

        return await respond(
            lambda o: _payload(RecordTouchpointPayload, "touchpoint", Touchpoint.from_domain, o), use_case
        )
