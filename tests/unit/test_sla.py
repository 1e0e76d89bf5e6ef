"""SLA arithmetic with fixed times (domain.md §5, issue 9): targets, business calendars, pauses,
policies. Expected instants are worked out by hand and written in the calendar's local time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.sla import (
    DEFAULT_TARGETS,
    BusinessCalendar,
    ClockState,
    Pause,
    PolicyMatch,
    SlaClock,
    SlaPolicy,
    Target,
    add_working_time,
    choose_policy,
    clock_state,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8, no DST
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in `zone`, as the UTC instant the functions take."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def office(zone: str = "Asia/Shanghai", holidays: frozenset[date] = frozenset()) -> BusinessCalendar:
    """09:00-17:00 Monday to Friday."""
    return BusinessCalendar(zone, tuple((day, time(9), time(17)) for day in range(5)), holidays)


def state(
    started_at: datetime,
    target: Target,
    *,
    now: datetime,
    calendar: BusinessCalendar | None = None,
    pauses: tuple[Pause, ...] = (),
    met_at: datetime | None = None,
) -> ClockState:
    return clock_state(started_at, target, calendar, pauses, met_at, now)


# --- calendar time ------------------------------------------------------------------------------


def test_default_targets_are_the_playbook_numbers_in_calendar_time() -> None:
    assert DEFAULT_TARGETS[SlaClock.FIRST_RESPONSE] == Target(timedelta(hours=1))
    assert DEFAULT_TARGETS[SlaClock.RESOLUTION] == Target(timedelta(hours=24))
    assert DEFAULT_TARGETS[SlaClock.FOLLOW_UP] == Target(timedelta(days=3))
    assert not any(t.business_hours for t in DEFAULT_TARGETS.values())


def test_calendar_time_target_runs_through_nights_and_weekends() -> None:
    friday_evening = utc(2025, 3, 7, 22, 0)
    assert add_working_time(friday_evening, 24 * H, None) == utc(2025, 3, 8, 22, 0)
    assert working_time_between(friday_evening, utc(2025, 3, 10, 22, 0), None) == 72 * H


def test_open_clock_in_calendar_time_counts_down() -> None:
    clock = state(utc(2025, 3, 5, 8, 0), Target(H), now=utc(2025, 3, 5, 8, 20))
    assert clock.due_at == utc(2025, 3, 5, 9, 0)
    assert (clock.breached, clock.remaining, clock.running, clock.paused) == (
        False,
        timedelta(minutes=40),
        True,
        timedelta(0),
    )


def test_item_filed_with_a_past_received_at_is_breached_when_first_seen() -> None:
    received = utc(2025, 3, 5, 8, 0)  # logged a day and two hours after it arrived
    clock = state(received, DEFAULT_TARGETS[SlaClock.RESOLUTION], now=utc(2025, 3, 6, 10, 0))
    assert clock.due_at == utc(2025, 3, 6, 8, 0)
    assert clock.breached
    assert clock.remaining == -2 * H
    assert clock.running


def test_met_before_due_is_not_breached_and_remaining_is_what_was_left() -> None:
    clock = state(utc(2025, 3, 5, 8, 0), Target(H), met_at=utc(2025, 3, 5, 8, 45), now=utc(2025, 3, 9))
    assert (clock.breached, clock.remaining, clock.running) == (False, timedelta(minutes=15), False)
    assert clock.met_at == utc(2025, 3, 5, 8, 45)


def test_met_after_due_stays_breached_with_how_late_it_was() -> None:
    clock = state(utc(2025, 3, 5, 8, 0), Target(H), met_at=utc(2025, 3, 5, 9, 30), now=utc(2025, 3, 9))
    assert (clock.breached, clock.remaining, clock.running) == (True, -timedelta(minutes=30), False)


def test_met_exactly_at_due_is_not_breached() -> None:
    clock = state(utc(2025, 3, 5, 8, 0), Target(H), met_at=utc(2025, 3, 5, 9, 0), now=utc(2025, 3, 9))
    assert not clock.breached
    assert clock.remaining == timedelta(0)


# --- business calendars -------------------------------------------------------------------------


def test_issue_example_friday_1630_with_one_business_hour_is_due_monday_0930() -> None:
    filed = local(SHANGHAI, 2025, 3, 7, 16, 30)  # a Friday
    due = add_working_time(filed, H, office())
    assert due == local(SHANGHAI, 2025, 3, 10, 9, 30)  # half an hour on Friday, half on Monday
    assert due == utc(2025, 3, 10, 1, 30)
    assert working_time_between(filed, due, office()) == H


def test_business_clock_state_for_the_issue_example() -> None:
    filed = local(SHANGHAI, 2025, 3, 7, 16, 30)
    saturday = local(SHANGHAI, 2025, 3, 8, 12, 0)
    clock = state(filed, Target(H, business_hours=True), calendar=office(), now=saturday)
    assert clock.due_at == utc(2025, 3, 10, 1, 30)
    assert not clock.breached
    assert clock.remaining == clock.due_at - saturday  # time left is shown in calendar time


def test_business_target_ending_at_closing_is_due_at_closing() -> None:
    filed = local(SHANGHAI, 2025, 3, 7, 16, 30)
    assert add_working_time(filed, timedelta(minutes=30), office()) == local(SHANGHAI, 2025, 3, 7, 17, 0)


def test_across_a_weekend() -> None:
    friday_ten = local(SHANGHAI, 2025, 3, 7, 10, 0)
    # 7 hours on Friday, 3 on Monday
    assert add_working_time(friday_ten, 10 * H, office()) == local(SHANGHAI, 2025, 3, 10, 12, 0)
    assert (
        working_time_between(local(SHANGHAI, 2025, 3, 7, 16), local(SHANGHAI, 2025, 3, 10, 10), office())
        == 2 * H
    )


def test_across_a_holiday() -> None:
    filed = local(SHANGHAI, 2025, 3, 7, 16, 30)
    closed_monday = office(holidays=frozenset({date(2025, 3, 10)}))
    assert add_working_time(filed, H, closed_monday) == local(SHANGHAI, 2025, 3, 11, 9, 30)


def test_across_a_run_of_holidays_midweek() -> None:
    national_day = office(holidays=frozenset({date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}))
    tuesday = local(SHANGHAI, 2025, 9, 30, 16, 0)
    # one hour on Tuesday, Wednesday to Friday closed, the weekend, one hour on Monday
    assert add_working_time(tuesday, 2 * H, national_day) == local(SHANGHAI, 2025, 10, 6, 10, 0)
    assert working_time_between(tuesday, local(SHANGHAI, 2025, 10, 6, 10, 0), national_day) == 2 * H


def test_a_holiday_is_a_day_in_the_calendars_zone() -> None:
    # Monday 00:30 in Shanghai is still Sunday in UTC: the holiday is Shanghai's Monday
    closed_monday = office(holidays=frozenset({date(2025, 3, 10)}))
    monday = local(SHANGHAI, 2025, 3, 10, 0, 30)
    assert add_working_time(monday, H, closed_monday) == local(SHANGHAI, 2025, 3, 11, 10, 0)


def test_split_shift_skips_the_lunch_break() -> None:
    split = BusinessCalendar(
        "Asia/Shanghai",
        tuple(
            (day, opens, closes)
            for day in range(5)
            for opens, closes in ((time(9), time(12)), (time(13), time(18)))
        ),
    )
    filed = local(SHANGHAI, 2025, 3, 12, 11, 30)
    assert add_working_time(filed, H, split) == local(SHANGHAI, 2025, 3, 12, 13, 30)
    assert add_working_time(local(SHANGHAI, 2025, 3, 12, 12, 15), H, split) == local(
        SHANGHAI, 2025, 3, 12, 14, 0
    )
    assert (
        working_time_between(local(SHANGHAI, 2025, 3, 12, 8), local(SHANGHAI, 2025, 3, 12, 20), split)
        == 8 * H
    )


def test_start_outside_hours_begins_at_the_next_opening() -> None:
    before_opening = local(SHANGHAI, 2025, 3, 11, 7, 0)  # Tuesday
    assert add_working_time(before_opening, H, office()) == local(SHANGHAI, 2025, 3, 11, 10, 0)
    after_closing = local(SHANGHAI, 2025, 3, 11, 19, 0)
    assert add_working_time(after_closing, H, office()) == local(SHANGHAI, 2025, 3, 12, 10, 0)
    saturday = local(SHANGHAI, 2025, 3, 8, 11, 0)
    assert add_working_time(saturday, H, office()) == local(SHANGHAI, 2025, 3, 10, 10, 0)
    assert working_time_between(saturday, local(SHANGHAI, 2025, 3, 9, 23, 0), office()) == timedelta(0)


def test_weekly_hours_for_a_different_week_day_each() -> None:
    saturday_only = BusinessCalendar("Asia/Shanghai", ((5, time(10), time(14)),))
    wednesday = local(SHANGHAI, 2025, 3, 12, 10, 0)
    assert add_working_time(wednesday, 6 * H, saturday_only) == local(SHANGHAI, 2025, 3, 22, 12, 0)


def test_overlapping_shifts_count_once() -> None:
    overlapping = BusinessCalendar("Asia/Shanghai", ((0, time(9), time(12)), (0, time(11), time(13))))
    monday, tuesday = local(SHANGHAI, 2025, 3, 10, 0), local(SHANGHAI, 2025, 3, 11, 0)
    assert working_time_between(monday, tuesday, overlapping) == 4 * H


def test_midnight_closing_means_the_end_of_the_day() -> None:
    round_the_clock = BusinessCalendar("Asia/Shanghai", tuple((day, time(0), time(0)) for day in range(7)))
    start = local(SHANGHAI, 2025, 3, 7, 23, 0)
    assert add_working_time(start, 3 * H, round_the_clock) == start + 3 * H
    evenings = BusinessCalendar("Asia/Shanghai", tuple((day, time(20), time(0)) for day in range(7)))
    assert add_working_time(start, 3 * H, evenings) == local(SHANGHAI, 2025, 3, 8, 22, 0)


def test_utc_results_do_not_depend_on_the_zone_the_start_is_given_in() -> None:
    filed = datetime(2025, 3, 7, 16, 30, tzinfo=SHANGHAI)  # not converted to UTC first
    due = add_working_time(filed, H, office())
    assert due == utc(2025, 3, 10, 1, 30)
    assert due.tzinfo is UTC
    same_day = add_working_time(filed, timedelta(minutes=10), office())
    assert (same_day, same_day.tzinfo) == (utc(2025, 3, 7, 8, 40), UTC)
    assert add_working_time(filed, H, None).tzinfo is UTC


def test_spring_forward_keeps_wall_time_opening_hours_berlin() -> None:
    # Europe/Berlin moves from +01:00 to +02:00 on Sunday 30 March 2025 at 02:00
    berlin_office = office("Europe/Berlin")
    friday = local(BERLIN, 2025, 3, 28, 16, 30)
    assert friday == utc(2025, 3, 28, 15, 30)
    due = add_working_time(friday, H, berlin_office)
    assert due == local(BERLIN, 2025, 3, 31, 9, 30)
    assert due == utc(2025, 3, 31, 7, 30)  # the offset after the change


def test_a_shift_across_the_dst_change_counts_real_time() -> None:
    night = BusinessCalendar("Europe/Berlin", ((6, time(1), time(4)),))  # Sundays 01:00-04:00
    spring = date(2025, 3, 30)
    start = local(BERLIN, 2025, 3, 30, 0, 0)
    end = local(BERLIN, 2025, 3, 31, 0, 0)
    assert end - start == 23 * H
    assert working_time_between(start, end, night) == 2 * H  # 02:00-03:00 does not exist that night
    assert add_working_time(start, 2 * H, night) == utc(2025, 3, 30, 2, 0)  # 04:00 summer time
    assert spring.weekday() == 6
    # autumn: 02:00-03:00 happens twice on Sunday 26 October 2025
    autumn = working_time_between(local(BERLIN, 2025, 10, 26, 0, 0), local(BERLIN, 2025, 10, 27, 0, 0), night)
    assert autumn == 4 * H


def test_a_calendar_with_no_open_hours_is_refused() -> None:
    never = BusinessCalendar("Asia/Shanghai", ())
    with pytest.raises(ValueError, match="no open hours"):
        add_working_time(utc(2025, 3, 7), H, never)
    all_holidays = BusinessCalendar("Asia/Shanghai", ((0, time(9), time(17)),))
    mondays = frozenset(date(2025, 3, 10) + timedelta(weeks=n) for n in range(200))
    with pytest.raises(ValueError, match="no open hours"):
        add_working_time(
            utc(2025, 3, 7), H, BusinessCalendar("Asia/Shanghai", all_holidays.weekly_hours, mondays)
        )
    assert working_time_between(utc(2025, 3, 7), utc(2025, 4, 7), never) == timedelta(0)


@pytest.mark.parametrize(
    ("weekly_hours", "zone"),
    [
        (((7, time(9), time(17)),), "Asia/Shanghai"),
        (((0, time(17), time(9)),), "Asia/Shanghai"),
        (((0, time(9), time(9)),), "Asia/Shanghai"),
        (((0, time(9, tzinfo=UTC), time(17)),), "Asia/Shanghai"),
        (((0, time(9), time(17)),), "Mars/Olympus_Mons"),
    ],
    ids=["weekday", "closes-before-opens", "empty", "tz-aware", "zone"],
)
def test_an_invalid_calendar_is_refused(weekly_hours: tuple[tuple[int, time, time], ...], zone: str) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(zone, weekly_hours)


def test_naive_times_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(datetime(2025, 3, 7, 9), H, None)
    with pytest.raises(ValueError, match="negative"):
        add_working_time(utc(2025, 3, 7), -H, office())
    with pytest.raises(ValueError, match="positive"):
        Target(timedelta(0))


def test_working_time_between_is_zero_when_end_is_not_after_start() -> None:
    assert working_time_between(utc(2025, 3, 7, 10), utc(2025, 3, 7, 9), None) == timedelta(0)
    assert working_time_between(utc(2025, 3, 7, 10), utc(2025, 3, 7, 10), office()) == timedelta(0)


def test_zero_working_time_is_the_start_itself() -> None:
    saturday = local(SHANGHAI, 2025, 3, 8, 11, 0)
    assert add_working_time(saturday, timedelta(0), office()) == saturday


def test_a_business_hours_target_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="calendar"):
        state(utc(2025, 3, 7), Target(H, business_hours=True), now=utc(2025, 3, 7))


# --- pauses -------------------------------------------------------------------------------------


def test_closed_pause_moves_due_and_is_shown() -> None:
    start = utc(2025, 3, 5, 0, 0)
    clock = state(
        start, Target(24 * H), pauses=(Pause(utc(2025, 3, 5, 2), utc(2025, 3, 5, 5)),), now=utc(2025, 3, 5, 6)
    )
    assert clock.due_at == utc(2025, 3, 6, 3, 0)
    assert clock.paused == 3 * H
    assert clock.remaining == 21 * H
    assert clock.running


def test_open_pause_freezes_remaining_while_due_keeps_moving() -> None:
    start = utc(2025, 3, 5, 0, 0)
    waiting = (Pause(utc(2025, 3, 5, 2), None),)
    at_five = state(start, Target(24 * H), pauses=waiting, now=utc(2025, 3, 5, 5))
    at_seven = state(start, Target(24 * H), pauses=waiting, now=utc(2025, 3, 5, 7))
    assert (at_five.due_at, at_five.paused) == (utc(2025, 3, 6, 3), 3 * H)
    assert (at_seven.due_at, at_seven.paused) == (utc(2025, 3, 6, 5), 5 * H)
    assert at_five.remaining == at_seven.remaining == 22 * H  # what was left when it paused
    assert not at_five.running
    assert not at_seven.breached


def test_pause_on_business_hours_counts_only_working_time() -> None:
    monday_nine = local(SHANGHAI, 2025, 3, 10, 9, 0)
    # paused Monday 11:00 to Tuesday 10:00: 6 working hours on Monday, 1 on Tuesday
    pause = Pause(local(SHANGHAI, 2025, 3, 10, 11, 0), local(SHANGHAI, 2025, 3, 11, 10, 0))
    clock = state(
        monday_nine,
        Target(4 * H, business_hours=True),
        calendar=office(),
        pauses=(pause,),
        now=local(SHANGHAI, 2025, 3, 11, 11, 0),
    )
    assert clock.paused == 7 * H
    assert clock.due_at == local(SHANGHAI, 2025, 3, 11, 12, 0)  # 2 h before the pause, 2 h after it
    assert clock.remaining == H
    assert clock.running


def test_open_pause_on_business_hours_freezes_remaining_overnight() -> None:
    monday_nine = local(SHANGHAI, 2025, 3, 10, 9, 0)
    waiting = (Pause(local(SHANGHAI, 2025, 3, 10, 11, 0), None),)
    target = Target(4 * H, business_hours=True)
    evening = state(
        monday_nine, target, calendar=office(), pauses=waiting, now=local(SHANGHAI, 2025, 3, 10, 20)
    )
    morning = state(
        monday_nine, target, calendar=office(), pauses=waiting, now=local(SHANGHAI, 2025, 3, 11, 10)
    )
    assert evening.paused == 6 * H
    assert evening.due_at == local(SHANGHAI, 2025, 3, 11, 11, 0)
    assert morning.paused == 7 * H
    assert morning.due_at == local(SHANGHAI, 2025, 3, 11, 12, 0)
    assert evening.remaining == morning.remaining == 2 * H
    assert not evening.running and not morning.breached


def test_pause_outside_business_hours_moves_nothing() -> None:
    friday = local(SHANGHAI, 2025, 3, 7, 16, 30)
    weekend = Pause(local(SHANGHAI, 2025, 3, 8, 9), local(SHANGHAI, 2025, 3, 9, 18))
    clock = state(
        friday,
        Target(H, business_hours=True),
        calendar=office(),
        pauses=(weekend,),
        now=local(SHANGHAI, 2025, 3, 10),
    )
    assert clock.paused == timedelta(0)
    assert clock.due_at == local(SHANGHAI, 2025, 3, 10, 9, 30)


def test_only_the_part_of_a_pause_inside_the_clocks_run_counts() -> None:
    start = utc(2025, 3, 5, 0, 0)
    before_and_into = Pause(utc(2025, 3, 4, 12), utc(2025, 3, 5, 1))  # 1 h after the start
    after_met = Pause(utc(2025, 3, 5, 10), utc(2025, 3, 5, 12))
    clock = state(
        start,
        Target(8 * H),
        pauses=(before_and_into, after_met),
        met_at=utc(2025, 3, 5, 8),
        now=utc(2025, 3, 9),
    )
    assert clock.paused == H
    assert clock.due_at == utc(2025, 3, 5, 9, 0)
    assert (clock.breached, clock.remaining) == (False, H)
    future = Pause(utc(2025, 3, 5, 3), None)
    assert state(start, Target(8 * H), pauses=(future,), now=utc(2025, 3, 5, 2)).paused == timedelta(0)


def test_an_open_pause_on_a_met_clock_stops_at_met() -> None:
    start = utc(2025, 3, 5, 0, 0)
    clock = state(
        start,
        Target(8 * H),
        pauses=(Pause(utc(2025, 3, 5, 2), None),),
        met_at=utc(2025, 3, 5, 3),
        now=utc(2025, 3, 9),
    )
    assert (clock.paused, clock.due_at, clock.running, clock.breached) == (
        H,
        utc(2025, 3, 5, 9),
        False,
        False,
    )
    assert clock.remaining == 6 * H


def test_overlapping_pauses_count_once() -> None:
    start = utc(2025, 3, 5, 0, 0)
    pauses = (Pause(utc(2025, 3, 5, 1), utc(2025, 3, 5, 3)), Pause(utc(2025, 3, 5, 2), utc(2025, 3, 5, 4)))
    assert state(start, Target(8 * H), pauses=pauses, now=utc(2025, 3, 5, 5)).paused == 3 * H


def test_waiting_on_the_customer_does_not_undo_a_breach() -> None:
    start = utc(2025, 3, 5, 0, 0)
    late_pause = (Pause(utc(2025, 3, 5, 2), None),)  # due at 01:00, paused at 02:00
    clock = state(start, Target(H), pauses=late_pause, now=utc(2025, 3, 5, 6))
    assert clock.due_at == utc(2025, 3, 5, 1)
    assert clock.paused == timedelta(0)
    assert clock.breached
    assert clock.remaining == -H  # frozen at how late it was when it paused
    assert not clock.running


def test_a_pause_that_moved_due_lets_a_later_pause_count() -> None:
    start = utc(2025, 3, 5, 0, 0)
    # 1 h target; paused 00:30-02:30 moves due to 03:00, so a pause at 02:45 still counts
    pauses = (
        Pause(utc(2025, 3, 5, 0, 30), utc(2025, 3, 5, 2, 30)),
        Pause(utc(2025, 3, 5, 2, 45), utc(2025, 3, 5, 3)),
    )
    clock = state(start, Target(H), pauses=pauses, met_at=utc(2025, 3, 5, 3, 10), now=utc(2025, 3, 6))
    assert clock.paused == timedelta(hours=2, minutes=15)
    assert clock.due_at == utc(2025, 3, 5, 3, 15)
    assert not clock.breached


def test_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        Pause(utc(2025, 3, 5, 2), utc(2025, 3, 5, 1))


def test_reopened_item_gets_a_new_resolution_clock_from_the_reopen_time() -> None:
    # the rule (module docstring): the stored target, started at the reopen; older pauses ignored
    stored = Target(24 * H)
    reopened = utc(2025, 3, 10, 9, 0)
    old_wait = Pause(utc(2025, 3, 6), utc(2025, 3, 7))
    clock = state(reopened, stored, pauses=(old_wait,), now=utc(2025, 3, 10, 12, 0))
    assert clock.due_at == utc(2025, 3, 11, 9, 0)
    assert (clock.paused, clock.breached, clock.remaining) == (timedelta(0), False, 21 * H)


# --- policies -----------------------------------------------------------------------------------

FAST = Target(timedelta(minutes=15))
GRADE_A = SlaPolicy(
    "Grade A", 10, PolicyMatch(key_account_grades=frozenset({"A"})), {SlaClock.FIRST_RESPONSE: FAST}
)
CRITICAL = SlaPolicy(
    "Critical",
    20,
    PolicyMatch(severities=frozenset({"HIGH", "CRITICAL"})),
    {SlaClock.RESOLUTION: Target(8 * H)},
)
VIP = SlaPolicy("VIP", 30, PolicyMatch(vip=True), {})
CATCH_ALL = SlaPolicy("Everyone", 100, PolicyMatch(), {})


def test_choose_policy_takes_the_first_match_by_order_not_by_position() -> None:
    policies = [CATCH_ALL, VIP, CRITICAL, GRADE_A]
    assert choose_policy(policies, severity="CRITICAL", key_account_grade="A", vip=True) is GRADE_A
    assert choose_policy(policies, severity="CRITICAL", key_account_grade="B", vip=True) is CRITICAL
    assert choose_policy(policies, severity="LOW", key_account_grade=None, vip=True) is VIP
    assert choose_policy(policies, severity="LOW", key_account_grade="B", vip=False) is CATCH_ALL


def test_choose_policy_none_when_nothing_matches() -> None:
    assert choose_policy([GRADE_A, CRITICAL], severity="LOW", key_account_grade=None, vip=False) is None
    assert choose_policy([], severity="LOW", key_account_grade=None, vip=False) is None


def test_choose_policy_equal_orders_keep_the_given_order() -> None:
    first = SlaPolicy("first", 5, PolicyMatch(), {})
    second = SlaPolicy("second", 5, PolicyMatch(), {})
    assert choose_policy([first, second], severity="LOW", key_account_grade=None, vip=False) is first


def test_vip_false_matches_only_non_vips() -> None:
    ordinary = SlaPolicy("Ordinary", 1, PolicyMatch(vip=False), {})
    assert choose_policy([ordinary], severity="LOW", key_account_grade=None, vip=True) is None
    assert choose_policy([ordinary], severity="LOW", key_account_grade=None, vip=False) is ordinary


def test_policy_targets_fall_back_to_the_defaults() -> None:
    assert GRADE_A.target(SlaClock.FIRST_RESPONSE) == FAST
    assert GRADE_A.target(SlaClock.RESOLUTION) == DEFAULT_TARGETS[SlaClock.RESOLUTION]
    assert GRADE_A.calendar_for(SlaClock.FIRST_RESPONSE) is None


def test_business_hours_policy_needs_a_calendar() -> None:
    business = {SlaClock.FIRST_RESPONSE: Target(H, business_hours=True)}
    with pytest.raises(ValueError, match="calendar"):
        SlaPolicy("Office", 1, PolicyMatch(), business)
    policy = SlaPolicy("Office", 1, PolicyMatch(), business, office())
    assert policy.calendar_for(SlaClock.FIRST_RESPONSE) == office()
    assert policy.calendar_for(SlaClock.RESOLUTION) is None
