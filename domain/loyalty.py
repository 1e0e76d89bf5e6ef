"""Loyalty points (domain.md §7): earned per purchased unit and for activities, a verified
referral, a questionnaire or a completed profile; redeemed; expiring.

Points are held in *lots*: every credit is one lot with the time it was earned, the time
it becomes spendable and the time it expires. A redemption takes from the lots that
expire soonest first, so the points a customer is about to lose are the ones they use,
and an expiry takes only what is left of each lot. The ledger is append-only: every
credit, redemption and expiry is one entry with signed points, and the balance is the
sum of the ledger (and of what is left in the lots); it never goes below zero.

Everything here is pure: the clock is passed in and the lots are values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from domain.customers import request_fingerprint
from domain.errors import DomainError, ErrorCode, ValidationFailed
from domain.lifecycle import Actor
from domain.validation import IDEMPOTENCY_KEY_MAX, SHORT_TEXT_MAX, Problems

#: The most points one award or redemption moves (an input bound, like a quantity's).
POINTS_MAX = 1_000_000


class PointsAwardReason(Enum):
    PURCHASE = "PURCHASE"  # per purchased unit, from recordPurchase
    ACTIVITY = "ACTIVITY"  # taking part in a care activity, an event
    REFERRAL = "REFERRAL"  # a verified referral: the referred customer's first purchase
    QUESTIONNAIRE = "QUESTIONNAIRE"
    PROFILE_COMPLETION = "PROFILE_COMPLETION"
    ADJUSTMENT = "ADJUSTMENT"  # a correction by staff


#: What people award by hand. Purchase points come from recorded purchases and referral
#: points from the referred customer's first purchase, so neither can be typed in.
AWARDABLE = frozenset(
    {
        PointsAwardReason.ACTIVITY,
        PointsAwardReason.QUESTIONNAIRE,
        PointsAwardReason.PROFILE_COMPLETION,
        PointsAwardReason.ADJUSTMENT,
    }
)


class EntryKind(Enum):
    EARN = "EARN"  # a lot is credited (points > 0)
    REDEEM = "REDEEM"  # points spent (points < 0)
    EXPIRE = "EXPIRE"  # what was left of a lot at its expiry (points < 0)


@dataclass(frozen=True)
class LoyaltyRules:
    """The business numbers of points and coupons (settings, with these defaults)."""

    lifetime_days: int = 365  # a lot expires this long after it was earned
    purchase_pending_days: int = 0  # purchase points are spendable this long after the purchase
    referral_points: int = 200  # what the referrer earns when the referred customer first buys
    coupon_issue_max: int = 10_000  # the most customers one segment or tier issue reaches


class InsufficientPoints(DomainError):
    code = ErrorCode.INSUFFICIENT_POINTS

    def __init__(self, available: int, asked: int) -> None:
        super().__init__(f"the customer has {available} points available, not {asked}", "points")
        self.available = available
        self.asked = asked


@dataclass(frozen=True)
class Lot:
    """One credit of points and what is left of it."""

    id: str
    customer_id: str
    points: int  # as credited
    remaining: int
    reason: PointsAwardReason
    earned_at: datetime
    available_at: datetime
    expires_at: datetime

    def spendable(self, now: datetime) -> bool:
        return self.remaining > 0 and self.available_at <= now < self.expires_at

    def expired(self, now: datetime) -> bool:
        """Past its expiry with points left: the expiry job takes them."""
        return self.remaining > 0 and self.expires_at <= now


def lot_times(
    earned_at: datetime, reason: PointsAwardReason, rules: LoyaltyRules
) -> tuple[datetime, datetime]:
    """(available at, expires at) of a lot earned at `earned_at`: purchase points may wait
    out a return window; a lot's life counts from when it was earned."""
    pending = rules.purchase_pending_days if reason is PointsAwardReason.PURCHASE else 0
    return earned_at + timedelta(days=pending), earned_at + timedelta(days=rules.lifetime_days)


@dataclass(frozen=True)
class Share:
    """Points taken from one lot by a redemption or an expiry."""

    lot_id: str
    points: int


def spending_order(lots: Iterable[Lot]) -> list[Lot]:
    """Soonest expiry first; among lots expiring together, the oldest, then by id, so the
    order is the same whatever order the lots were read in."""
    return sorted(lots, key=lambda lot: (lot.expires_at, lot.earned_at, lot.id))


def available(lots: Iterable[Lot], now: datetime) -> int:
    """Points that can be spent now."""
    return sum(lot.remaining for lot in lots if lot.spendable(now))


def held(lots: Iterable[Lot]) -> int:
    """Points held in lots: spendable, still pending, and expired but not yet taken."""
    return sum(lot.remaining for lot in lots)


def allocate(lots: Iterable[Lot], points: int, now: datetime) -> list[Share]:
    """Which lots a redemption of `points` takes from, soonest-expiring first; raises
    InsufficientPoints (and takes nothing) when the spendable lots do not cover it."""
    if points <= 0:
        raise ValueError("a redemption takes a positive number of points")
    spendable = [lot for lot in spending_order(lots) if lot.spendable(now)]
    if (have := sum(lot.remaining for lot in spendable)) < points:
        raise InsufficientPoints(have, points)
    shares, left = [], points
    for lot in spendable:
        take = min(lot.remaining, left)
        shares.append(Share(lot.id, take))
        left -= take
        if left == 0:
            break
    return shares


def expiries(lots: Iterable[Lot], now: datetime) -> list[Share]:
    """What expires by `now`: all that is left of each lot past its expiry, and nothing of
    the points already spent from it."""
    return [Share(lot.id, lot.remaining) for lot in spending_order(lots) if lot.expired(now)]


