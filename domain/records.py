"""Records about a customer: the channels, kinds and categories feedback is classified by
(domain.md §5), and purchases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from domain.money import Money


class Channel(Enum):
    PHONE = "PHONE"  # hotline and calls
    EMAIL = "EMAIL"
    CHAT = "CHAT"
    SOCIAL = "SOCIAL"
    SMS = "SMS"
    STORE = "STORE"
    APP = "APP"
    MINI_PROGRAM = "MINI_PROGRAM"
    WEBSITE = "WEBSITE"
    VISIT = "VISIT"  # field visit
    COMMUNITY = "COMMUNITY"  # groups, forums


class Severity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class FeedbackKind(Enum):
    COMPLAINT = "COMPLAINT"
    SUGGESTION_SERVICE_QUALITY = "SUGGESTION_SERVICE_QUALITY"
    SUGGESTION_SERVICE_DEMAND = "SUGGESTION_SERVICE_DEMAND"
    PRAISE = "PRAISE"


class FeedbackCategory(Enum):
    PRODUCT = "PRODUCT"
    LOGISTICS = "LOGISTICS"
    COMMUNICATION = "COMMUNICATION"
    SERVICE = "SERVICE"
    PROMOTION = "PROMOTION"
    BILLING = "BILLING"
    OTHER = "OTHER"


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    quantity: int
    unit_price: Decimal
    points_per_unit: int = 0

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def points(self) -> int:
        return self.points_per_unit * self.quantity


@dataclass(frozen=True)
class Purchase:
    id: str
    customer_id: str
    purchased_at: datetime
    amount: Money  # the order total
    units: int
    channel: Channel | None
    lines: tuple[PurchaseLine, ...] = ()  # none for records imported without lines
    points: int = 0  # points the purchase earns (lines' points per unit x quantity)
