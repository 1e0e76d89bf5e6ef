"""Complaint and purchase records as a dossier shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain import records as domain
from schema.money import Money

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Channel = domain.Channel
strawberry.enum(Channel, name="Channel")
Severity = domain.Severity
strawberry.enum(Severity, name="Severity")
FeedbackKind = domain.FeedbackKind
strawberry.enum(FeedbackKind, name="FeedbackKind")
FeedbackCategory = domain.FeedbackCategory
strawberry.enum(FeedbackCategory, name="FeedbackCategory")


@strawberry.type(description="A complaint record (the complaints capability fills these).")
class Complaint:
    id: strawberry.ID
    received_at: datetime
    kind: FeedbackKind | None
    category: FeedbackCategory | None
    severity: Severity | None
    channel: Channel | None
    summary: str | None
    status: str | None

    @classmethod
    def from_domain(cls, c: domain.ComplaintRecord) -> Complaint:
        return cls(
            id=strawberry.ID(relay.to_base64("Complaint", c.id)),
            received_at=c.received_at,
            kind=c.kind,
            category=c.category,
            severity=c.severity,
            channel=c.channel,
            summary=c.summary,
            status=c.status,
        )


@strawberry.type(description="A purchase or pickup record.")
class Purchase:
    id: strawberry.ID
    purchased_at: datetime
    amount: Money
    units: int
    channel: Channel | None

    @classmethod
    def from_domain(cls, p: domain.Purchase) -> Purchase:
        return cls(
            id=strawberry.ID(relay.to_base64("Purchase", p.id)),
            purchased_at=p.purchased_at,
            amount=Money.of(p.amount),  # type: ignore[arg-type]
            units=p.units,
            channel=p.channel,
        )