def after_shares(lots: Sequence[Lot], shares: Iterable[Share]) -> list[Lot]:
    """The lots once `shares` are taken from them."""
    taken: dict[str, int] = {}
    for share in shares:
        taken[share.lot_id] = taken.get(share.lot_id, 0) + share.points
    out = []
    for lot in lots:
        left = lot.remaining - taken.get(lot.id, 0)
        if left < 0:
            raise ValueError(f"lot {lot.id} has {lot.remaining} points, not {taken[lot.id]}")
        out.append(replace(lot, remaining=left))
    return out


# --- the ledger ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One append-only ledger line. `seq` numbers a customer's entries in the order they
    were written (1, 2, …) and `balance_after` is the balance right after it."""

    id: str
    customer_id: str
    seq: int
    kind: EntryKind
    points: int  # signed: + for EARN, - for REDEEM and EXPIRE
    balance_after: int
    at: datetime  # when it took effect (a purchase's time for its points)
    award_reason: PointsAwardReason | None = None  # EARN only
    text: str | None = None  # a redemption's reason, an award's note: free text (personal data)
    shares: tuple[Share, ...] = ()  # REDEEM, EXPIRE: the lots taken from
    purchase_id: str | None = None  # purchase points
    referred_customer_id: str | None = None  # referral points: whom the customer brought
    actor: Actor | None = None
    recorded_at: datetime | None = None

    @property
    def lot_id(self) -> str | None:
        """An EARN entry's lot has the entry's id."""
        return self.id if self.kind is EntryKind.EARN else None


@dataclass(frozen=True)
class LoyaltyAccount:
    """A customer's running totals, kept in the transaction of every ledger entry."""

    customer_id: str
    balance: int = 0
    earned: int = 0
    redeemed: int = 0
    expired: int = 0
    entries: int = 0  # the last entry's seq


def ledger_balance(entries: Iterable[LedgerEntry]) -> int:
    """The balance the ledger adds up to: what the running balance must equal."""
    return sum(entry.points for entry in entries)


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardRequest:
    customer_id: str
    points: int
    reason: PointsAwardReason
    idempotency_key: str
    note: str | None = None


@dataclass(frozen=True)
class RedemptionRequest:
    customer_id: str
    points: int
    reason: str
    idempotency_key: str


@dataclass(frozen=True)
class CheckedRequest:
    """An award or a redemption as checked: texts stripped, with its fingerprint."""

    customer_id: str
    points: int
    idempotency_key: str
    award_reason: PointsAwardReason | None
    text: str | None
    fingerprint: str = field(compare=False)


def _points_and_key(problems: Problems, points: int, key: str | None) -> str | None:
    problems.number(points, "points", 1, POINTS_MAX)
    return problems.text(key, "idempotencyKey", required=True, limit=IDEMPOTENCY_KEY_MAX)


def check_award(request: AwardRequest) -> CheckedRequest:
    problems = Problems()
    key = _points_and_key(problems, request.points, request.idempotency_key)
    if request.reason not in AWARDABLE:
        how = (
            "recordPurchase earns purchase points"
            if request.reason is PointsAwardReason.PURCHASE
            else "referral points are earned when the referred customer's first purchase is recorded "
            "(recordReferral)"
        )
        problems.add("reason", f"{request.reason.value} points are not awarded by hand: {how}")
    note = problems.text(request.note, "note", required=False, limit=SHORT_TEXT_MAX)
    problems.raise_if_any()
    assert key is not None
    fingerprint = request_fingerprint(
        {
            "award": request.customer_id,
            "points": request.points,
            "reason": request.reason,
            "note": note,
        }
    )
    return CheckedRequest(request.customer_id, request.points, key, request.reason, note, fingerprint)


def check_redemption(request: RedemptionRequest) -> CheckedRequest:
    problems = Problems()
    key = _points_and_key(problems, request.points, request.idempotency_key)
    reason = problems.text(request.reason, "reason", required=True, limit=SHORT_TEXT_MAX)
    problems.raise_if_any()
    assert key is not None and reason is not None
    fingerprint = request_fingerprint(
        {"redeem": request.customer_id, "points": request.points, "reason": reason}
    )
    return CheckedRequest(request.customer_id, request.points, key, None, reason, fingerprint)


# --- referrals -----------------------------------------------------------------------------


class ReferralStatus(Enum):
    PENDING = "PENDING"  # recorded; the referred customer has not bought yet
    VERIFIED = "VERIFIED"  # the referred customer's first purchase is recorded: points awarded


@dataclass(frozen=True)
class Referral:
    """An old customer brought a new one. It is verified by the new customer's first
    purchase, which is when the referrer earns the referral points."""

    customer_id: str  # the customer brought in
    referrer_id: str
    status: ReferralStatus
    recorded_at: datetime
    actor: Actor
    verified_at: datetime | None = None
    purchase_id: str | None = None  # the first purchase that verified it


def check_referral(customer_id: str, referrer_id: str, referred_orders: int, referrer_orders: int) -> None:
    """A referral brings a *new* customer (no purchase yet) through an *old* one (at least
    one purchase), never the customer themself; raises ValidationFailed."""
    problems = Problems()
    if customer_id == referrer_id:
        problems.add("referrerId", "a customer cannot refer themself")
    else:
        if referred_orders > 0:
            problems.add("customerId", "the customer has bought already: only a new customer can be referred")
        if referrer_orders == 0:
            problems.add("referrerId", "the referrer has no purchase yet: only an existing customer refers")
    if problems.problems:
        raise ValidationFailed(problems.problems)
