"""Churn risk (domain.md §1): a score in [0, 1] with the signals that produced it, never a
bare number. Each signal is a value in [0, 1] with a weight (settings; they sum to 1):

- `purchase_gap`: days since the last purchase against the customer's own rhythm (the
  mean gap between their purchases; a default rhythm for one-purchase customers): 0 while
  within the rhythm, rising to 1 at three rhythms;
- `engagement_drop`: the same for touchpoints (no touchpoints at all: 0, nothing to fall from);
- `recent_complaints`: complaints in the last 90 days, plus those whose follow-up found the
  fix did not hold or the customer unsatisfied (1-2); 3 or more make 1;
- `low_satisfaction`: the latest satisfaction or NPS answer: satisfaction 1 → 1, 2 → 2/3,
  3 → 1/3, 4-5 → 0; NPS 0-6 → (7 - n)/7, 7-10 → 0; the stronger of the two.

score = sum of weight x value, rounded to 4 places. A customer with no purchase has no score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.figures import CustomerFigures
from domain.touchpoints import DETRACTOR_UP_TO


@dataclass(frozen=True)
class ChurnWeights:
    purchase_gap: float = 0.4
    engagement_drop: float = 0.2
    recent_complaints: float = 0.2
    low_satisfaction: float = 0.2

    def items(self) -> list[tuple[str, float]]:
        return [
            ("purchase_gap", self.purchase_gap),
            ("engagement_drop", self.engagement_drop),
            ("recent_complaints", self.recent_complaints),
            ("low_satisfaction", self.low_satisfaction),
        ]


@dataclass(frozen=True)
class ChurnRules:
    weights: ChurnWeights = field(default_factory=ChurnWeights)
    default_rhythm_days: int = 90  # the expected gap for a customer with one purchase
    complaint_window_days: int = 90
    complaints_for_full_signal: int = 3
    threshold: float = 0.6  # above it the churn scan flags the customer AT_RISK


@dataclass(frozen=True)
class ComplaintHistory:
    """A customer's complaints in the window: how many, and how many ended badly."""

    recent: int = 0
    bad_outcomes: int = 0


@dataclass(frozen=True)
class ChurnSignal:
    name: str
    weight: float
    value: float


@dataclass(frozen=True)
class ChurnRisk:
    score: float
    signals: tuple[ChurnSignal, ...]
    scored_at: datetime

    def explained(self) -> str:
        """The signals that count, strongest first, as a lifecycle reason says them."""
        shown = sorted((s for s in self.signals if s.value > 0), key=lambda s: -s.weight * s.value)
        listed = ", ".join(f"{s.name} {s.value:.2f} (weight {s.weight:g})" for s in shown) or "none"
        return f"churn risk {self.score:.2f}: {listed}"


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _gap(days_since: float, rhythm_days: float) -> float:
    """0 within the rhythm, 1 at three rhythms or more."""
    return _clamp((days_since / max(rhythm_days, 1.0) - 1) / 2)


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86_400


def _rhythm(count: int, first: datetime | None, last: datetime | None, default: int) -> float:
    if count >= 2 and first is not None and last is not None and last > first:
        return _days(last, first) / (count - 1)
    return float(default)


def _low_answer(satisfaction: int | None, nps: int | None) -> float:
    values = [0.0]
    if satisfaction is not None:
        values.append(_clamp((4 - satisfaction) / 3))
    if nps is not None and nps <= DETRACTOR_UP_TO:
        values.append((DETRACTOR_UP_TO + 1 - nps) / (DETRACTOR_UP_TO + 1))
    return max(values)


def churn_risk(
    figures: CustomerFigures, complaints: ComplaintHistory, now: datetime, rules: ChurnRules
) -> ChurnRisk | None:
    last = figures.last_purchase_at
    if figures.orders == 0 or last is None:
        return None
    purchase_rhythm = _rhythm(figures.orders, figures.first_purchase_at, last, rules.default_rhythm_days)
    engagement = 0.0
    if figures.touchpoints and figures.last_touchpoint_at is not None:
        touch_rhythm = _rhythm(
            figures.touchpoints,
            figures.first_touchpoint_at,
            figures.last_touchpoint_at,
            rules.default_rhythm_days,
        )
        engagement = _gap(_days(now, figures.last_touchpoint_at), touch_rhythm)
    values = {
        "purchase_gap": _gap(_days(now, last), purchase_rhythm),
        "engagement_drop": engagement,
        "recent_complaints": _clamp(
            (complaints.recent + complaints.bad_outcomes) / rules.complaints_for_full_signal
        ),
        "low_satisfaction": _low_answer(figures.last_satisfaction, figures.last_nps),
    }
    signals = tuple(
        ChurnSignal(name, weight, round(values[name], 4)) for name, weight in rules.weights.items()
    )
    score = round(_clamp(sum(s.weight * s.value for s in signals)), 4)
    return ChurnRisk(score, signals, now)
