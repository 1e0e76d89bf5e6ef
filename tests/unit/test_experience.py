"""Experience and KPI arithmetic (domain/experience.py, domain.md §3, §8) on hand-made running totals."""

from decimal import Decimal

import pytest

from domain.experience import (
    ACTIVE_STAGES,
    ExperienceTotals,
    Hotspot,
    LifecycleTotals,
    Ratio,
    hotspots,
    kpis,
    ratio,
)
from domain.lifecycle import LifecycleStage

# --- ratios -------------------------------------------------------------------------------------


def test_a_ratio_keeps_its_counts_and_rounds_to_four_places() -> None:
    assert ratio(2, 3) == Ratio(0.6667, 2, 3)
    assert ratio(9, 12) == Ratio(0.75, 9, 12)
    assert ratio(0, 5) == Ratio(0.0, 0, 5)


def test_a_ratio_over_nothing_has_no_value() -> None:
    assert ratio(0, 0) == Ratio(None, 0, 0)


# --- experience ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "nps"),
    [
        (5, 3, 2, 30.0),  # 50% - 20%
        (1, 1, 1, 0.0),
        (2, 0, 1, 33.3),  # 66.67% - 33.33%
        (0, 1, 2, -66.7),
        (7, 0, 0, 100.0),
        (0, 0, 4, -100.0),
        (0, 9, 0, 0.0),  # passives only count in the denominator
        (3, 4, 0, 42.9),  # 3 / 7 = 42.857%
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors_to_one_place(
    promoters: int, passives: int, detractors: int, nps: float
) -> None:
    totals = ExperienceTotals(promoters=promoters, passives=passives, detractors=detractors)
    assert totals.nps == nps
    assert totals.nps_answers == promoters + passives + detractors


def test_no_nps_without_answers() -> None:
    assert ExperienceTotals(touchpoints=12, satisfaction_count=3).nps is None


def test_the_satisfaction_rate_is_the_share_of_4_and_5_answers_with_its_counts() -> None:
    totals = ExperienceTotals(satisfaction_sum=44, satisfaction_count=12, satisfied=9)
    assert totals.satisfaction_rate == Ratio(0.75, 9, 12)
    assert totals.average_satisfaction == 3.6667  # 44 / 12


def test_no_satisfaction_figures_without_answers() -> None:
    totals = ExperienceTotals(touchpoints=4, promoters=2)
    assert totals.satisfaction_rate == Ratio(None, 0, 0)
    assert totals.average_satisfaction is None


@pytest.mark.parametrize(
    ("revenue", "orders", "average"),
    [
        ("100.00", 3, "33.33"),
        ("200.00", 3, "66.67"),
        ("20.25", 2, "10.12"),  # 10.125: half to even
        ("20.75", 2, "10.38"),  # 10.375: half to even
        ("0.01", 3, "0.00"),
        ("8000", 1, "8000.00"),
    ],
)
def test_the_average_order_value_is_revenue_over_orders_to_the_cent(
    revenue: str, orders: int, average: str
) -> None:
    value = ExperienceTotals(orders=orders, revenue=Decimal(revenue)).average_order_value
    assert value == Decimal(average)
    assert value is not None and value.as_tuple().exponent == -2


def test_no_average_order_value_without_orders() -> None:
    assert ExperienceTotals().average_order_value is None


def test_totals_add_field_by_field_and_are_read_from_a_stored_document() -> None:
    a = ExperienceTotals(
        touchpoints=3, satisfied=1, negatives=1, negative_impact=500, revenue=Decimal("1.10")
    )
    b = ExperienceTotals(touchpoints=2, satisfied=2, detractors=1, revenue=Decimal("2.20"), orders=1)
    assert a + b == ExperienceTotals(
        touchpoints=5,
        satisfied=3,
        detractors=1,
        negatives=1,
        negative_impact=500,
        orders=1,
        revenue=Decimal("3.30"),
    )
    stored = {"_id": "2026-03-02", "touchpoints": 5, "promoters": 2, "revenue": Decimal("9.90")}
    assert ExperienceTotals.of(stored) == ExperienceTotals(
        touchpoints=5, promoters=2, revenue=Decimal("9.90")
    )


# --- where negative experiences concentrate -----------------------------------------------------


def test_hotspots_rank_groups_by_impact_times_frequency() -> None:
    groups = {
        "PHONE": ExperienceTotals(touchpoints=40, negatives=6, negative_impact=3000),  # mean 0.5
        "EMAIL": ExperienceTotals(touchpoints=10, negatives=2, negative_impact=2000),  # mean 1.0
        "STORE": ExperienceTotals(touchpoints=30, negatives=2, negative_impact=1000),  # mean 0.5
        "CHAT": ExperienceTotals(touchpoints=20, negatives=2, negative_impact=1000),  # mean 0.5
        "APP": ExperienceTotals(touchpoints=90, negatives=0, negative_impact=0),
    }
    # 12 negatives in all
    assert hotspots(groups) == [
        Hotspot("PHONE", 6, frequency=0.5, impact=0.5, concentration=0.25),
        Hotspot("EMAIL", 2, frequency=0.1667, impact=1.0, concentration=0.1667),
        Hotspot("CHAT", 2, frequency=0.1667, impact=0.5, concentration=0.0833),  # tie: by key
        Hotspot("STORE", 2, frequency=0.1667, impact=0.5, concentration=0.0833),
    ]


def test_a_rare_severe_problem_outranks_a_frequent_mild_one() -> None:
    groups = {
        "SMS": ExperienceTotals(negatives=8, negative_impact=8 * 143),  # eight NPS 6 answers
        "VISIT": ExperienceTotals(negatives=2, negative_impact=2 * 1000),  # two satisfaction 1
    }
    assert hotspots(groups) == [
        Hotspot("VISIT", 2, frequency=0.2, impact=1.0, concentration=0.2),
        Hotspot("SMS", 8, frequency=0.8, impact=0.143, concentration=0.1144),
    ]


def test_no_hotspots_without_negative_experiences() -> None:
    assert hotspots({"PHONE": ExperienceTotals(touchpoints=5, satisfied=5)}) == []
    assert hotspots({}) == []


# --- KPIs of a period ---------------------------------------------------------------------------

PERIOD = LifecycleTotals(
    acquired=20,
    activated=9,
    lapsed=8,
    won_back=3,
    acquired_at_start=40,
    active_at_start=200,
    active_at_end=215,  # 200 - 8 lapsed + 20 acquired + 3 won back
)
EXPERIENCE = ExperienceTotals(
    touchpoints=60,
    satisfaction_sum=170,
    satisfaction_count=40,
    satisfied=30,
    promoters=10,
    passives=6,
    detractors=4,
    orders=30,
    units=55,
    revenue=Decimal("4500.10"),
)


def test_the_active_base_is_acquired_active_retained_and_at_risk() -> None:
    S = LifecycleStage
    assert set(ACTIVE_STAGES) == {S.ACQUIRED, S.ACTIVE, S.RETAINED, S.AT_RISK}


def test_kpis_of_a_hand_made_period() -> None:
    k = kpis(EXPERIENCE, PERIOD)
    assert k.satisfaction_rate == Ratio(0.75, 30, 40)
    assert (k.nps, k.nps_answers) == (30.0, 20)  # 50% - 20%
    # activated / (ACQUIRED at the start + acquired during) = 9 / 60
    assert k.repurchase_rate == Ratio(0.15, 9, 60)
    # lapsed / active at the start = 8 / 200
    assert k.churn_rate == Ratio(0.04, 8, 200)
    # (active at the end - acquired - won back) / active at the start = (215 - 20 - 3) / 200 = 1 - churn
    assert k.retention_rate == Ratio(0.96, 192, 200)
    assert (k.new_customers, k.orders, k.revenue) == (20, 30, Decimal("4500.10"))
    assert k.average_order_value == Decimal("150.00")  # 4500.10 / 30 = 150.0033


def test_kpis_of_an_empty_period_have_no_rates() -> None:
    k = kpis(ExperienceTotals(), LifecycleTotals(0, 0, 0, 0, 0, 0, 0))
    assert k.satisfaction_rate == Ratio(None, 0, 0)
    assert k.repurchase_rate == Ratio(None, 0, 0)
    assert k.churn_rate == Ratio(None, 0, 0)
    assert k.retention_rate == Ratio(None, 0, 0)
    assert (k.nps, k.nps_answers, k.average_order_value) == (None, 0, None)


def test_a_first_period_has_a_repurchase_rate_but_no_churn_or_retention() -> None:
    k = kpis(ExperienceTotals(), LifecycleTotals(10, 2, 1, 0, 0, 0, 9))
    assert k.repurchase_rate == Ratio(0.2, 2, 10)
    assert k.churn_rate == Ratio(None, 1, 0)
    assert k.retention_rate == Ratio(None, 0, 0)  # 9 - 10 acquired: none kept, clamped at 0


def test_retention_never_counts_fewer_than_zero_kept() -> None:
    k = kpis(ExperienceTotals(), LifecycleTotals(50, 0, 45, 0, 0, 40, 45))
    assert k.retention_rate == Ratio(0.0, 0, 40)


def test_the_retention_rate_is_never_above_one() -> None:
    # 100 active at the start, nobody lost or acquired, 10 lapsed customers won back
    k = kpis(ExperienceTotals(), LifecycleTotals(0, 0, 0, 10, 0, 100, 110))
    assert k.retention_rate.value is not None and k.retention_rate.value <= 1.0
