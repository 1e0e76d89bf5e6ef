"""Plan generation against every row of domain.md §6's tables, with the default templates
the migration installs (read as the repository reads them), and the rules around them:
consent, what starts and closes plans, the day's selectors, letters, the satisfaction trend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.care import (
    CareActivity,
    CareActivityKind,
    CareFacts,
    CarePlanKind,
    CareRules,
    CareTaskKind,
    LetterTotals,
    PlanFacts,
    TouchpointFacts,
    due_selectors,
    invitation,
    letter_period,
    letters_due,
    parse_period,
    plan_key,
    purchase_plans,
    purchase_tasks,
    quarter_bounds,
    repeat_plan,
    satisfaction_trend,
    slipping,
    stage_plans,
    start_plan,
    tasks_on,
    touchpoint_plans,
)
from domain.consent import Consent
from domain.errors import BadArgument
from domain.figures import CustomerFigures
from domain.key_accounts import Grade
from domain.lifecycle import Actor, LifecycleAction, LifecycleEvent, LifecycleStage
from domain.records import Channel
from domain.tiers import TierThresholds
from domain.touchpoints import Sentiment
from migrations.m0014_care import TEMPLATES
from repositories.care import to_template

RULES = [to_template(doc) for doc in TEMPLATES]
EVERYTHING = Consent(sms=True, email=True, phone=True)
FACTS = CareFacts("c1", EVERYTHING, birthday=date(1990, 3, 14), child_birthday=date(2019, 7, 2))
BOUGHT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
HOLIDAYS = {date(2026, 10, 1): "National Day", date(2027, 1, 1): "New Year's Day"}
TIERS = TierThresholds()


def _summary(planned) -> list[tuple[str, str, str, str]]:
    return [(t.rule, t.kind.value, t.channel.value, t.due_at.isoformat()) for t in planned.tasks]


def _on(kind: CarePlanKind, day: date, facts: CareFacts = FACTS, started: datetime = BOUGHT, **plan):
    return tasks_on(day, PlanFacts(kind, started, **plan), facts, RULES, HOLIDAYS)


# --- Return visits ---------------------------------------------------------------------------------


def test_a_quality_new_customer_gets_a_return_visit_call() -> None:
    planned = start_plan(CarePlanKind.QUALITY_NEW, RULES, FACTS, BOUGHT)
    calls = [t for t in _summary(planned) if t[1] == "PHONE_CALL"]
    assert calls == [("quality-new-call", "PHONE_CALL", "PHONE", "2026-11-29T09:30:00+00:00")]
    assert not any(t[0] == "new-questionnaire" for t in _summary(planned))


def test_an_ordinary_new_customer_gets_a_questionnaire_8_days_after_the_first_purchase() -> None:
    planned = start_plan(CarePlanKind.NEW, RULES, FACTS, BOUGHT)
    surveys = [t for t in _summary(planned) if t[1] == "SURVEY"]
    assert surveys == [("new-questionnaire", "SURVEY", "EMAIL", "2026-11-30T09:30:00+00:00")]
    assert not any(t[1] == "PHONE_CALL" for t in _summary(planned))


@pytest.mark.parametrize("kind", [CarePlanKind.REGULAR, CarePlanKind.VIP])
def test_regular_and_vip_get_a_monthly_email_on_the_day_their_plan_started(kind: CarePlanKind) -> None:
    assert start_plan(kind, RULES, FACTS, BOUGHT).tasks == ()  # recurring: the schedule makes them
    assert _summary(_on(kind, date(2026, 12, 22))) == [
        ("repeat-monthly-email", "EMAIL", "EMAIL", "2026-12-22T00:00:00+00:00")
    ]
    assert _on(kind, date(2026, 12, 21)).tasks == ()
    assert _on(kind, date(2026, 11, 22)).tasks == ()  # not on the plan's first day
    started_31st = datetime(2027, 1, 31, tzinfo=UTC)
    assert [t.rule for t in _on(kind, date(2027, 2, 28), started=started_31st).tasks] == [
        "repeat-monthly-email"
    ]  # the month's last day when it has no 31st


@pytest.mark.parametrize("kind", [CarePlanKind.REGULAR, CarePlanKind.VIP])
def test_regular_and_vip_get_birthday_cards_for_themselves_and_their_child(kind: CarePlanKind) -> None:
    assert _summary(_on(kind, date(2027, 3, 14))) == [
        ("repeat-birthday-card", "GREETING", "EMAIL", "2027-03-14T00:00:00+00:00")
    ]
    assert _summary(_on(kind, date(2027, 7, 2))) == [
        ("repeat-child-birthday-card", "GREETING", "EMAIL", "2027-07-02T00:00:00+00:00")
    ]
    no_child = CareFacts("c1", EVERYTHING, birthday=date(2000, 2, 29))
    assert [t.rule for t in _on(kind, date(2027, 2, 28), no_child).tasks] == ["repeat-birthday-card"]
    assert _on(kind, date(2027, 7, 2), no_child).tasks == ()


@pytest.mark.parametrize(
    ("satisfaction", "nps", "sentiment", "called"),
    [
        (1, None, None, True),  # negative
        (3, None, None, True),  # doubtful
        (4, None, None, False),
        (None, 6, None, True),  # a detractor
        (None, 8, None, False),
        (None, None, Sentiment.NEGATIVE, True),
        (None, None, Sentiment.POSITIVE, False),
    ],
)
def test_a_negative_or_doubtful_reviewer_gets_a_timely_call(satisfaction, nps, sentiment, called) -> None:
    review = TouchpointFacts("t1", "REVIEW", Channel.APP, BOUGHT, satisfaction, nps, sentiment)
    kinds = touchpoint_plans(review, RULES)
    assert (CarePlanKind.REVIEW_FOLLOW_UP in kinds) is called
    if called:
        planned = start_plan(CarePlanKind.REVIEW_FOLLOW_UP, RULES, FACTS, BOUGHT, touchpoint=review)
        assert _summary(planned) == [("review-call", "PHONE_CALL", "PHONE", BOUGHT.isoformat())]
    purchase_touchpoint = TouchpointFacts("t2", "PURCHASE", Channel.APP, BOUGHT, 1)
    assert touchpoint_plans(purchase_touchpoint, RULES) == ()  # a review or survey, not any rating


def test_a_customer_flagged_by_an_agent_gets_a_timely_call_in_their_retention_plan() -> None:
    flagged = LifecycleEvent(
        LifecycleAction.FLAG_AT_RISK,
        LifecycleStage.ACTIVE,
        LifecycleStage.AT_RISK,
        BOUGHT,
        Actor("u1", "Alice", "CX_AGENT"),
        "sounded unhappy",
    )
    assert stage_plans(flagged).start == (CarePlanKind.RETENTION,)
    calls = [
        t for t in _summary(start_plan(CarePlanKind.RETENTION, RULES, FACTS, BOUGHT)) if t[1] == "PHONE_CALL"
    ]
    assert calls == [("retention-call", "PHONE_CALL", "PHONE", BOUGHT.isoformat())]


def test_a_community_member_gets_a_call_once_a_quarter_while_active() -> None:
    post = TouchpointFacts("t1", "INQUIRY", Channel.COMMUNITY, BOUGHT)
    assert touchpoint_plans(post, RULES) == (CarePlanKind.COMMUNITY,)
    active = {"last_activity_at": datetime(2026, 12, 10, tzinfo=UTC)}
    assert _summary(_on(CarePlanKind.COMMUNITY, date(2027, 1, 1), **active)) == [
        ("community-call", "PHONE_CALL", "PHONE", "2027-01-01T00:00:00+00:00")
    ]
    assert _on(CarePlanKind.COMMUNITY, date(2027, 2, 1), **active).tasks == ()  # not a quarter's first day
    assert _on(CarePlanKind.COMMUNITY, date(2027, 4, 1), **active).tasks == ()  # silent for 112 days


# --- Messages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [CarePlanKind.NEW, CarePlanKind.QUALITY_NEW])
def test_a_new_customer_gets_an_sms_tip_every_3_days_for_30_days(kind: CarePlanKind) -> None:
    tips = [t for t in start_plan(kind, RULES, FACTS, BOUGHT).tasks if t.rule == "new-tips"]
    assert [(t.due_at - BOUGHT).days for t in tips] == [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert {(t.kind, t.channel) for t in tips} == {(CareTaskKind.SMS, Channel.SMS)}


@pytest.mark.parametrize("kind", [CarePlanKind.REGULAR, CarePlanKind.VIP])
def test_regular_and_vip_get_holiday_greetings_and_shipment_tracking_per_purchase(kind: CarePlanKind) -> None:
    started = datetime(2026, 6, 3, tzinfo=UTC)
    greeting = _on(kind, date(2026, 10, 1), started=started)
    assert [(t.rule, t.title, t.channel) for t in greeting.tasks if t.kind is CareTaskKind.GREETING] == [
        ("repeat-holiday-greeting", "Holiday greeting: National Day", Channel.SMS)
    ]
    tracking = purchase_tasks(kind, RULES, FACTS, "p9", BOUGHT)
    assert [(t.rule, t.occurrence, t.due_at) for t in tracking.tasks] == [
        ("repeat-shipment-tracking", "purchase-p9", BOUGHT)
    ]
    started_with = start_plan(kind, RULES, FACTS, BOUGHT, purchase=("p8", BOUGHT))
    assert [t.rule for t in started_with.tasks] == ["repeat-shipment-tracking"]


def test_a_vip_gets_two_tips_a_month_on_the_1st_and_the_15th_and_a_regular_none() -> None:
    for day in (date(2026, 12, 1), date(2026, 12, 15), date(2027, 1, 15)):
        assert [t.rule for t in _on(CarePlanKind.VIP, day).tasks] == ["vip-tips"]
        assert _on(CarePlanKind.REGULAR, day).tasks == ()
    assert _on(CarePlanKind.VIP, date(2026, 12, 2)).tasks == ()


# --- activation, retention, win-back -----------------------------------------------------------------


def test_activation_retention_and_win_back_plans() -> None:
    assert _summary(start_plan(CarePlanKind.ACTIVATION, RULES, FACTS, BOUGHT)) == [
        ("activation-offer", "OFFER", "SMS", BOUGHT.isoformat()),
        ("activation-reminder", "EMAIL", "EMAIL", (BOUGHT + timedelta(days=7)).isoformat()),
    ]
    assert [t[0] for t in _summary(start_plan(CarePlanKind.RETENTION, RULES, FACTS, BOUGHT))] == [
        "retention-call",
        "retention-offer",
    ]
    assert _summary(start_plan(CarePlanKind.WIN_BACK, RULES, FACTS, BOUGHT)) == [
        ("win-back-offer", "OFFER", "SMS", BOUGHT.isoformat()),
        ("win-back-survey", "SURVEY", "EMAIL", (BOUGHT + timedelta(days=3)).isoformat()),
    ]


def _move(action: LifecycleAction, from_: LifecycleStage, to: LifecycleStage) -> LifecycleEvent:
    return LifecycleEvent(action, from_, to, BOUGHT, Actor("system", "system", "SYSTEM"), None)


def test_stage_moves_start_and_close_plans() -> None:
    S, A = LifecycleStage, LifecycleAction
    assert stage_plans(_move(A.FLAG_AT_RISK, S.ACTIVE, S.AT_RISK)).start == (CarePlanKind.RETENTION,)
    lapsed = stage_plans(_move(A.LAPSE, S.AT_RISK, S.LAPSED))
    assert (lapsed.start, lapsed.close) == ((CarePlanKind.WIN_BACK,), (CarePlanKind.RETENTION,))
    won = stage_plans(_move(A.WIN_BACK, S.LAPSED, S.ACTIVE))
    assert (won.start, won.close) == ((), (CarePlanKind.WIN_BACK,))
    activated = stage_plans(_move(A.ACTIVATE, S.ACQUIRED, S.ACTIVE))
    assert (activated.start, activated.close) == ((), (CarePlanKind.ACTIVATION,))
    acquired = stage_plans(_move(A.ACQUIRE, S.PROSPECT, S.ACQUIRED))
    assert (acquired.start, acquired.close) == ((), ())  # activation comes after the activation days


# --- consent -----------------------------------------------------------------------------------------


def test_no_task_on_a_channel_without_consent_and_the_plan_records_it() -> None:
    email_only = CareFacts("c1", Consent(email=True))
    planned = start_plan(CarePlanKind.NEW, RULES, email_only, BOUGHT)
    assert [t.rule for t in planned.tasks] == ["new-questionnaire"]
    assert planned.skipped_channels == {Channel.SMS}
    nothing = start_plan(CarePlanKind.QUALITY_NEW, RULES, CareFacts("c1"), BOUGHT)
    assert (nothing.tasks, nothing.skipped_channels) == ((), {Channel.SMS, Channel.PHONE})
    vip_day = tasks_on(date(2026, 12, 1), PlanFacts(CarePlanKind.VIP, BOUGHT), email_only, RULES, HOLIDAYS)
    assert (vip_day.tasks, vip_day.skipped_channels) == ((), {Channel.SMS})


def test_a_template_switched_off_makes_nothing() -> None:
    rules = [replace(t, active=False) if t.rule == "new-tips" else t for t in RULES]
    assert [t.rule for t in start_plan(CarePlanKind.NEW, rules, FACTS, BOUGHT).tasks] == ["new-questionnaire"]


# --- what a purchase starts ---------------------------------------------------------------------------


def _figures(orders: int, spend: int, first_units: int = 1) -> CustomerFigures:
    return CustomerFigures(orders=orders, units=orders, spend=Decimal(spend), first_order_units=first_units)


@pytest.mark.parametrize(
    ("after", "amount", "start", "close"),
    [
        (_figures(1, 100, first_units=4), 100, (CarePlanKind.QUALITY_NEW,), ()),
        (_figures(1, 100, first_units=3), 100, (CarePlanKind.NEW,), ()),
        (_figures(1, 9000), 9000, (CarePlanKind.VIP,), (CarePlanKind.REGULAR,)),  # VIP at once
        (_figures(2, 300), 200, (CarePlanKind.REGULAR,), ()),  # the second purchase makes a regular
        (_figures(3, 500), 200, (), ()),  # still regular
        (_figures(3, 8000), 3000, (CarePlanKind.VIP,), (CarePlanKind.REGULAR,)),  # crosses 8,000 (inclusive)
        (_figures(4, 9000), 1000, (), ()),  # still VIP
    ],
)
def test_plans_follow_the_tier_a_purchase_gives(after, amount, start, close) -> None:
    change = purchase_plans(after, Decimal(amount), TIERS)
    assert (change.start, change.close) == (start, close)


def test_a_repeat_customers_purchase_adds_to_their_open_plan() -> None:
    assert repeat_plan(_figures(3, 500), TIERS) is CarePlanKind.REGULAR
    assert repeat_plan(_figures(1, 9000), TIERS) is CarePlanKind.VIP
    assert repeat_plan(_figures(1, 100), TIERS) is None


def test_plan_keys_are_what_started_them() -> None:
    assert plan_key("c1", CarePlanKind.NEW, "whatever") == "c1:NEW"  # once per customer
    assert (
        plan_key("c1", CarePlanKind.RETENTION, "2026-11-22T09:30:00+00:00")
        == "c1:RETENTION:2026-11-22T09:30:00+00:00"
    )


# --- the day's selectors -------------------------------------------------------------------------------


def test_the_schedule_reads_only_the_plans_a_day_can_concern() -> None:
    ordinary = {
        (tuple(sorted(k.value for k in s.kinds)), s.start_days, s.birthdays, s.child)
        for s in due_selectors(RULES, date(2026, 12, 22), HOLIDAYS)
    }
    assert ordinary == {
        (("REGULAR", "VIP"), frozenset({22}), None, False),
        (("REGULAR", "VIP"), None, frozenset({(12, 22)}), False),
        (("REGULAR", "VIP"), None, frozenset({(12, 22)}), True),
    }
    first = {
        tuple(sorted(k.value for k in s.kinds))
        for s in due_selectors(RULES, date(2027, 1, 1), HOLIDAYS)
        if s.start_days is None and s.birthdays is None
    }
    assert first == {("VIP",), ("COMMUNITY",), ("REGULAR", "VIP")}  # tips, the quarter's call, New Year
    end_of_april = [s.start_days for s in due_selectors(RULES, date(2027, 4, 30), HOLIDAYS) if s.start_days]
    assert end_of_april == [frozenset({30, 31})]
    feb = [s.birthdays for s in due_selectors(RULES, date(2027, 2, 28), HOLIDAYS) if s.birthdays]
    assert feb[0] == {(2, 28), (2, 29)}


# --- key-account letters -----------------------------------------------------------------------------


def test_letters_go_to_decision_makers_once_a_period_by_grade() -> None:
    rules = CareRules()
    a = letters_due(date(2026, 11, 22), Grade.A, ["k1", "k2"], RULES, rules)
    assert [(t.contact_id, t.period, t.occurrence, t.kind, t.channel) for t in a.tasks] == [
        ("k1", "2026-Q4", "2026-Q4:k1", CareTaskKind.SURVEY, Channel.EMAIL),
        ("k2", "2026-Q4", "2026-Q4:k2", CareTaskKind.SURVEY, Channel.EMAIL),
    ]
    assert [t.period for t in letters_due(date(2026, 11, 22), Grade.C, ["k1"], RULES, rules).tasks] == [
        "2026-H2"
    ]
    assert letters_due(date(2026, 11, 22), Grade.B, [], RULES, rules).tasks == ()
    unconsented = letters_due(date(2026, 11, 22), Grade.B, ["k1"], RULES, rules)
    assert len(unconsented.tasks) == 1  # service correspondence: no marketing consent needed


def test_letter_periods_divide_the_year() -> None:
    assert letter_period(date(2026, 11, 22), 3).label == "2026-Q4"
    assert (letter_period(date(2026, 2, 1), 6).start, letter_period(date(2026, 2, 1), 6).end) == (
        date(2026, 1, 1),
        date(2026, 6, 30),
    )
    assert parse_period("2026-H2") == letter_period(date(2026, 8, 1), 6)
    with pytest.raises(ValueError):
        letter_period(date(2026, 1, 1), 5)


def test_the_satisfaction_trend_against_the_targets() -> None:
    rules = CareRules()
    totals = [
        LetterTotals(
            "2026-Q2", date(2026, 4, 1), letters=4, answers=4, satisfaction_sum=18, satisfied=4, loyal=4
        ),
        LetterTotals("2026-Q3", date(2026, 7, 1), letters=4, answers=0),
        LetterTotals(
            "2026-Q4", date(2026, 10, 1), letters=5, answers=5, satisfaction_sum=17, satisfied=4, loyal=3
        ),
    ]
    trend = satisfaction_trend(totals, rules)
    assert [
        (p.satisfaction_rate, p.loyalty_rate, p.meets_satisfaction, p.meets_loyalty, p.change) for p in trend
    ] == [
        (1.0, 1.0, True, True, None),
        (None, None, None, None, None),
        (0.8, 0.6, False, False, -0.2),
    ]
    assert trend[0].average == 4.5
    assert slipping(trend) is True
    assert slipping(trend[:2]) is False
    assert slipping([]) is False


# --- activities ---------------------------------------------------------------------------------------


def test_an_invitation_goes_only_on_a_consented_channel() -> None:
    day = CareActivity(
        "a1",
        "Appreciation day",
        CareActivityKind.APPRECIATION_DAY,
        date(2026, 12, 12),
        None,
        None,
        CareTaskKind.GREETING,
        Channel.SMS,
        None,
        BOUGHT,
    )
    assert [t.title for t in invitation(day, FACTS, BOUGHT).tasks] == ["Invitation: Appreciation day"]
    refused = invitation(day, CareFacts("c2", Consent(email=True)), BOUGHT)
    assert (refused.tasks, refused.skipped_channels) == ((), {Channel.SMS})


def test_quarters() -> None:
    assert quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    for bad in ("2026-Q5", "2026Q1", "26-Q1", "x"):
        with pytest.raises(BadArgument):
            quarter_bounds(bad)
