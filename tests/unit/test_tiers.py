"""Value tiers from the purchase history (domain.md §1): NONE, NEW, QUALITY_NEW, REGULAR, VIP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.figures import CustomerFigures, after_purchase
from domain.tiers import TierThresholds, ValueTier, value_tier

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DEFAULTS = TierThresholds()


def bought(*orders: tuple[str, int]) -> CustomerFigures:
    """The figures after these (amount, units) purchases, one day apart."""
    figures = CustomerFigures()
    for i, (amount, units) in enumerate(orders):
        figures = after_purchase(figures, f"p{i}", T0 + timedelta(days=i), Decimal(amount), units)
    return figures


def test_the_defaults_are_the_handbook_numbers() -> None:
    assert DEFAULTS.vip_spend == Decimal(8000)
    assert DEFAULTS.quality_new_units == 4


def test_a_customer_who_never_bought_has_no_tier() -> None:
    assert value_tier(CustomerFigures(), DEFAULTS) is ValueTier.NONE


def test_one_small_purchase_is_new() -> None:
    assert value_tier(bought(("120.00", 1)), DEFAULTS) is ValueTier.NEW


def test_a_first_order_of_3_units_is_new_and_of_4_units_is_quality_new() -> None:
    assert value_tier(bought(("90.00", 3)), DEFAULTS) is ValueTier.NEW
    assert value_tier(bought(("90.00", 4)), DEFAULTS) is ValueTier.QUALITY_NEW


def test_a_quality_first_order_stops_counting_at_the_second_purchase() -> None:
    assert value_tier(bought(("90.00", 4), ("10.00", 1)), DEFAULTS) is ValueTier.REGULAR


def test_two_purchases_below_the_vip_line_are_regular() -> None:
    assert value_tier(bought(("100.00", 1), ("200.00", 1)), DEFAULTS) is ValueTier.REGULAR


def test_a_spend_of_7999_99_is_regular() -> None:
    assert value_tier(bought(("7000.00", 1), ("999.99", 1)), DEFAULTS) is ValueTier.REGULAR


def test_a_spend_of_exactly_8000_is_vip() -> None:
    assert value_tier(bought(("7000.00", 1), ("1000.00", 1)), DEFAULTS) is ValueTier.VIP


def test_one_purchase_of_8000_is_vip_not_new() -> None:
    assert value_tier(bought(("8000.00", 1)), DEFAULTS) is ValueTier.VIP
    assert value_tier(bought(("8000.00", 6)), DEFAULTS) is ValueTier.VIP  # not QUALITY_NEW either


def test_one_purchase_of_7999_99_is_still_new() -> None:
    assert value_tier(bought(("7999.99", 1)), DEFAULTS) is ValueTier.NEW


def test_vip_is_whatever_the_count() -> None:
    many = bought(*[("800.00", 1)] * 10)
    assert (many.orders, many.spend) == (10, Decimal("8000.00"))
    assert value_tier(many, DEFAULTS) is ValueTier.VIP


@pytest.mark.parametrize(
    ("orders", "thresholds", "expected"),
    [
        # a lower VIP line makes a 5,000 spender VIP
        ([("2500.00", 1), ("2500.00", 1)], TierThresholds(vip_spend=Decimal(5000)), ValueTier.VIP),
        ([("2500.00", 1), ("2500.00", 1)], DEFAULTS, ValueTier.REGULAR),
        # a higher VIP line keeps an 8,000 spender regular
        ([("4000.00", 1), ("4000.00", 1)], TierThresholds(vip_spend=Decimal(10000)), ValueTier.REGULAR),
        # "buy 2 get 1": three units make a quality new customer
        ([("60.00", 3)], TierThresholds(quality_new_units=3), ValueTier.QUALITY_NEW),
        ([("60.00", 4)], TierThresholds(quality_new_units=5), ValueTier.NEW),
    ],
)
def test_the_thresholds_passed_in_change_the_answer(
    orders: list[tuple[str, int]], thresholds: TierThresholds, expected: ValueTier
) -> None:
    assert value_tier(bought(*orders), thresholds) is expected


def test_quality_new_looks_at_the_first_order_by_date_not_the_first_recorded() -> None:
    # A 1-unit order recorded first, then a back-dated 5-unit one: two orders, so REGULAR;
    # but the first order's units are the back-dated one's.
    figures = after_purchase(CustomerFigures(), "late", T0, Decimal("10.00"), 1)
    figures = after_purchase(figures, "early", T0 - timedelta(days=3), Decimal("50.00"), 5)
    assert figures.first_order_units == 5
    assert value_tier(figures, DEFAULTS) is ValueTier.REGULAR
