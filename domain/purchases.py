"""Purchases as they are recorded (domain.md §1, §2): lines of products with their unit
prices and points, the totals they add up to, and the lifecycle move a purchase proves.

A purchase is a fact about the customer: the first one acquires a prospect, the second
activates a new customer, and one from a lapsed customer wins them back (the purchase
is the proof the win-back worked). Other stages are moved by people or by the churn
scan, never by a purchase alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.customers import request_fingerprint
from domain.lifecycle import LifecycleAction, LifecycleStage
from domain.money import Money
from domain.records import Channel, PurchaseLine
from domain.validation import IDEMPOTENCY_KEY_MAX, Problems

LINES_MAX = 100
SKU_MAX = 64
QUANTITY_MAX = 100_000
POINTS_PER_UNIT_MAX = 100_000
#: How far back a purchase may be recorded (imports of older history go through seeding).
BACKDATE_YEARS_MAX = 10


@dataclass(frozen=True)
class PurchaseRequest:
    """What a client asked to record, before it is checked."""

    customer_id: str
    purchased_at: datetime
    channel: Channel
    lines: Sequence[PurchaseLine]
    idempotency_key: str
    currency: str | None = None  # None: the deployment's currency


@dataclass(frozen=True)
class CheckedPurchase:
    customer_id: str
    purchased_at: datetime
    lines: tuple[PurchaseLine, ...]
    idempotency_key: str
    channel: Channel
    amount: Money
    units: int
    points: int
    fingerprint: str = field(compare=False)


def check_purchase(request: PurchaseRequest, now: datetime, currency: str) -> CheckedPurchase:
    """The purchase with its totals, or ValidationFailed naming every field at fault.

    Amounts are in the deployment's one currency (sums across currencies mean nothing);
    `purchasedAt` is never in the future.
    """
    problems = Problems()
    key = problems.text(request.idempotency_key, "idempotencyKey", required=True, limit=IDEMPOTENCY_KEY_MAX)
    given = (request.currency or currency).strip().upper()
    if given != currency:
        problems.add("currency", f"purchases are recorded in {currency} (the deployment's currency)")
    problems.moment(
        request.purchased_at,
        "purchasedAt",
        now - timedelta(days=365 * BACKDATE_YEARS_MAX),
        now,
    )
    lines: list[PurchaseLine] = []
    if not request.lines:
        problems.add("lines", "a purchase has at least one line")
    elif problems.count(request.lines, "lines", LINES_MAX):
        for i, line in enumerate(request.lines):
            at = f"lines[{i}]"
            sku = problems.text(line.sku, f"{at}.sku", required=True, limit=SKU_MAX)
            problems.number(line.quantity, f"{at}.quantity", 1, QUANTITY_MAX)
            problems.money(Money(line.unit_price, currency), f"{at}.unitPrice")
            problems.number(line.points_per_unit, f"{at}.pointsPerUnit", 0, POINTS_PER_UNIT_MAX)
            lines.append(PurchaseLine(sku or "", line.quantity, line.unit_price, line.points_per_unit))
    problems.raise_if_any()
    assert key is not None
    amount = sum((line.amount for line in lines), Decimal(0))
    fingerprint = request_fingerprint(
        {
            "customer": request.customer_id,
            "purchasedAt": request.purchased_at.astimezone(UTC).isoformat(),
            "channel": request.channel,
            "lines": [[x.sku, x.quantity, str(x.unit_price.normalize()), x.points_per_unit] for x in lines],
        }
    )
    return CheckedPurchase(
        customer_id=request.customer_id,
        purchased_at=request.purchased_at,
        lines=tuple(lines),
        idempotency_key=key,
        channel=request.channel,
        amount=Money(amount, currency),
        units=sum(line.quantity for line in lines),
        points=sum(line.points for line in lines),
        fingerprint=fingerprint,
    )


def lifecycle_effect(stage: LifecycleStage, orders_before: int) -> LifecycleAction | None:
    """The move a purchase makes: the first acquires a prospect, a second activates a new
    customer, one from a lapsed customer wins them back; otherwise none."""
    if stage is LifecycleStage.PROSPECT:
        return LifecycleAction.ACQUIRE
    if stage is LifecycleStage.ACQUIRED and orders_before >= 1:
        return LifecycleAction.ACTIVATE
    if stage is LifecycleStage.LAPSED:
        return LifecycleAction.WIN_BACK
    return None


def purchase_reason(action: LifecycleAction, purchase_id: str) -> str:
    what = {
        LifecycleAction.ACQUIRE: "first purchase",
        LifecycleAction.ACTIVATE: "second purchase",
        LifecycleAction.WIN_BACK: "purchase after lapsing",
    }.get(action, "purchase")
    return f"{what} (purchase {purchase_id})"
