"""Churn risk (domain/churn.py, domain.md §1): a score in [0, 1] with the signals that produced it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.churn import (
    ChurnRisk,
    ChurnRules,
    ChurnSignal,
    ChurnWeights,
    ComplaintHistory,
    churn_risk,
)
from domain.figures import CustomerFigures

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = ChurnRules()
NO_COMPLAINTS = ComplaintHistory()


def bought(orders: int, first_day: int, last_day: int, **more: object) -> CustomerFigures:
    """A customer with `orders` purchases from T0 + first_day to T0 + last_day."""
    return CustomerFigures(
        orders=orders,
        units=orders,
        spend=Decimal(100 * orders),
        first_purchase_at=T0 + first_day * DAY,
        last_purchase_at=T0 + last_day * DAY,
        first_order_units=1,
        first_purchase_id="p0",
        **more,  # type: ignore[arg-type]
    )


def signal(
    figures: CustomerFigures, name: str, now_day: float, complaints: ComplaintHistory = NO_COMPLAINTS
) -> float:
    risk = churn_risk(figures, complaints, T0 + now_day * DAY, RULES)
    assert risk is not None
    return {s.name: s.value for s in risk.signals}[name]


def test_the_defaults_weigh_the_purchase_gap_twice_and_sum_to_one() -> None:
    weights = ChurnWeights()
    assert weights.items() == [
        ("purchase_gap", 0.4),
        ("engagement_drop", 0.2),
        ("recent_complaints", 0.2),
        ("low_satisfaction", 0.2),
    ]
    assert sum(w for _, w in weights.items()) == pytest.approx(1.0)
    assert (RULES.default_rhythm_days, RULES.complaints_for_full_signal, RULES.threshold) == (90, 3, 0.6)


def test_a_customer_who_never_bought_has_no_churn_risk() -> None:
    assert churn_risk(CustomerFigures(), ComplaintHistory(recent=5), T0, RULES) is None
    assert churn_risk(CustomerFigures(touchpoints=3, last_satisfaction=1), NO_COMPLAINTS, T0, RULES) is None


# --- purchase gap -------------------------------------------------------------------------------

EVERY_30_DAYS = bought(3, 0, 60)  # purchases on days 0, 30 and 60: a rhythm of 30 days


@pytest.mark.parametrize(
    ("now_day", "value"),
    [
        (60, 0.0),  # bought today
        (80, 0.0),  # 20 days: within the rhythm
        (90, 0.0),  # exactly one rhythm
        (105, 0.25),  # 45 days: 1.5 rhythms
        (120, 0.5),  # two rhythms
        (150, 1.0),  # three rhythms
        (400, 1.0),  # more
    ],
)
def test_the_purchase_gap_against_the_customers_own_rhythm(now_day: int, value: float) -> None:
    assert signal(EVERY_30_DAYS, "purchase_gap", now_day) == value


@pytest.mark.parametrize(("now_day", "value"), [(45, 0.0), (90, 0.0), (180, 0.5), (270, 1.0)])
def test_one_purchase_is_measured_against_the_default_rhythm_of_90_days(now_day: int, value: float) -> None:
    assert signal(bought(1, 0, 0), "purchase_gap", now_day) == value


def test_purchases_all_at_one_instant_use_the_default_rhythm() -> None:
    assert signal(bought(2, 0, 0), "purchase_gap", 180) == 0.5


def test_the_default_rhythm_is_a_setting() -> None:
    risk = churn_risk(bought(1, 0, 0), NO_COMPLAINTS, T0 + 90 * DAY, ChurnRules(default_rhythm_days=30))
    assert risk is not None
    assert risk.signals[0] == ChurnSignal("purchase_gap", 0.4, 1.0)


def test_the_gap_counts_parts_of_days() -> None:
    # rhythm 30 days; 54 days and 12 hours since: (54.5 / 30 - 1) / 2 = 0.408333...
    assert signal(EVERY_30_DAYS, "purchase_gap", 114.5) == 0.4083


# --- engagement drop ----------------------------------------------------------------------------


def test_no_touchpoints_at_all_is_no_engagement_drop() -> None:
    assert signal(bought(1, 0, 0), "engagement_drop", 400) == 0.0


def test_the_engagement_drop_against_the_touchpoint_rhythm() -> None:
    # five touchpoints from day 0 to day 40: one every 10 days
    figures = bought(1, 0, 0, touchpoints=5, first_touchpoint_at=T0, last_touchpoint_at=T0 + 40 * DAY)
    assert signal(figures, "engagement_drop", 45) == 0.0
    assert signal(figures, "engagement_drop", 60) == 0.5  # 20 days: two rhythms
    assert signal(figures, "engagement_drop", 70) == 1.0  # 30 days: three rhythms


def test_one_touchpoint_uses_the_default_rhythm() -> None:
    figures = bought(1, 0, 0, touchpoints=1, first_touchpoint_at=T0, last_touchpoint_at=T0)
    assert signal(figures, "engagement_drop", 180) == 0.5


# --- complaints ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("complaints", "value"),
    [
        (ComplaintHistory(0, 0), 0.0),
        (ComplaintHistory(1, 0), 0.3333),
        (ComplaintHistory(2, 0), 0.6667),
        (ComplaintHistory(3, 0), 1.0),
        (ComplaintHistory(7, 0), 1.0),
        (ComplaintHistory(1, 1), 0.6667),  # one complaint, and its fix did not hold
        (ComplaintHistory(2, 1), 1.0),
    ],
)
def test_recent_complaints_and_bad_outcomes_add_up_to_three(
    complaints: ComplaintHistory, value: float
) -> None:
    assert signal(bought(1, 0, 0), "recent_complaints", 1, complaints) == value


# --- low satisfaction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfaction", "nps", "value"),
    [
        (None, None, 0.0),
        (1, None, 1.0),
        (2, None, 0.6667),
        (3, None, 0.3333),
        (4, None, 0.0),
        (5, None, 0.0),
        (None, 0, 1.0),
        (None, 3, 0.5714),  # 4/7
        (None, 6, 0.1429),  # 1/7
        (None, 7, 0.0),
        (None, 10, 0.0),
        (4, 3, 0.5714),  # the stronger of the two
        (2, 6, 0.6667),
        (5, 0, 1.0),
    ],
)
def test_the_latest_answer_as_a_low_satisfaction_signal(
    satisfaction: int | None, nps: int | None, value: float
) -> None:
    figures = bought(1, 0, 0, last_satisfaction=satisfaction, last_nps=nps)
    assert signal(figures, "low_satisfaction", 1) == value


# --- the score ----------------------------------------------------------------------------------


def hand_made() -> ChurnRisk | None:
    figures = bought(
        3,
        0,
        60,  # rhythm 30 days
        touchpoints=5,
        first_touchpoint_at=T0 + 40 * DAY,
        last_touchpoint_at=T0 + 80 * DAY,  # rhythm 10 days
        last_satisfaction=2,
    )
    # on day 120: 60 days since the last purchase, two rhythms: (60 / 30 - 1) / 2 = 0.5;
    # 40 days since the last touchpoint, four rhythms: (40 / 10 - 1) / 2 = 1.5, capped at 1;
    # one recent complaint: 1/3; the latest satisfaction 2: 2/3
    return churn_risk(figures, ComplaintHistory(recent=1), T0 + 120 * DAY, RULES)


def test_the_score_is_the_weighted_sum_of_the_signals() -> None:
    risk = hand_made()
    assert risk is not None
    assert risk.signals == (
        ChurnSignal("purchase_gap", 0.4, 0.5),
        ChurnSignal("engagement_drop", 0.2, 1.0),
        ChurnSignal("recent_complaints", 0.2, 0.3333),
        ChurnSignal("low_satisfaction", 0.2, 0.6667),
    )
    # 0.4 x 0.5 + 0.2 x 1.0 + 0.2 x 0.3333 + 0.2 x 0.6667 = 0.2 + 0.2 + 0.06666 + 0.13334
    assert risk.score == 0.6
    assert risk.scored_at == T0 + 120 * DAY


def test_a_customer_with_every_signal_at_full_strength_scores_one() -> None:
    figures = bought(1, 0, 0, touchpoints=1, first_touchpoint_at=T0, last_touchpoint_at=T0, last_nps=0)
    risk = churn_risk(figures, ComplaintHistory(recent=3), T0 + 400 * DAY, RULES)
    assert risk is not None and risk.score == 1.0


def test_a_customer_who_just_bought_happily_scores_zero() -> None:
    figures = bought(
        4,
        0,
        90,
        touchpoints=2,
        first_touchpoint_at=T0,
        last_touchpoint_at=T0 + 90 * DAY,
        last_satisfaction=5,
        last_nps=10,
    )
    risk = churn_risk(figures, NO_COMPLAINTS, T0 + 91 * DAY, RULES)
    assert risk is not None
    assert risk.score == 0.0
    assert risk.explained() == "churn risk 0.00: none"


def test_the_weights_are_settings() -> None:
    only_complaints = ChurnRules(weights=ChurnWeights(0.0, 0.0, 1.0, 0.0))
    risk = churn_risk(bought(1, 0, 0), ComplaintHistory(recent=2), T0 + 400 * DAY, only_complaints)
    assert risk is not None and risk.score == 0.6667
    # the defaults: 0.4 x 1.0 (400 days against 90) + 0.2 x 0.6667 = 0.53334
    default = churn_risk(bought(1, 0, 0), ComplaintHistory(recent=2), T0 + 400 * DAY, RULES)
    assert default is not None and default.score == 0.5333


def test_explained_lists_the_signals_that_count_strongest_first() -> None:
    risk = hand_made()
    assert risk is not None
    # by weight x value: gap 0.2, engagement 0.2 (listed as the weights list them on a tie),
    # low satisfaction 0.1333, complaints 0.0667
    assert risk.explained() == (
        "churn risk 0.60: purchase_gap 0.50 (weight 0.4), engagement_drop 1.00 (weight 0.2), "
        "low_satisfaction 0.67 (weight 0.2), recent_complaints 0.33 (weight 0.2)"
    )


def test_explained_leaves_out_signals_at_zero_and_ranks_by_weighted_strength() -> None:
    figures = bought(1, 0, 0, last_satisfaction=1)
    risk = churn_risk(figures, NO_COMPLAINTS, T0 + 225 * DAY, RULES)
    # gap (225 / 90 - 1) / 2 = 0.75 weighs 0.3; satisfaction 1.0 weighs 0.2: the gap comes first
    assert risk is not None
    assert risk.explained() == (
        "churn risk 0.50: purchase_gap 0.75 (weight 0.4), low_satisfaction 1.00 (weight 0.2)"
    )
