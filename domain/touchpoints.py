"""Journey touchpoints (domain.md §3): one interaction at one channel and journey stage,
maybe with a satisfaction score, an NPS answer and a sentiment; and the peak-end score of
a journey.

The peak-end rule: people remember an experience by its most intense moment and by its
end, not by the average. Each rated touchpoint gets a value in [-1, 1] (satisfaction
1..5 as (s-3)/2; else NPS 0..10 as (n-5)/5; else sentiment +0.5 / 0 / -0.5). The peak
is the rated touchpoint with the largest |value| (on a tie, the later one: it is the one
remembered), the end is the last rated touchpoint, and the journey's score is

    score = 3 + 2 * (value(peak) + value(end)) / 2

on the 1-5 satisfaction scale: two equal weights, one on the peak and one on the end, and
none on the moments in between. A journey with no rated touchpoint has no score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from domain.records import Channel
from domain.validation import IDEMPOTENCY_KEY_MAX, LONG_TEXT_MAX, Problems


class JourneyStage(Enum):
    PRE_SALE = "PRE_SALE"  # brand, inquiry
    IN_SALE = "IN_SALE"  # purchase, payment, delivery
    AFTER_SALE = "AFTER_SALE"  # use, service, review


class TouchpointType(Enum):
    INQUIRY = "INQUIRY"
    CALL = "CALL"
    PURCHASE = "PURCHASE"
    PAYMENT = "PAYMENT"
    DELIVERY = "DELIVERY"
    USAGE = "USAGE"
    SERVICE_REQUEST = "SERVICE_REQUEST"
    COMPLAINT = "COMPLAINT"
    REVIEW = "REVIEW"
    SURVEY = "SURVEY"
    CARE = "CARE"
    VISIT = "VISIT"


class Sentiment(Enum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


SATISFACTION_MIN, SATISFACTION_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
#: Answers of 4 and 5 count as satisfied; NPS 9-10 promoters, 7-8 passives, 0-6 detractors.
SATISFIED_FROM = 4
PROMOTER_FROM, DETRACTOR_UP_TO = 9, 6
#: How far back a touchpoint may be logged.
BACKDATE_YEARS_MAX = 10


@dataclass(frozen=True)
class Touchpoint:
    id: str
    customer_id: str
    channel: Channel
    stage: JourneyStage
    type: TouchpointType
    occurred_at: datetime
    satisfaction: int | None
    nps: int | None
    sentiment: Sentiment | None
    notes: str | None  # personal data: what the customer said
    created_at: datetime


@dataclass(frozen=True)
class TouchpointRequest:
    customer_id: str
    channel: Channel
    stage: JourneyStage
    type: TouchpointType
    occurred_at: datetime
    satisfaction: int | None = None
    nps: int | None = None
    sentiment: Sentiment | None = None
    notes: str | None = None
    idempotency_key: str | None = None


def check_touchpoint(request: TouchpointRequest, now: datetime) -> TouchpointRequest:
    """The request with its text normalised, or ValidationFailed naming each field."""
    problems = Problems()
    problems.moment(request.occurred_at, "occurredAt", now - timedelta(days=365 * BACKDATE_YEARS_MAX), now)
    problems.number(request.satisfaction, "satisfaction", SATISFACTION_MIN, SATISFACTION_MAX)
    problems.number(request.nps, "nps", NPS_MIN, NPS_MAX)
    notes = problems.text(request.notes, "notes", required=False, limit=LONG_TEXT_MAX, multiline=True)
    key = problems.text(request.idempotency_key, "idempotencyKey", required=False, limit=IDEMPOTENCY_KEY_MAX)
    problems.raise_if_any()
    return replace(request, notes=notes, idempotency_key=key)


# --- what one touchpoint says about the experience ------------------------------------------

_SENTIMENT_VALUE = {Sentiment.POSITIVE: 0.5, Sentiment.NEUTRAL: 0.0, Sentiment.NEGATIVE: -0.5}


def moment_value(satisfaction: int | None, nps: int | None, sentiment: Sentiment | None) -> float | None:
    """How good the moment was, in [-1, 1]; None when the touchpoint carries no rating."""
    if satisfaction is not None:
        return (satisfaction - 3) / 2
    if nps is not None:
        return (nps - 5) / 5
    if sentiment is not None:
        return _SENTIMENT_VALUE[sentiment]
    return None


def negative_impact(satisfaction: int | None, nps: int | None, sentiment: Sentiment | None) -> int:
    """How bad a negative experience was, in thousandths (0: not negative). Negative means a
    satisfaction of 1-2, an NPS detractor (0-6) or a negative sentiment; the intensity is the
    strongest of (3-s)/2, (7-n)/7 and 0.5 for the sentiment. Kept in integers so running
    totals add up exactly, whatever the order."""
    intensities = []
    if satisfaction is not None and satisfaction <= 2:
        intensities.append((3 - satisfaction) / 2)
    if nps is not None and nps <= DETRACTOR_UP_TO:
        intensities.append((DETRACTOR_UP_TO + 1 - nps) / (DETRACTOR_UP_TO + 1))
    if sentiment is Sentiment.NEGATIVE:
        intensities.append(0.5)
    return round(max(intensities) * 1000) if intensities else 0


def nps_class(nps: int | None) -> str | None:
    """ "promoter", "passive" or "detractor" for an answer."""
    if nps is None:
        return None
    if nps >= PROMOTER_FROM:
        return "promoter"
    return "detractor" if nps <= DETRACTOR_UP_TO else "passive"


# --- the peak-end rule ------------------------------------------------------------------------


@dataclass(frozen=True)
class JourneyScore:
    score: float | None  # 1..5, None when nothing was rated
    peak: Touchpoint | None
    end: Touchpoint | None


def _value(t: Touchpoint) -> float | None:
    return moment_value(t.satisfaction, t.nps, t.sentiment)


def peak_end(touchpoints: Sequence[Touchpoint]) -> JourneyScore:
    """The journey's score by the peak-end rule (module docstring); `touchpoints` in the
    order they happened."""
    rated = [(t, v) for t in touchpoints if (v := _value(t)) is not None]
    if not rated:
        return JourneyScore(None, None, None)
    peak, peak_value = rated[0]
    for t, v in rated[1:]:
        if abs(v) >= abs(peak_value):  # a tie goes to the later moment
            peak, peak_value = t, v
    end, end_value = rated[-1]
    return JourneyScore(round(3 + (peak_value + end_value), 4), peak, end)
