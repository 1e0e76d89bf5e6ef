"""RFM scores and segments (domain/rfm.py, domain.md §1), and the segment as ranges a stored-figures
query can filter on."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.figures import CustomerFigures
from domain.rfm import (
    Rfm,
    RfmThresholds,
    Segment,
    cell_key,
    cell_scores,
    frequency_score,
    monetary_score,
    recency_score,
    rfm_of,
    segment_areas,
    segment_of,
)

DEFAULTS = RfmThresholds()
AS_OF = date(2026, 3, 2)


def customer(days_ago: int, orders: int, spend: str) -> CustomerFigures:
    """Figures of a customer whose last purchase was `days_ago` days before AS_OF (at 15:30 UTC)."""
    last = datetime(2026, 3, 2, 15, 30, tzinfo=UTC) - timedelta(days=days_ago)
    return CustomerFigures(
        orders=orders,
        units=orders,
        spend=Decimal(spend),
        first_purchase_at=last - timedelta(days=30 * (orders - 1)),
        last_purchase_at=last,
        first_order_units=1,
        first_purchase_id="p0",
    )


# --- scores -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "score"),
    [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (181, 2), (365, 2), (366, 1), (3000, 1)],
)
def test_recency_scores(days: int, score: int) -> None:
    assert recency_score(days, DEFAULTS) == score


@pytest.mark.parametrize(
    ("orders", "score"),
    [(1, 1), (2, 2), (3, 3), (5, 3), (6, 4), (9, 4), (10, 5), (250, 5)],
)
def test_frequency_scores(orders: int, score: int) -> None:
    assert frequency_score(orders, DEFAULTS) == score


@pytest.mark.parametrize(
    ("spend", "score"),
    [
        ("0", 1),
        ("299.99", 1),
        ("300", 2),
        ("999.99", 2),
        ("1000.00", 3),
        ("2999.9999", 3),
        ("3000", 4),
        ("7999.99", 4),
        ("8000", 5),
        ("1000000", 5),
    ],
)
def test_monetary_scores(spend: str, score: int) -> None:
    assert monetary_score(Decimal(spend), DEFAULTS) == score


def test_configured_thresholds_change_the_scores() -> None:
    strict = RfmThresholds(
        recency_days=(7, 14, 28, 56),
        frequency=(20, 12, 6, 3),
        monetary=(Decimal(50000), Decimal(20000), Decimal(5000), Decimal(1000)),
    )
    assert (recency_score(30, DEFAULTS), recency_score(30, strict)) == (5, 2)
    assert (frequency_score(2, DEFAULTS), frequency_score(2, strict)) == (2, 1)
    assert (monetary_score(Decimal(8000), DEFAULTS), monetary_score(Decimal(8000), strict)) == (5, 3)


# --- segments -----------------------------------------------------------------------------------


def test_dormant_after_180_days_however_valuable() -> None:
    rfm = rfm_of(customer(181, 12, "20000"), AS_OF, DEFAULTS)
    assert rfm == Rfm(181, 12, Decimal("20000"), r=2, f=5, m=5, segment=Segment.DORMANT)


def test_180_days_is_not_yet_dormant() -> None:
    rfm = rfm_of(customer(180, 12, "20000"), AS_OF, DEFAULTS)
    assert rfm is not None
    assert (rfm.r, rfm.segment) == (3, Segment.CANNOT_LOSE)


def test_high_value_loyal_is_recent_frequent_and_big() -> None:
    rfm = rfm_of(customer(10, 6, "3000"), AS_OF, DEFAULTS)
    assert rfm == Rfm(10, 6, Decimal("3000"), r=5, f=4, m=4, segment=Segment.HIGH_VALUE_LOYAL)


def test_high_value_loyal_at_the_edges_of_score_4() -> None:
    rfm = rfm_of(customer(90, 6, "3000"), AS_OF, DEFAULTS)
    assert rfm is not None and rfm.segment is Segment.HIGH_VALUE_LOYAL
    rfm = rfm_of(customer(91, 6, "3000"), AS_OF, DEFAULTS)
    assert rfm is not None and rfm.segment is Segment.CANNOT_LOSE
    rfm = rfm_of(customer(10, 5, "3000"), AS_OF, DEFAULTS)
    assert rfm is not None and rfm.segment is Segment.POTENTIAL
    rfm = rfm_of(customer(10, 6, "2999.99"), AS_OF, DEFAULTS)
    assert rfm is not None and rfm.segment is Segment.POTENTIAL


def test_cannot_lose_is_a_big_spender_slipping_away() -> None:
    rfm = rfm_of(customer(120, 10, "9000"), AS_OF, DEFAULTS)
    assert rfm == Rfm(120, 10, Decimal("9000"), r=3, f=5, m=5, segment=Segment.CANNOT_LOSE)


def test_at_risk_is_an_ordinary_customer_not_seen_for_three_months() -> None:
    rfm = rfm_of(customer(120, 2, "500"), AS_OF, DEFAULTS)
    assert rfm == Rfm(120, 2, Decimal("500"), r=3, f=2, m=2, segment=Segment.AT_RISK)
    one_order = rfm_of(customer(100, 1, "50"), AS_OF, DEFAULTS)
    assert one_order is not None and one_order.segment is Segment.AT_RISK  # no longer NEW


def test_new_is_a_single_recent_purchase_whatever_its_size() -> None:
    rfm = rfm_of(customer(10, 1, "50"), AS_OF, DEFAULTS)
    assert rfm == Rfm(10, 1, Decimal("50"), r=5, f=1, m=1, segment=Segment.NEW)
    big = rfm_of(customer(60, 1, "9000"), AS_OF, DEFAULTS)
    assert big is not None and (big.r, big.m, big.segment) == (4, 5, Segment.NEW)


def test_potential_is_a_recent_repeat_buyer_not_yet_of_high_value() -> None:
    rfm = rfm_of(customer(45, 3, "1200"), AS_OF, DEFAULTS)
    assert rfm == Rfm(45, 3, Decimal("1200"), r=4, f=3, m=3, segment=Segment.POTENTIAL)


def test_recency_counts_calendar_days_to_the_day_asked_about() -> None:
    figures = customer(0, 1, "10")  # bought at 15:30 on AS_OF
    rfm = rfm_of(figures, AS_OF, DEFAULTS)
    assert rfm is not None and rfm.recency == 0
    rfm = rfm_of(figures, AS_OF + timedelta(days=31), DEFAULTS)
    assert rfm is not None and (rfm.recency, rfm.r) == (31, 4)


def test_no_rfm_before_the_first_purchase() -> None:
    assert rfm_of(CustomerFigures(), AS_OF, DEFAULTS) is None


def test_no_rfm_on_a_day_before_the_last_purchase() -> None:
    # the figures are today's running totals: they cannot say what they were on an earlier day
    assert rfm_of(customer(0, 3, "100"), AS_OF - timedelta(days=1), DEFAULTS) is None


def test_a_later_dormant_line_keeps_slipping_customers_out_of_dormant() -> None:
    patient = RfmThresholds(dormant_days=365)
    rfm = rfm_of(customer(200, 10, "9000"), AS_OF, patient)
    assert rfm is not None and (rfm.r, rfm.segment) == (2, Segment.CANNOT_LOSE)
    rfm = rfm_of(customer(200, 2, "500"), AS_OF, patient)
    assert rfm is not None and rfm.segment is Segment.AT_RISK
    rfm = rfm_of(customer(366, 2, "500"), AS_OF, patient)
    assert rfm is not None and rfm.segment is Segment.DORMANT


def test_new_is_a_frequency_score_of_one_so_it_follows_the_configured_thresholds() -> None:
    # NEW is decided on the F score (segments are ranges of stored cells): with thresholds
    # where two purchases still score F 1, a recent two-purchase customer is NEW.
    fewer_scores = RfmThresholds(frequency=(20, 12, 6, 3))
    rfm = rfm_of(customer(10, 2, "100"), AS_OF, fewer_scores)
    assert rfm is not None and (rfm.f, rfm.segment) == (1, Segment.NEW)
    rfm = rfm_of(customer(10, 2, "100"), AS_OF, RfmThresholds())
    assert rfm is not None and (rfm.f, rfm.segment) == (2, Segment.POTENTIAL)


# --- segments as ranges of stored figures -------------------------------------------------------


def test_cell_keys_name_f_then_m() -> None:
    assert cell_key(4, 5) == "45"
    assert cell_scores("45") == (4, 5)
    assert {cell_scores(cell_key(f, m)) for f in range(1, 6) for m in range(1, 6)} == {
        (f, m) for f in range(1, 6) for m in range(1, 6)
    }


def test_the_dormant_areas_are_every_cell_past_the_dormant_line() -> None:
    every = frozenset(cell_key(f, m) for f in range(1, 6) for m in range(1, 6))
    areas = segment_areas(Segment.DORMANT, AS_OF, DEFAULTS)
    # two recency bands past 180 days (score 2 up to 365, score 1 beyond), each with every cell
    assert [(a.first_day, a.last_day, a.cells) for a in areas] == [
        (AS_OF - timedelta(days=365), AS_OF - timedelta(days=181), every),
        (None, AS_OF - timedelta(days=366), every),
    ]


def test_the_high_value_loyal_areas_are_the_two_recent_bands_and_the_top_cells() -> None:
    top = frozenset({"44", "45", "54", "55"})
    areas = segment_areas(Segment.HIGH_VALUE_LOYAL, AS_OF, DEFAULTS)
    assert [(a.first_day, a.last_day, a.cells) for a in areas] == [
        (AS_OF - timedelta(days=30), AS_OF, top),
        (AS_OF - timedelta(days=90), AS_OF - timedelta(days=31), top),
    ]


THRESHOLD_CASES = [
    DEFAULTS,
    RfmThresholds(dormant_days=200),  # a dormant line inside a recency band
    RfmThresholds(dormant_days=365),
    RfmThresholds(recency_days=(7, 30, 60, 120), dormant_days=90),
    RfmThresholds(frequency=(8, 5, 2, 1), monetary=(Decimal(5000), Decimal(2000), Decimal(500), Decimal(0))),
]


@pytest.mark.parametrize("thresholds", THRESHOLD_CASES, ids=lambda t: f"{t.recency_days}-{t.dormant_days}")
@pytest.mark.parametrize("as_of", [date(2026, 3, 2), date(2024, 2, 29), date(2027, 1, 1)])
@pytest.mark.parametrize("segment", list(Segment), ids=lambda s: s.value)
def test_a_customer_is_in_a_segment_area_exactly_when_they_are_in_the_segment(
    segment: Segment, as_of: date, thresholds: RfmThresholds
) -> None:
    areas = segment_areas(segment, as_of, thresholds)
    for days in range(-3, 401):
        last_day = as_of - timedelta(days=days)
        for f in range(1, 6):
            for m in range(1, 6):
                cell = cell_key(f, m)
                inside = [
                    a
                    for a in areas
                    if (a.first_day is None or a.first_day <= last_day)
                    and last_day <= a.last_day
                    and cell in a.cells
                ]
                expected = days >= 0 and segment_of(days, f, m, thresholds) is segment
                assert len(inside) == (1 if expected else 0), (segment, as_of, days, f, m)


@pytest.mark.parametrize("thresholds", THRESHOLD_CASES, ids=lambda t: f"{t.recency_days}-{t.dormant_days}")
def test_every_recent_customer_is_in_exactly_one_segment_area(thresholds: RfmThresholds) -> None:
    areas = {s: segment_areas(s, AS_OF, thresholds) for s in Segment}
    for days in range(0, 401):
        last_day = AS_OF - timedelta(days=days)
        for f in range(1, 6):
            for m in range(1, 6):
                found = [
                    s
                    for s, segment_area in areas.items()
                    for a in segment_area
                    if (a.first_day is None or a.first_day <= last_day)
                    and last_day <= a.last_day
                    and cell_key(f, m) in a.cells
                ]
                assert found == [segment_of(days, f, m, thresholds)], (days, f, m)
