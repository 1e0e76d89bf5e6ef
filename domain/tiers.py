"""Value tiers from the purchase history (domain.md §1); the thresholds are settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from domain.figures import CustomerFigures


class ValueTier(Enum):
    NONE = "NONE"  # no purchase yet
    NEW = "NEW"  # exactly one purchase
    QUALITY_NEW = "QUALITY_NEW"  # one purchase of at least 4 units (a "buy 3 get 1" order)
    REGULAR = "REGULAR"  # two or more purchases, lifetime spend below the VIP line
    VIP = "VIP"  # lifetime spend at or above the VIP line, whatever the count


@dataclass(frozen=True)
class TierThresholds:
    vip_spend: Decimal = Decimal(8000)
    quality_new_units: int = 4


def value_tier(figures: CustomerFigures, thresholds: TierThresholds) -> ValueTier:
    if figures.orders == 0:
        return ValueTier.NONE
    if figures.spend >= thresholds.vip_spend:
        return ValueTier.VIP
    if figures.orders == 1:
        return (
            ValueTier.QUALITY_NEW
            if figures.first_order_units >= thresholds.quality_new_units
            else ValueTier.NEW
        )
    return ValueTier.REGULAR
