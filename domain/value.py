"""The business numbers behind tiers, RFM, churn risk, lapsing and loyalty points, as one
value the settings build (every number has a default from domain.md and is a setting)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.churn import ChurnRules
from domain.loyalty import LoyaltyRules
from domain.rfm import RfmThresholds
from domain.tiers import TierThresholds


@dataclass(frozen=True)
class ValueRules:
    currency: str = "CNY"  # the deployment's currency: purchases and spend are in it
    tiers: TierThresholds = field(default_factory=TierThresholds)
    rfm: RfmThresholds = field(default_factory=RfmThresholds)
    churn: ChurnRules = field(default_factory=ChurnRules)
    lapse_days: int = 180  # no purchase for this long: the churn scan lapses the customer
    loyalty: LoyaltyRules = field(default_factory=LoyaltyRules)  # points' lifetime, referral points
