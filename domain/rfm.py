"""RFM segmentation (domain.md §1) by configured thresholds.

Recency is the number of days from the last purchase to the day asked about; Frequency
the number of purchases and Monetary the spend, over the customer's whole history up to
then (the window is the history: every purchase counts, so the figures are running totals
kept on write). Each is scored 1-5 against four ascending thresholds (settings):

| score | recency (days)   | frequency (purchases) | monetary (spend) |
| ----- | ---------------- | --------------------- | ---------------- |
| 5     | <= 30            | >= 10                 | >= 8,000         |
| 4     | <= 90            | >= 6                  | >= 3,000         |
| 3     | <= 180           | >= 3                  | >= 1,000         |
| 2     | <= 365           | >= 2                  | >= 300           |
| 1     | more             | 1                     | less             |

Segments, the first rule that matches:
1. DORMANT: no purchase for more than 180 days (a setting) → wake-up offer and needs survey;
2. HIGH_VALUE_LOYAL: R, F and M all 4 or 5 → privileges, birthday treatment, first to try;
3. CANNOT_LOSE: F and M 4 or 5 but R 3 or less → big spenders slipping away;
4. AT_RISK: R 3 or less → buying less recently than the base;
5. NEW: a frequency score of 1 (with the default thresholds: a single purchase), recently;
6. POTENTIAL: recent repeat buyers not yet of high value → scenario coupons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

from domain.figures import CustomerFigures


class Segment(Enum):
    HIGH_VALUE_LOYAL = "HIGH_VALUE_LOYAL"
    POTENTIAL = "POTENTIAL"
    NEW = "NEW"
    AT_RISK = "AT_RISK"
    CANNOT_LOSE = "CANNOT_LOSE"
    DORMANT = "DORMANT"


@dataclass(frozen=True)
class RfmThresholds:
    #: Score 5, 4, 3, 2 up to these many days since the last purchase; 1 beyond.
    recency_days: tuple[int, int, int, int] = (30, 90, 180, 365)
    #: Score 5, 4, 3, 2 from these many purchases; 1 below.
    frequency: tuple[int, int, int, int] = (10, 6, 3, 2)
    #: Score 5, 4, 3, 2 from this spend; 1 below.
    monetary: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal(8000),
        Decimal(3000),
        Decimal(1000),
        Decimal(300),
    )
    dormant_days: int = 180


@dataclass(frozen=True)
class Rfm:
    recency: int  # days since the last purchase
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: Segment


def recency_score(days: int, thresholds: RfmThresholds) -> int:
    for score, limit in zip((5, 4, 3, 2), thresholds.recency_days, strict=True):
        if days <= limit:
            return score
    return 1


def frequency_score(orders: int, thresholds: RfmThresholds) -> int:
    return _at_least(orders, thresholds.frequency)


def monetary_score(spend: Decimal, thresholds: RfmThresholds) -> int:
    return _at_least(spend, thresholds.monetary)


def _at_least(value: int | Decimal, limits: Sequence[int | Decimal]) -> int:
    for score, limit in zip((5, 4, 3, 2), limits, strict=True):
        if value >= limit:
            return score
    return 1


def segment_of(recency_days: int, f: int, m: int, thresholds: RfmThresholds) -> Segment:
    """The segment for a recency (days) and F and M scores (module docstring)."""
    r = recency_score(recency_days, thresholds)
    if recency_days > thresholds.dormant_days:
        return Segment.DORMANT
    if r >= 4 and f >= 4 and m >= 4:
        return Segment.HIGH_VALUE_LOYAL
    if f >= 4 and m >= 4:
        return Segment.CANNOT_LOSE
    if r <= 3:
        return Segment.AT_RISK
    if f == 1:
        return Segment.NEW
    return Segment.POTENTIAL


def rfm_of(figures: CustomerFigures, as_of: date, thresholds: RfmThresholds) -> Rfm | None:
    """The customer's RFM on `as_of`; None before their first purchase."""
    last = figures.last_purchase_at
    if figures.orders == 0 or last is None or last.date() > as_of:
        return None
    days = (as_of - last.date()).days
    f, m = frequency_score(figures.orders, thresholds), monetary_score(figures.spend, thresholds)
    return Rfm(
        recency=days,
        frequency=figures.orders,
        monetary=figures.spend,
        r=recency_score(days, thresholds),
        f=f,
        m=m,
        segment=segment_of(days, f, m, thresholds),
    )


def cell_key(f: int, m: int) -> str:
    """How running totals name a customer's F and M scores: "45" is F 4, M 5."""
    return f"{f}{m}"


def cell_scores(key: str) -> tuple[int, int]:
    return int(key[0]), int(key[1])


@dataclass(frozen=True)
class SegmentArea:
    """Where a segment's customers are on one recency score: their last purchase on a day in
    [first_day, last_day] (None: unbounded) and their F/M cell in `cells`."""

    first_day: date | None
    last_day: date
    cells: frozenset[str]


def segment_areas(segment: Segment, as_of: date, thresholds: RfmThresholds) -> list[SegmentArea]:
    """The segment on `as_of` as ranges of last-purchase days and F/M cells, so a filter on
    the segment is a plain range query on stored figures. Recency bands split at the
    recency thresholds and at the dormant line."""
    limits = sorted({*thresholds.recency_days, thresholds.dormant_days})
    bands: list[tuple[int, int | None]] = []  # [low, high] days since, high None: no end
    low = 0
    for limit in limits:
        bands.append((low, limit))
        low = limit + 1
    bands.append((low, None))
    areas = []
    for low_days, high_days in bands:
        cells = frozenset(
            cell_key(f, m)
            for f in range(1, 6)
            for m in range(1, 6)
            if segment_of(low_days, f, m, thresholds) is segment
        )
        if cells:
            first = None if high_days is None else as_of - timedelta(days=high_days)
            areas.append(SegmentArea(first, as_of - timedelta(days=low_days), cells))
    return areas


@dataclass(frozen=True)
class SegmentShare:
    segment: Segment
    count: int
    share: float | None  # of the customers with a purchase by the day asked about
    total_spend: Decimal


def distribution(
    cells: Sequence[tuple[date, str, int, Decimal]], as_of: date, thresholds: RfmThresholds
) -> list[SegmentShare]:
    """Every segment's customers and spend on `as_of`, from (last-purchase day, F/M cell,
    customers, spend) totals; segments in their declared order, empty ones included."""
    counts = dict.fromkeys(Segment, 0)
    spend = dict.fromkeys(Segment, Decimal(0))
    for day, cell, customers, total in cells:
        if day > as_of:
            continue
        f, m = cell_scores(cell)
        segment = segment_of((as_of - day).days, f, m, thresholds)
        counts[segment] += customers
        spend[segment] += total
    everyone = sum(counts.values())
    return [
        SegmentShare(s, counts[s], round(counts[s] / everyone, 4) if everyone else None, spend[s])
        for s in Segment
    ]
