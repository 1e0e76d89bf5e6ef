"""Experience and business measures (domain.md §3, §8) from running totals: the arithmetic
only, so the reports and their raw-pipeline checks compute the same numbers.

Experience per group (a journey stage or a channel): average satisfaction, satisfaction
rate (share of 4-5 answers), NPS (% promoters - % detractors), touchpoints; and where
negative experiences concentrate: a group's concentration is impact x frequency, where
frequency is its share of all negative experiences in the period and impact the mean
intensity of its negative experiences (touchpoints.negative_impact, 0..1).

KPIs of a period P (lifecycle figures count the stage moves of domain.md §2):
- satisfaction rate, NPS, average order value (revenue / orders) from the touchpoints and
  purchases of P;
- new customers: customers acquired in P (their first purchase, or an ACQUIRE move);
- repurchase rate: customers activated in P (a second purchase) over the customers who
  could be: those ACQUIRED at the start of P plus those acquired during it;
- churn rate: customers lapsed in P over the active base at its start (ACQUIRED, ACTIVE,
  RETAINED, AT_RISK);
- retention rate: (active at the end - acquired in P - won back in P) / active at the start,
  the usual customer retention rate (E - N) / S, with customers won back during P counted
  as returning, not as kept: they were not in the base at the start. With every move
  counted it equals 1 - churn rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.lifecycle import LifecycleStage

#: Stages of customers who are still customers (the base churn and retention measure).
ACTIVE_STAGES = (
    LifecycleStage.ACQUIRED,
    LifecycleStage.ACTIVE,
    LifecycleStage.RETAINED,
    LifecycleStage.AT_RISK,
)


@dataclass(frozen=True)
class Ratio:
    """A figure and the counts it was computed from (value None when nothing to divide)."""

    value: float | None
    numerator: int
    denominator: int


def ratio(numerator: int, denominator: int) -> Ratio:
    return Ratio(round(numerator / denominator, 4) if denominator else None, numerator, denominator)


@dataclass(frozen=True)
class ExperienceTotals:
    """Running totals of a set of touchpoints (and purchases), as rollups keep them."""

    touchpoints: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    satisfied: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    negatives: int = 0
    negative_impact: int = 0  # thousandths
    orders: int = 0
    units: int = 0
    revenue: Decimal = Decimal(0)

    @classmethod
    def of(cls, values: Mapping[str, int | Decimal]) -> ExperienceTotals:
        known = {k: values[k] for k in cls.__dataclass_fields__ if k in values}
        return cls(**known)  # type: ignore[arg-type]

    def __add__(self, other: ExperienceTotals) -> ExperienceTotals:
        return ExperienceTotals(
            **{k: getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__}
        )

    @property
    def nps_answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def average_satisfaction(self) -> float | None:
        return round(self.satisfaction_sum / self.satisfaction_count, 4) if self.satisfaction_count else None

    @property
    def satisfaction_rate(self) -> Ratio:
        return ratio(self.satisfied, self.satisfaction_count)

    @property
    def nps(self) -> float | None:
        """% promoters - % detractors, -100..100, rounded to one place."""
        answers = self.nps_answers
        return round(100 * (self.promoters - self.detractors) / answers, 1) if answers else None

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders:
            return None
        return (self.revenue / self.orders).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Hotspot:
    key: str
    negatives: int
    frequency: float  # share of all negative experiences in the period
    impact: float  # mean intensity of this group's negative experiences
    concentration: float  # impact x frequency


def hotspots(groups: Mapping[str, ExperienceTotals]) -> list[Hotspot]:
    """Groups with negative experiences, most concentrated first (ties by key)."""
    total = sum(g.negatives for g in groups.values())
    found = []
    for key, g in groups.items():
        if g.negatives == 0:
            continue
        frequency = g.negatives / total
        impact = g.negative_impact / 1000 / g.negatives
        found.append(
            Hotspot(key, g.negatives, round(frequency, 4), round(impact, 4), round(frequency * impact, 4))
        )
    return sorted(found, key=lambda h: (-h.concentration, h.key))


@dataclass(frozen=True)
class LifecycleTotals:
    """Stage moves in a period and the base at its two ends."""

    acquired: int  # ACQUIRE moves in the period
    activated: int  # ACTIVATE moves
    lapsed: int  # LAPSE moves
    won_back: int  # WIN_BACK moves
    acquired_at_start: int  # customers in ACQUIRED when the period began
    active_at_start: int  # customers in ACTIVE_STAGES when it began
    active_at_end: int  # ... and when it ended


@dataclass(frozen=True)
class Kpis:
    satisfaction_rate: Ratio
    nps: float | None
    nps_answers: int
    repurchase_rate: Ratio
    churn_rate: Ratio
    retention_rate: Ratio
    new_customers: int
    orders: int
    revenue: Decimal
    average_order_value: Decimal | None


def kpis(experience: ExperienceTotals, lifecycle: LifecycleTotals) -> Kpis:
    kept = max(lifecycle.active_at_end - lifecycle.acquired - lifecycle.won_back, 0)
    return Kpis(
        satisfaction_rate=experience.satisfaction_rate,
        nps=experience.nps,
        nps_answers=experience.nps_answers,
        repurchase_rate=ratio(lifecycle.activated, lifecycle.acquired_at_start + lifecycle.acquired),
        churn_rate=ratio(lifecycle.lapsed, lifecycle.active_at_start),
        retention_rate=ratio(kept, lifecycle.active_at_start),
        new_customers=lifecycle.acquired,
        orders=experience.orders,
        revenue=experience.revenue,
        average_order_value=experience.average_order_value,
    )
