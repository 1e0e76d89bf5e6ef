"""The pure rules of points and coupons: lots, soonest-expiring-first spending, expiry of
what is left, request checks, referrals, coupon windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.coupons import (
    Coupon,
    CouponExpired,
    CouponNotYetValid,
    CouponStatus,
    CouponTarget,
    CouponUsed,
    IssueRequest,
    check_issue,
    refusal,
)
from domain.errors import ErrorCode, ValidationFailed
from domain.lifecycle import Actor
from domain.loyalty import (
    AwardRequest,
    EntryKind,
    InsufficientPoints,
    LedgerEntry,
    Lot,
    LoyaltyRules,
    PointsAwardReason,
    RedemptionRequest,
    Share,
    after_shares,
    allocate,
    available,
    check_award,
    check_redemption,
    check_referral,
    expiries,
    held,
    ledger_balance,
    lot_times,
    spending_order,
)
from domain.money import Money
from domain.rfm import Segment

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
STAFF = Actor(id="u1", name="Li Na", role="CX_AGENT")


def lot(lot_id: str, remaining: int, *, earned: int = -10, expires: int = 300, available_in: int = 0) -> Lot:
    """A lot earned `earned` days from NOW, expiring `expires` days from NOW."""
    return Lot(
        id=lot_id,
        customer_id="c1",
        points=remaining,
        remaining=remaining,
        reason=PointsAwardReason.ACTIVITY,
        earned_at=NOW + earned * DAY,
        available_at=NOW + available_in * DAY,
        expires_at=NOW + expires * DAY,
    )


# --- lots ------------------------------------------------------------------------------------


def test_a_lot_lives_for_the_lifetime_and_purchase_points_may_wait_out_a_return_window() -> None:
    rules = LoyaltyRules(lifetime_days=365, purchase_pending_days=7)
    assert lot_times(NOW, PointsAwardReason.PURCHASE, rules) == (NOW + 7 * DAY, NOW + 365 * DAY)
    assert lot_times(NOW, PointsAwardReason.ACTIVITY, rules) == (NOW, NOW + 365 * DAY)
    assert lot_times(NOW, PointsAwardReason.PURCHASE, LoyaltyRules()) == (NOW, NOW + 365 * DAY)


def test_only_available_unexpired_points_can_be_spent() -> None:
    lots = [
        lot("a", 100),
        lot("pending", 50, available_in=3),
        lot("expired", 30, expires=0),  # expires exactly now: gone
        lot("spent", 0),
    ]
    assert available(lots, NOW) == 100
    assert held(lots) == 180  # the balance holds them until the expiry job takes them
    assert available(lots, NOW + 3 * DAY) == 150


def test_spending_takes_the_soonest_expiring_lot_first() -> None:
    lots = [lot("late", 100, expires=200), lot("soon", 40, expires=10), lot("mid", 50, expires=100)]
    assert [x.id for x in spending_order(lots)] == ["soon", "mid", "late"]
    assert allocate(lots, 60, NOW) == [Share("soon", 40), Share("mid", 20)]
    assert allocate(lots, 40, NOW) == [Share("soon", 40)]
    assert allocate(lots, 190, NOW) == [Share("soon", 40), Share("mid", 50), Share("late", 100)]


def test_lots_expiring_together_are_spent_oldest_first_then_by_id() -> None:
    lots = [lot("b", 10, earned=-5), lot("c", 10, earned=-9), lot("a", 10, earned=-5)]
    assert [s.lot_id for s in allocate(lots, 30, NOW)] == ["c", "a", "b"]


def test_spending_more_than_is_available_takes_nothing() -> None:
    lots = [lot("a", 30), lot("pending", 100, available_in=1)]
    with pytest.raises(InsufficientPoints) as refused:
        allocate(lots, 31, NOW)
    assert (refused.value.available, refused.value.asked, refused.value.code) == (
        30,
        31,
        ErrorCode.INSUFFICIENT_POINTS,
    )
    assert refused.value.field == "points"
    with pytest.raises(ValueError):
        allocate(lots, 0, NOW)


def test_expiry_takes_only_what_is_left_of_each_lot() -> None:
    lots = [lot("old", 100, expires=5), lot("new", 80, expires=200)]
    spent = after_shares(lots, allocate(lots, 70, NOW))  # 70 of the old lot's 100
    assert [x.remaining for x in spent] == [30, 80]
    assert expiries(spent, NOW) == []
    assert expiries(spent, NOW + 5 * DAY) == [Share("old", 30)]
    gone = after_shares(spent, expiries(spent, NOW + 5 * DAY))
    assert expiries(gone, NOW + 5 * DAY) == []  # a second run finds nothing left
    assert available(gone, NOW + 5 * DAY) == 80


def test_taking_more_than_a_lot_holds_is_a_bug_not_a_balance() -> None:
    with pytest.raises(ValueError):
        after_shares([lot("a", 10)], [Share("a", 11)])


def test_the_balance_is_the_sum_of_the_ledger() -> None:
    def entry(seq: int, kind: EntryKind, points: int) -> LedgerEntry:
        return LedgerEntry(f"e{seq}", "c1", seq, kind, points, 0, NOW)

    entries = [
        entry(1, EntryKind.EARN, 100),
        entry(2, EntryKind.REDEEM, -30),
        entry(3, EntryKind.EXPIRE, -20),
    ]
    assert ledger_balance(entries) == 50
    assert entries[0].lot_id == "e1" and entries[1].lot_id is None


# --- requests --------------------------------------------------------------------------------


def _fields(problems: ValidationFailed) -> list[str | None]:
    return [p.field for p in problems.problems]


def test_awards_are_bounded_and_purchase_and_referral_points_are_not_typed_in() -> None:
    award = check_award(AwardRequest("c1", 50, PointsAwardReason.QUESTIONNAIRE, " k1 ", " survey "))
    assert (award.idempotency_key, award.text, award.award_reason) == (
        "k1",
        "survey",
        PointsAwardReason.QUESTIONNAIRE,
    )
    same = check_award(AwardRequest("c1", 50, PointsAwardReason.QUESTIONNAIRE, "k2", "survey"))
    other = check_award(AwardRequest("c1", 51, PointsAwardReason.QUESTIONNAIRE, "k1", "survey"))
    assert award.fingerprint == same.fingerprint != other.fingerprint
    for reason in (PointsAwardReason.PURCHASE, PointsAwardReason.REFERRAL):
        with pytest.raises(ValidationFailed) as refused:
            check_award(AwardRequest("c1", 10, reason, "k"))
        assert _fields(refused.value) == ["reason"]
    with pytest.raises(ValidationFailed) as refused:
        check_award(AwardRequest("c1", 0, PointsAwardReason.ACTIVITY, "", "x" * 201))
    assert _fields(refused.value) == ["points", "idempotencyKey", "note"]


def test_a_redemption_carries_a_reason_and_its_fingerprint_tells_requests_apart() -> None:
    redemption = check_redemption(RedemptionRequest("c1", 10, "tea set", "k"))
    assert redemption.text == "tea set" and redemption.award_reason is None
    award = check_award(AwardRequest("c1", 10, PointsAwardReason.ACTIVITY, "k"))
    assert redemption.fingerprint != award.fingerprint  # the same key on both is a reuse
    with pytest.raises(ValidationFailed) as refused:
        check_redemption(RedemptionRequest("c1", 1_000_001, " ", "k"))
    assert _fields(refused.value) == ["points", "reason"]


def test_a_referral_brings_a_new_customer_through_an_old_one() -> None:
    check_referral("new", "old", referred_orders=0, referrer_orders=3)
    for args, fields in [
        (("same", "same", 0, 1), ["referrerId"]),
        (("new", "old", 1, 1), ["customerId"]),
        (("new", "old", 0, 0), ["referrerId"]),
        (("new", "old", 2, 0), ["customerId", "referrerId"]),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            check_referral(*args)
        assert _fields(refused.value) == fields


# --- coupons ---------------------------------------------------------------------------------


def coupon(**changes) -> Coupon:
    fields = {
        "id": "k1",
        "customer_id": "c1",
        "value": Money(Decimal("20"), "CNY"),
        "valid_from": NOW - DAY,
        "valid_to": NOW + 30 * DAY,
        "issued_at": NOW - DAY,
        "issued_by": STAFF,
    }
    return Coupon(**{**fields, **changes})


def test_a_coupon_is_redeemable_inside_its_window_and_once() -> None:
    assert coupon().status(NOW) is CouponStatus.ACTIVE
    assert refusal(coupon(), NOW) is None
    early = coupon(valid_from=NOW + DAY)
    assert early.status(NOW) is CouponStatus.NOT_YET_VALID
    assert isinstance(refusal(early, NOW), CouponNotYetValid)
    late = coupon(valid_to=NOW)  # the end is exclusive
    assert late.status(NOW) is CouponStatus.EXPIRED
    assert isinstance(refusal(late, NOW), CouponExpired)
    used = coupon(redeemed_at=NOW - DAY, valid_to=NOW - DAY / 2)  # used, and expired since
    assert used.status(NOW) is CouponStatus.REDEEMED
    error = refusal(used, NOW)
    assert isinstance(error, CouponUsed) and error.code is ErrorCode.COUPON_USED


def _issue(**changes) -> IssueRequest:
    fields = {
        "target": CouponTarget(customer_id="c1"),
        "value": Money(Decimal("20.50"), "CNY"),
        "valid_from": NOW,
        "valid_to": NOW + 30 * DAY,
    }
    return IssueRequest(**{**fields, **changes})


def test_a_coupon_goes_to_exactly_one_target_in_the_deployments_currency() -> None:
    checked = check_issue(_issue(), NOW, "CNY")
    assert checked.idempotency_key is None and not checked.target.bulk
    assert (
        check_issue(_issue(value=Money(Decimal("20.5"), "CNY")), NOW, "CNY").fingerprint
        == checked.fingerprint
    )
    cases = [
        (_issue(target=CouponTarget()), ["customerId"]),
        (_issue(target=CouponTarget(customer_id="c1", segment=Segment.DORMANT)), ["customerId"]),
        (_issue(target=CouponTarget(segment=Segment.DORMANT)), ["idempotencyKey"]),  # bulk needs a key
        (_issue(value=Money(Decimal(0), "CNY")), ["value.amount"]),
        (_issue(value=Money(Decimal("1.23456"), "CNY")), ["value.amount"]),
        (_issue(value=Money(Decimal(5), "EUR")), ["value.currency"]),
        (_issue(valid_to=NOW), ["validTo"]),
        (_issue(valid_from=NOW - 40 * DAY, valid_to=NOW - DAY), ["validTo"]),
        (_issue(valid_to=NOW + 2000 * DAY), ["validTo"]),
        (_issue(valid_from=NOW - 400 * DAY), ["validFrom"]),
    ]
    for request, fields in cases:
        with pytest.raises(ValidationFailed) as refused:
            check_issue(request, NOW, "CNY")
        assert _fields(refused.value) == fields, request
    bulk = check_issue(_issue(target=CouponTarget(segment=Segment.DORMANT), idempotency_key="k"), NOW, "CNY")
    assert bulk.target.bulk and bulk.fingerprint != checked.fingerprint
