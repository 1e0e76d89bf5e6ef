"""Coupons (domain.md §7): broad reach, flexible terms. A coupon is issued to one customer,
or to every customer of an RFM segment or value tier at once; it has a value, a validity
window [validFrom, validTo) and a single use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from domain.customers import request_fingerprint
from domain.errors import DomainError, ErrorCode
from domain.lifecycle import Actor
from domain.money import Money
from domain.rfm import Segment
from domain.tiers import ValueTier
from domain.validation import IDEMPOTENCY_KEY_MAX, Problems

#: A coupon's window may start up to a year back (re-issuing a running campaign) and
#: lasts at most five years.
VALID_FROM_BACK_DAYS = 366
VALIDITY_DAYS_MAX = 5 * 366


class CouponStatus(Enum):
    NOT_YET_VALID = "NOT_YET_VALID"
    ACTIVE = "ACTIVE"  # redeemable now
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"


class CouponUsed(DomainError):
    code = ErrorCode.COUPON_USED


class CouponExpired(DomainError):
    code = ErrorCode.COUPON_EXPIRED


class CouponNotYetValid(DomainError):
    code = ErrorCode.COUPON_NOT_YET_VALID


@dataclass(frozen=True)
class Coupon:
    id: str
    customer_id: str
    value: Money
    valid_from: datetime
    valid_to: datetime  # exclusive
    issued_at: datetime
    issued_by: Actor
    redeemed_at: datetime | None = None
    redeemed_by: Actor | None = None

    def status(self, now: datetime) -> CouponStatus:
        if self.redeemed_at is not None:
            return CouponStatus.REDEEMED
        if now < self.valid_from:
            return CouponStatus.NOT_YET_VALID
        if now >= self.valid_to:
            return CouponStatus.EXPIRED
        return CouponStatus.ACTIVE


def refusal(coupon: Coupon, now: datetime) -> DomainError | None:
    """Why `coupon` cannot be redeemed now, or None. Used comes first: a used coupon is
    used whatever its window says."""
    status = coupon.status(now)
    if status is CouponStatus.REDEEMED:
        assert coupon.redeemed_at is not None
        return CouponUsed(f"the coupon was redeemed at {_minute(coupon.redeemed_at)}", "couponId")
    if status is CouponStatus.NOT_YET_VALID:
        return CouponNotYetValid(f"the coupon is valid from {_minute(coupon.valid_from)}", "couponId")
    if status is CouponStatus.EXPIRED:
        return CouponExpired(f"the coupon expired at {_minute(coupon.valid_to)}", "couponId")
    return None


def _minute(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes")


@dataclass(frozen=True)
class CouponTarget:
    """Whom a coupon goes to: exactly one of a customer, an RFM segment today, a value tier."""

    customer_id: str | None = None
    segment: Segment | None = None
    value_tier: ValueTier | None = None

    @property
    def bulk(self) -> bool:
        """To every customer of a segment or tier (one coupon each)."""
        return self.segment is not None or self.value_tier is not None


@dataclass(frozen=True)
class IssueRequest:
    target: CouponTarget
    value: Money
    valid_from: datetime
    valid_to: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CheckedIssue:
    target: CouponTarget
    value: Money
    valid_from: datetime
    valid_to: datetime
    idempotency_key: str | None
    fingerprint: str = field(compare=False)


def check_issue(request: IssueRequest, now: datetime, currency: str) -> CheckedIssue:
    """The issue as checked, or ValidationFailed naming every field at fault. Coupons are
    in the deployment's currency; a segment or tier issue needs an idempotency key (a
    retried bulk issue must not hand every customer a second coupon)."""
    problems = Problems()
    target = request.target
    given = [x for x in (target.customer_id, target.segment, target.value_tier) if x is not None]
    if len(given) != 1:
        problems.add("customerId", "give exactly one of customerId, segment and valueTier")
    key = problems.text(
        request.idempotency_key,
        "idempotencyKey",
        required=target.bulk and len(given) == 1,
        limit=IDEMPOTENCY_KEY_MAX,
    )
    value = request.value
    problems.money(value, "value.amount")
    if value.currency != currency:
        problems.add("value.currency", f"coupons are issued in {currency} (the deployment's currency)")
    elif value.amount <= 0:
        problems.add("value.amount", "a coupon is worth more than 0")
    problems.moment(
        request.valid_from,
        "validFrom",
        now - timedelta(days=VALID_FROM_BACK_DAYS),
        now + timedelta(days=VALIDITY_DAYS_MAX),
    )
    if request.valid_to <= request.valid_from:
        problems.add("validTo", "validTo must be after validFrom")
    elif request.valid_to <= now:
        problems.add("validTo", "the coupon would be expired already")
    elif request.valid_to - request.valid_from > timedelta(days=VALIDITY_DAYS_MAX):
        problems.add("validTo", f"a coupon is valid for at most {VALIDITY_DAYS_MAX} days")
    problems.raise_if_any()
    fingerprint = request_fingerprint(
        {
            "customer": target.customer_id,
            "segment": target.segment,
            "valueTier": target.value_tier,
            "value": [str(value.amount.normalize()), value.currency],
            "validFrom": request.valid_from.astimezone(UTC).isoformat(),
            "validTo": request.valid_to.astimezone(UTC).isoformat(),
        }
    )
    return CheckedIssue(target, value, request.valid_from, request.valid_to, key, fingerprint)
