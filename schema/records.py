"""Purchase records as a dossier shows them, and the classification enums of feedback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from domain import records as domain
from resolvers import records as use_cases
from schema.money import Money
from schema.node import Node, global_id, node_type

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Channel = domain.Channel
strawberry.enum(Channel, name="Channel")
Severity = domain.Severity
strawberry.enum(Severity, name="Severity")
FeedbackKind = domain.FeedbackKind
strawberry.enum(FeedbackKind, name="FeedbackKind")
FeedbackCategory = domain.FeedbackCategory
strawberry.enum(FeedbackCategory, name="FeedbackCategory")


@strawberry.type(description="One product of a purchase.")
class PurchaseLine:
    sku: str
    quantity: int
    unit_price: Decimal
    points_per_unit: int


@node_type
@strawberry.type(description="A purchase or pickup record.")
class Purchase(Node):
    purchased_at: datetime
    amount: Money = strawberry.field(description="The order total.")
    units: int
    channel: Channel | None
    lines: list[PurchaseLine] = strawberry.field(description="Empty for records imported without lines.")
    points: int = strawberry.field(description="Points the purchase earns: points per unit x quantity.")

    @classmethod
    def from_domain(cls, p: domain.Purchase) -> Purchase:
        return cls(
            id=global_id("Purchase", p.id),
            purchased_at=p.purchased_at,
            amount=Money.of(p.amount),  # type: ignore[arg-type]
            units=p.units,
            channel=p.channel,
            lines=[
                PurchaseLine(
                    sku=x.sku, quantity=x.quantity, unit_price=x.unit_price, points_per_unit=x.points_per_unit
                )
                for x in p.lines
            ],
            points=p.points,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Purchase | None]:
        return [
            cls.from_domain(p) if p else None for p in await use_cases.purchases_by_ids(info.context, ids)
        ]
