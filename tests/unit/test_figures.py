"""A customer's running figures, kept on write (domain/figures.py): whatever order purchases and
touchpoints are recorded or committed in, the figures are those of the events in time order."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce
from itertools import permutations

from domain.figures import CustomerFigures, after_purchase, after_touchpoint

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)

Purchase = tuple[str, datetime, Decimal, int]  # id, purchased at, amount, units
Touch = tuple[str, datetime, int | None, int | None]  # id, occurred at, satisfaction, nps


def buy(figures: CustomerFigures, purchase: Purchase) -> CustomerFigures:
    return after_purchase(figures, *purchase)


def touch(figures: CustomerFigures, touchpoint: Touch) -> CustomerFigures:
    return after_touchpoint(figures, *touchpoint)


# --- purchases ----------------------------------------------------------------------------------


def test_the_first_purchase_sets_every_purchase_figure() -> None:
    figures = after_purchase(CustomerFigures(), "p1", T0, Decimal("59.90"), 3)
    assert figures == CustomerFigures(
        orders=1,
        units=3,
        spend=Decimal("59.90"),
        first_purchase_at=T0,
        last_purchase_at=T0,
        first_order_units=3,
        first_purchase_id="p1",
    )


def test_purchases_in_order_add_up_and_keep_the_first_order() -> None:
    figures = buy(CustomerFigures(), ("p1", T0, Decimal("100.00"), 2))
    figures = buy(figures, ("p2", T0 + 10 * DAY, Decimal("0.10"), 5))
    figures = buy(figures, ("p3", T0 + 20 * DAY, Decimal("0.20"), 1))
    assert (figures.orders, figures.units, figures.spend) == (3, 8, Decimal("100.30"))
    assert (figures.first_purchase_at, figures.last_purchase_at) == (T0, T0 + 20 * DAY)
    assert (figures.first_purchase_id, figures.first_order_units) == ("p1", 2)


def test_a_back_dated_purchase_becomes_the_first_and_its_units_the_first_order_units() -> None:
    figures = buy(CustomerFigures(), ("p-now", T0, Decimal("30.00"), 1))
    figures = buy(figures, ("p-old", T0 - 40 * DAY, Decimal("200.00"), 4))
    assert figures.first_purchase_at == T0 - 40 * DAY
    assert figures.first_purchase_id == "p-old"
    assert figures.first_order_units == 4
    assert figures.last_purchase_at == T0  # the back-dated one is not the latest


def test_a_back_dated_purchase_between_first_and_last_changes_neither() -> None:
    figures = buy(CustomerFigures(), ("p1", T0, Decimal("10.00"), 1))
    figures = buy(figures, ("p3", T0 + 20 * DAY, Decimal("10.00"), 2))
    figures = buy(figures, ("p2", T0 + 10 * DAY, Decimal("10.00"), 7))
    assert (figures.first_purchase_id, figures.first_order_units) == ("p1", 1)
    assert (figures.first_purchase_at, figures.last_purchase_at) == (T0, T0 + 20 * DAY)
    assert (figures.orders, figures.units) == (3, 10)


def test_two_purchases_at_the_same_instant_are_ordered_by_id_whichever_commits_first() -> None:
    a = ("6650a0000000000000000001", T0, Decimal("10.00"), 1)
    b = ("6650a0000000000000000002", T0, Decimal("20.00"), 5)
    a_then_b = buy(buy(CustomerFigures(), a), b)
    b_then_a = buy(buy(CustomerFigures(), b), a)
    assert a_then_b == b_then_a
    assert a_then_b.first_purchase_id == "6650a0000000000000000001"
    assert a_then_b.first_order_units == 1


def test_any_order_of_the_same_purchases_gives_the_same_figures() -> None:
    purchases: list[Purchase] = [
        ("p-c", T0 + 3 * DAY, Decimal("0.10"), 1),
        ("p-a", T0, Decimal("19.99"), 4),  # earliest, tied with p-b: p-a < p-b
        ("p-b", T0, Decimal("250.00"), 2),
        ("p-d", T0 + 30 * DAY, Decimal("0.20"), 3),
        ("p-e", T0 - timedelta(seconds=1) + DAY, Decimal("7730.01"), 6),
    ]
    expected = CustomerFigures(
        orders=5,
        units=16,
        spend=Decimal("8000.30"),  # 0.10 + 19.99 + 250.00 + 0.20 + 7730.01, exactly
        first_purchase_at=T0,
        last_purchase_at=T0 + 30 * DAY,
        first_order_units=4,
        first_purchase_id="p-a",
    )
    seen = {reduce(buy, order, CustomerFigures()) for order in permutations(purchases)}
    assert seen == {expected}


def test_purchases_leave_touchpoint_figures_alone() -> None:
    figures = touch(CustomerFigures(), ("t1", T0, 4, None))
    after = buy(figures, ("p1", T0 + DAY, Decimal("1.00"), 1))
    assert (after.touchpoints, after.last_touchpoint_at, after.last_satisfaction) == (1, T0, 4)


# --- touchpoints --------------------------------------------------------------------------------


def test_touchpoints_count_and_span_in_any_order() -> None:
    figures = touch(CustomerFigures(), ("t2", T0 + 5 * DAY, None, None))
    figures = touch(figures, ("t1", T0, None, None))
    figures = touch(figures, ("t3", T0 + 9 * DAY, None, None))
    assert figures.touchpoints == 3
    assert (figures.first_touchpoint_at, figures.last_touchpoint_at) == (T0, T0 + 9 * DAY)
    assert figures.last_answer_at is None and figures.last_satisfaction is None


def test_an_answered_touchpoint_sets_the_latest_answers() -> None:
    figures = touch(CustomerFigures(), ("t1", T0, 2, 5))
    assert (figures.last_satisfaction, figures.last_nps) == (2, 5)
    assert (figures.last_answer_at, figures.last_answer_id) == (T0, "t1")


def test_a_newer_answer_replaces_the_older_one() -> None:
    figures = touch(CustomerFigures(), ("t1", T0, 2, 5))
    figures = touch(figures, ("t2", T0 + DAY, 5, 10))
    assert (figures.last_satisfaction, figures.last_nps, figures.last_answer_id) == (5, 10, "t2")


def test_a_back_dated_answer_does_not_replace_a_newer_one() -> None:
    figures = touch(CustomerFigures(), ("t-new", T0 + DAY, 5, 10))
    figures = touch(figures, ("t-old", T0, 1, 0))
    assert (figures.last_satisfaction, figures.last_nps) == (5, 10)
    assert (figures.last_answer_at, figures.last_answer_id) == (T0 + DAY, "t-new")
    assert figures.touchpoints == 2
    assert figures.first_touchpoint_at == T0  # it still counts as a touchpoint


def test_an_unanswered_touchpoint_does_not_clear_the_answers() -> None:
    figures = touch(CustomerFigures(), ("t1", T0, 1, 3))
    figures = touch(figures, ("t2", T0 + DAY, None, None))
    assert (figures.last_satisfaction, figures.last_nps, figures.last_answer_id) == (1, 3, "t1")
    assert figures.last_touchpoint_at == T0 + DAY


def test_the_latest_answers_are_both_those_of_the_latest_answered_touchpoint() -> None:
    # An NPS-only answer after a satisfaction-only one: the latest touchpoint's answers,
    # not a mix of the two (module docstring).
    figures = touch(CustomerFigures(), ("t1", T0, 2, None))
    figures = touch(figures, ("t2", T0 + DAY, None, 9))
    assert (figures.last_satisfaction, figures.last_nps) == (None, 9)


def test_two_answers_at_the_same_instant_are_ordered_by_id_whichever_commits_first() -> None:
    a = ("t-a", T0, 1, 0)
    b = ("t-b", T0, 5, 10)
    assert touch(touch(CustomerFigures(), a), b) == touch(touch(CustomerFigures(), b), a)
    assert touch(touch(CustomerFigures(), b), a).last_answer_id == "t-b"


def test_any_order_of_the_same_touchpoints_gives_the_same_figures() -> None:
    touchpoints: list[Touch] = [
        ("t1", T0, 3, None),
        ("t2", T0 + 2 * DAY, None, None),
        ("t3", T0 + 4 * DAY, 1, 2),  # the latest answer, tied with t4 on time; t3 < t4
        ("t4", T0 + 4 * DAY, None, None),
        ("t5", T0 + 9 * DAY, None, None),
    ]
    expected = CustomerFigures(
        touchpoints=5,
        first_touchpoint_at=T0,
        last_touchpoint_at=T0 + 9 * DAY,
        last_answer_at=T0 + 4 * DAY,
        last_satisfaction=1,
        last_nps=2,
        last_answer_id="t3",
    )
    seen = {reduce(touch, order, CustomerFigures()) for order in permutations(touchpoints)}
    assert seen == {expected}
