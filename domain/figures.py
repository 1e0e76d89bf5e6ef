"""A customer's running figures (kept on write, in the transaction of the purchase or
touchpoint that changes them): what tiers, RFM and churn risk are computed from, so no
read has to scan a customer's raw events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerFigures:
    orders: int = 0
    units: int = 0
    spend: Decimal = Decimal(0)
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    first_order_units: int = 0  # units of the first purchase (a "quality new" customer's mark)
    first_purchase_id: str | None = None
    touchpoints: int = 0
    first_touchpoint_at: datetime | None = None
    last_touchpoint_at: datetime | None = None
    last_answer_at: datetime | None = None  # the latest touchpoint with a satisfaction or NPS answer
    last_satisfaction: int | None = None
    last_nps: int | None = None
    last_answer_id: str | None = None


def _before(at: datetime, record_id: str, other_at: datetime | None, other_id: str | None) -> bool:
    """Records in time order, ties broken by id: the same order a rebuild sorts them in,
    whatever order concurrent writes committed in."""
    return other_at is None or (at, record_id) < (other_at, other_id or "")


def after_purchase(
    figures: CustomerFigures, purchase_id: str, purchased_at: datetime, amount: Decimal, units: int
) -> CustomerFigures:
    """The figures once a purchase is added, in any order (a back-dated purchase earlier
    than the first becomes the first)."""
    becomes_first = _before(purchased_at, purchase_id, figures.first_purchase_at, figures.first_purchase_id)
    last = figures.last_purchase_at
    return replace(
        figures,
        orders=figures.orders + 1,
        units=figures.units + units,
        spend=figures.spend + amount,
        first_purchase_at=purchased_at if becomes_first else figures.first_purchase_at,
        last_purchase_at=purchased_at if last is None or purchased_at > last else last,
        first_order_units=units if becomes_first else figures.first_order_units,
        first_purchase_id=purchase_id if becomes_first else figures.first_purchase_id,
    )


def after_touchpoint(
    figures: CustomerFigures,
    touchpoint_id: str,
    occurred_at: datetime,
    satisfaction: int | None,
    nps: int | None,
) -> CustomerFigures:
    """The figures once a touchpoint is added; the latest answers are those of the latest
    answered touchpoint (a back-dated answer does not replace a newer one)."""
    first, last = figures.first_touchpoint_at, figures.last_touchpoint_at
    changed = replace(
        figures,
        touchpoints=figures.touchpoints + 1,
        first_touchpoint_at=occurred_at if first is None or occurred_at < first else first,
        last_touchpoint_at=occurred_at if last is None or occurred_at > last else last,
    )
    answered = satisfaction is not None or nps is not None
    latest = figures.last_answer_at is None or _before(
        figures.last_answer_at, figures.last_answer_id or "", occurred_at, touchpoint_id
    )
    if answered and latest:
        changed = replace(
            changed,
            last_answer_at=occurred_at,
            last_answer_id=touchpoint_id,
            last_satisfaction=satisfaction,
            last_nps=nps,
        )
    return changed
