"""Purchase records as a dossier shows them, and the classification enums of feedback."""

from __future__ import annotations

from datetime import datetime

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


@node_type
@strawberry.type(description="A purchase or pickup record.")
class Purchase(Node):
    purchased_at: datetime
    amount: Money
    units: int
    channel: Channel | None

    @classmethod
    def from_domain(cls, p: domain.Purchase) -> Purchase:
        return cls(
            id=global_id("Purchase", p.id),
            purchased_at=p.purchased_at,
            amount=Money.of(p.amount),  # type: ignore[arg-type]
            units=p.units,
            channel=p.channel,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Purchase | None]:
        return [
            cls.from_domain(p) if p else None for p in await use_cases.purchases_by_ids(info.context, ids)
        ]
