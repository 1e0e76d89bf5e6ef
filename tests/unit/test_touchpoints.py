"""Journey touchpoints (domain/touchpoints.py, domain.md §3): the bounds of a logged touchpoint, what
one moment says about the experience, and a journey's score by the peak-end rule."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ValidationFailed
from domain.records import Channel
from domain.touchpoints import (
    JourneyScore,
    JourneyStage,
    Sentiment,
    Touchpoint,
    TouchpointRequest,
    TouchpointType,
    check_touchpoint,
    moment_value,
    negative_impact,
    nps_class,
    peak_end,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
POS, NEU, NEG = Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE


def request(**changes: object) -> TouchpointRequest:
    made = TouchpointRequest(
        customer_id="c1",
        channel=Channel.PHONE,
        stage=JourneyStage.AFTER_SALE,
        type=TouchpointType.CALL,
        occurred_at=NOW - timedelta(hours=1),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def refused_fields(req: TouchpointRequest) -> list[str | None]:
    with pytest.raises(ValidationFailed) as refused:
        check_touchpoint(req, NOW)
    return [p.field for p in refused.value.problems]


# --- bounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize("satisfaction", [1, 2, 3, 4, 5])
def test_a_satisfaction_of_1_to_5_is_accepted(satisfaction: int) -> None:
    assert check_touchpoint(request(satisfaction=satisfaction), NOW).satisfaction == satisfaction


@pytest.mark.parametrize("satisfaction", [0, 6, -1])
def test_a_satisfaction_outside_1_to_5_is_refused(satisfaction: int) -> None:
    assert refused_fields(request(satisfaction=satisfaction)) == ["satisfaction"]


@pytest.mark.parametrize("nps", [0, 6, 10])
def test_an_nps_answer_of_0_to_10_is_accepted(nps: int) -> None:
    assert check_touchpoint(request(nps=nps), NOW).nps == nps


@pytest.mark.parametrize("nps", [-1, 11])
def test_an_nps_answer_outside_0_to_10_is_refused(nps: int) -> None:
    assert refused_fields(request(nps=nps)) == ["nps"]


def test_notes_are_stripped_may_span_lines_and_blank_notes_are_none() -> None:
    assert check_touchpoint(request(notes="  late courier\n\tsecond time  "), NOW).notes == (
        "late courier\n\tsecond time"
    )
    assert check_touchpoint(request(notes="   "), NOW).notes is None


def test_notes_of_2000_characters_are_accepted_and_of_2001_refused() -> None:
    assert check_touchpoint(request(notes="n" * 2000), NOW).notes == "n" * 2000
    assert refused_fields(request(notes="n" * 2001)) == ["notes"]


def test_notes_with_control_characters_are_refused() -> None:
    assert refused_fields(request(notes="fine\x00not")) == ["notes"]


def test_a_touchpoint_in_the_future_is_refused_and_one_just_now_is_not() -> None:
    assert refused_fields(request(occurred_at=NOW + timedelta(seconds=1))) == ["occurredAt"]
    assert check_touchpoint(request(occurred_at=NOW), NOW).occurred_at == NOW


def test_a_touchpoint_more_than_ten_years_back_is_refused() -> None:
    assert refused_fields(request(occurred_at=NOW - timedelta(days=3651))) == ["occurredAt"]


def test_the_idempotency_key_is_optional_and_bounded() -> None:
    assert check_touchpoint(request(), NOW).idempotency_key is None
    assert check_touchpoint(request(idempotency_key=" k1 "), NOW).idempotency_key == "k1"
    assert refused_fields(request(idempotency_key="k" * 201)) == ["idempotencyKey"]


def test_every_problem_of_a_touchpoint_is_reported_at_once() -> None:
    bad = request(occurred_at=NOW + timedelta(days=1), satisfaction=0, nps=11, notes="x" * 2001)
    assert refused_fields(bad) == ["occurredAt", "satisfaction", "nps", "notes"]


# --- one moment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("satisfaction", "nps", "sentiment", "value"),
    [
        (1, None, None, -1.0),
        (2, None, None, -0.5),
        (3, None, None, 0.0),
        (4, None, None, 0.5),
        (5, None, None, 1.0),
        (None, 0, None, -1.0),
        (None, 5, None, 0.0),
        (None, 6, None, 0.2),  # a detractor's answer is a mildly good moment on this scale
        (None, 10, None, 1.0),
        (None, None, POS, 0.5),
        (None, None, NEU, 0.0),
        (None, None, NEG, -0.5),
        (5, 0, NEG, 1.0),  # satisfaction speaks first
        (None, 0, POS, -1.0),  # then NPS
        (None, None, None, None),
    ],
)
def test_the_value_of_a_moment(
    satisfaction: int | None, nps: int | None, sentiment: Sentiment | None, value: float | None
) -> None:
    assert moment_value(satisfaction, nps, sentiment) == (None if value is None else pytest.approx(value))


@pytest.mark.parametrize(
    ("satisfaction", "nps", "sentiment", "thousandths"),
    [
        (1, None, None, 1000),
        (2, None, None, 500),
        (3, None, None, 0),
        (5, None, None, 0),
        (None, 0, None, 1000),
        (None, 3, None, 571),  # 4/7
        (None, 6, None, 143),  # 1/7
        (None, 7, None, 0),
        (None, 10, None, 0),
        (None, None, NEG, 500),
        (None, None, NEU, 0),
        (None, None, POS, 0),
        (2, 0, None, 1000),  # the strongest wins: NPS 0 over satisfaction 2
        (1, 6, NEG, 1000),  # satisfaction 1 over NPS 6 and the sentiment
        (None, 6, NEG, 500),  # the sentiment over NPS 6
        (4, 6, None, 143),  # a detractor even though satisfied
        (3, 8, POS, 0),
        (None, None, None, 0),
    ],
)
def test_negative_impact_in_thousandths(
    satisfaction: int | None, nps: int | None, sentiment: Sentiment | None, thousandths: int
) -> None:
    impact = negative_impact(satisfaction, nps, sentiment)
    assert impact == thousandths
    assert isinstance(impact, int)


@pytest.mark.parametrize(
    ("nps", "label"),
    [
        (None, None),
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_classes(nps: int | None, label: str | None) -> None:
    assert nps_class(nps) == label


# --- the peak-end rule --------------------------------------------------------------------------


def tp(
    id: str,
    hour: int,
    satisfaction: int | None = None,
    nps: int | None = None,
    sentiment: Sentiment | None = None,
) -> Touchpoint:
    at = NOW.replace(hour=0) + timedelta(hours=hour)
    return Touchpoint(
        id=id,
        customer_id="c1",
        channel=Channel.APP,
        stage=JourneyStage.IN_SALE,
        type=TouchpointType.DELIVERY,
        occurred_at=at,
        satisfaction=satisfaction,
        nps=nps,
        sentiment=sentiment,
        notes=None,
        created_at=at,
    )


def test_a_journey_is_remembered_by_its_worst_moment_in_the_middle_and_its_end() -> None:
    inquiry = tp("inquiry", 1, satisfaction=4)  # +0.5
    delivery = tp("delivery", 2, satisfaction=1)  # -1: the peak
    usage = tp("usage", 3, nps=8)  # +0.6
    review = tp("review", 4, satisfaction=4)  # +0.5: the end
    journey = peak_end([inquiry, delivery, usage, review])
    # 3 + 2 * (-1 + 0.5) / 2 = 2.5, although the moments average a satisfied 0.15
    assert journey == JourneyScore(2.5, delivery, review)


def test_a_journey_with_a_delightful_peak_and_a_sour_end() -> None:
    first = tp("first", 1, satisfaction=3)  # 0
    peak = tp("peak", 2, nps=10)  # +1
    end = tp("end", 3, sentiment=NEG)  # -0.5
    assert peak_end([first, peak, end]) == JourneyScore(3.5, peak, end)  # 3 + (1 - 0.5)


def test_one_rated_touchpoint_is_both_peak_and_end() -> None:
    only = tp("only", 1, satisfaction=5)
    assert peak_end([only]) == JourneyScore(5.0, only, only)
    bad = tp("bad", 1, satisfaction=1)
    assert peak_end([bad]) == JourneyScore(1.0, bad, bad)


def test_a_tie_for_the_peak_goes_to_the_later_moment() -> None:
    worst = tp("worst", 1, satisfaction=1)  # -1
    best = tp("best", 2, satisfaction=5)  # +1, as intense, later
    end = tp("end", 3, sentiment=NEU)  # 0
    assert peak_end([worst, best, end]) == JourneyScore(4.0, best, end)  # 3 + (1 + 0)
    assert peak_end([best, worst, end]) == JourneyScore(2.0, worst, end)  # 3 + (-1 + 0)


def test_a_tie_with_the_end_makes_the_end_the_peak() -> None:
    early = tp("early", 1, satisfaction=2)  # -0.5
    late = tp("late", 2, satisfaction=4)  # +0.5
    assert peak_end([early, late]) == JourneyScore(4.0, late, late)


def test_unrated_touchpoints_are_neither_peak_nor_end() -> None:
    call = tp("call", 1)
    complaint = tp("complaint", 2, satisfaction=2)  # -0.5: peak
    visit = tp("visit", 3, nps=6)  # +0.2: end among the rated
    care = tp("care", 4)  # unrated, last
    assert peak_end([call, complaint, visit, care]) == JourneyScore(2.7, complaint, visit)  # 3 - 0.3


def test_a_journey_without_a_rated_touchpoint_has_no_score() -> None:
    assert peak_end([tp("a", 1), tp("b", 2)]) == JourneyScore(None, None, None)
    assert peak_end([]) == JourneyScore(None, None, None)
