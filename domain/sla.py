"""SLA clocks for complaints and feedback (domain.md §5): targets, policies, business calendars.

Pure arithmetic: no I/O, no reading of the time. Every instant is a timezone-aware datetime
(UTC in this project) and `now` is passed in; results are in UTC.

Clocks on a complaint
- FIRST_RESPONSE starts when the item was received (`receivedAt`, possibly in the past, so an
  item logged late can be breached when first seen) and is met by the first response.
- RESOLUTION starts when the item was received and is met by the resolution.
- FOLLOW_UP starts at the resolution and is met by the recorded follow-up.
A clock's targets are chosen once (`choose_policy`) and stored on the item, so changing a policy
never moves the clocks of items already open.

Reopened items: reopening starts a NEW resolution clock from the reopen time, with the policy
targets stored on the item (not the policy as it is now); the follow-up clock then starts again
from the next resolution. The first-response clock stays met: the customer got a response.
Earlier clocks are kept as they ended (for compliance figures); only the current one is shown.
Pauses before the reopen time do not count against the new clock (they are clipped to its start).

Pauses (the item waits on the customer) - the rule `clock_state` applies:
- Only the part of a pause after the clock's start and before it was met (or before `now`, for a
  clock still open) counts; overlapping pauses count once.
- A pause counts only if it begins before the clock is due (the due time as already moved by
  earlier pauses): a breach is not undone by then waiting on the customer.
- A counted pause moves the due time later by its length, measured on the clock's calendar:
  working time for a business-hours target (a pause overnight moves nothing), calendar time
  otherwise. `paused` is the sum of the counted lengths.
- While a pause is open, `remaining` stays at its value when the pause began (the due time keeps
  moving with `now`), and the clock is not `running`.

Business calendars: weekly open intervals in the calendar's zone (several a day for split shifts),
whole-day holidays in that zone. Each interval is built in local wall time and converted to UTC on
its own day, so working time across a DST change is the real elapsed time within the open hours.
A closing time of 00:00 means the end of the day (24-hour service); intervals never cross midnight.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: How far ahead (in days) a working-time walk looks before it gives up: a calendar with no open
#: hours (or holidays covering them all) would otherwise never end.
MAX_WALK_DAYS = 3 * 366

_MIDNIGHT = time(0)


class SlaClock(Enum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"
    FOLLOW_UP = "FOLLOW_UP"


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str  # IANA name, e.g. "Asia/Shanghai"
    weekly_hours: tuple[tuple[int, time, time], ...]  # (weekday 0=Monday..6, opens, closes)
    holidays: frozenset[date] = frozenset()  # whole days closed, in the calendar's zone

    def __post_init__(self) -> None:
        _zone(self.time_zone)  # refuse an unknown zone when the calendar is made, not mid-walk
        for weekday, opens, closes in self.weekly_hours:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("opening hours are wall times in the calendar's zone, without tzinfo")
            if closes != _MIDNIGHT and closes <= opens:
                raise ValueError(f"an interval must close after it opens: {opens}-{closes}")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)


@dataclass(frozen=True)
class Target:
    duration: timedelta
    business_hours: bool = False  # counted on the policy's calendar, else calendar time

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("an SLA target must be a positive duration")


@dataclass(frozen=True)
class PolicyMatch:
    """What a policy applies to; None = any."""

    severities: frozenset[str] | None = None  # e.g. {"HIGH", "CRITICAL"}
    key_account_grades: frozenset[str] | None = None  # e.g. {"A"}
    vip: bool | None = None

    def matches(self, *, severity: str, key_account_grade: str | None, vip: bool) -> bool:
        if self.severities is not None and severity not in self.severities:
            return False
        if self.key_account_grades is not None and key_account_grade not in self.key_account_grades:
            return False
        return self.vip is None or self.vip == vip


#: domain.md §5: first response within 1 hour, a solution within 24 hours, the follow-up within
#: 3 days of resolution, in calendar time. Policies override them per clock.
DEFAULT_TARGETS: Mapping[SlaClock, Target] = MappingProxyType(
    {
        SlaClock.FIRST_RESPONSE: Target(timedelta(hours=1)),
        SlaClock.RESOLUTION: Target(timedelta(hours=24)),
        SlaClock.FOLLOW_UP: Target(timedelta(days=3)),
    }
)


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    order: int  # lower first; the first match wins
    match: PolicyMatch
    targets: Mapping[SlaClock, Target]  # missing clock -> DEFAULT_TARGETS' one
    calendar: BusinessCalendar | None = None  # required if any target counts business hours

    def __post_init__(self) -> None:
        if self.calendar is None and any(t.business_hours for t in self.targets.values()):
            raise ValueError(f"policy {self.name!r} counts business hours but has no calendar")

    def target(self, clock: SlaClock) -> Target:
        """This policy's target for `clock`, or the default one."""
        return self.targets.get(clock, DEFAULT_TARGETS[clock])

    def calendar_for(self, clock: SlaClock) -> BusinessCalendar | None:
        """The calendar `clock` is counted on: the policy's for a business-hours target, else None."""
        return self.calendar if self.target(clock).business_hours else None


def choose_policy(
    policies: Sequence[SlaPolicy], *, severity: str, key_account_grade: str | None, vip: bool
) -> SlaPolicy | None:
    """The first policy by `order` that matches (equal orders keep the sequence's order)."""
    for policy in sorted(policies, key=lambda p: p.order):
        if policy.match.matches(severity=severity, key_account_grade=key_account_grade, vip=vip):
            return policy
    return None


def add_working_time(start: datetime, duration: timedelta, calendar: BusinessCalendar | None) -> datetime:
    """The earliest instant at which `duration` of working time has passed since `start`.

    Without a calendar that is `start + duration`. On a calendar, a start outside the open hours
    begins at the next opening, and a duration that ends exactly at a closing is due then.
    ValueError if the calendar has no open hours within MAX_WALK_DAYS.
    """
    _require_aware("start", start)
    if duration < timedelta(0):
        raise ValueError("cannot add a negative working time")
    start = start.astimezone(UTC)
    if calendar is None:
        return start + duration
    left = duration
    if left == timedelta(0):
        return start
    for opens, closes in _open_intervals(calendar, start, limit=MAX_WALK_DAYS):
        opens = max(opens, start)
        if closes <= opens:
            continue
        if closes - opens >= left:
            return opens + left
        left -= closes - opens
    raise ValueError(
        f"calendar in {calendar.time_zone} has no open hours to count {duration} within {MAX_WALK_DAYS} days"
    )


def working_time_between(start: datetime, end: datetime, calendar: BusinessCalendar | None) -> timedelta:
    """Working time from `start` to `end` (calendar time without a calendar); 0 if end <= start."""
    _require_aware("start", start)
    _require_aware("end", end)
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    zone = calendar.zone
    days = (end.astimezone(zone).date() - start.astimezone(zone).date()).days + 1
    total = timedelta(0)
    for opens, closes in _open_intervals(calendar, start, limit=days):
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


@dataclass(frozen=True)
class Pause:
    """The item was waiting on the customer."""

    started_at: datetime
    ended_at: datetime | None  # None = still paused

    def __post_init__(self) -> None:
        _require_aware("started_at", self.started_at)
        if self.ended_at is not None:
            _require_aware("ended_at", self.ended_at)
            if self.ended_at < self.started_at:
                raise ValueError("a pause cannot end before it starts")


@dataclass(frozen=True)
class ClockState:
    started_at: datetime
    due_at: datetime  # moved later by paused working time
    met_at: datetime | None
    breached: bool  # met after due, or not met and now > due
    remaining: timedelta  # due - (met_at or now), in calendar time; negative when late
    paused: timedelta  # total paused time that counted against this clock (working time if business hours)
    running: bool  # not met and not currently paused


def clock_state(
    started_at: datetime,
    target: Target,
    calendar: BusinessCalendar | None,
    pauses: Sequence[Pause],
    met_at: datetime | None,
    now: datetime,
) -> ClockState:
    """One clock as a user sees it at `now`; the pause rule is in the module's docstring.

    `calendar` is used only if the target counts business hours (then it is required).
    """
    _require_aware("started_at", started_at)
    _require_aware("now", now)
    if met_at is not None:
        _require_aware("met_at", met_at)
    if target.business_hours and calendar is None:
        raise ValueError("a business-hours target needs a calendar")
    counted_on = calendar if target.business_hours else None
    until = met_at if met_at is not None else now

    due = add_working_time(started_at, target.duration, counted_on)
    paused = timedelta(0)
    frozen_remaining: timedelta | None = None
    for pause_start, pause_end, is_open in _merged_pauses(pauses, started_at, until, met=met_at is not None):
        if is_open:
            # the clock stopped here; what was left then is what is shown until it restarts
            frozen_remaining = due - pause_start
        if pause_start >= due:
            continue  # already due when it paused: does not count (nor do later ones)
        extra = working_time_between(pause_start, pause_end, counted_on)
        paused += extra
        due = add_working_time(due, extra, counted_on)

    breached = until > due
    remaining = frozen_remaining if frozen_remaining is not None else due - until
    return ClockState(
        started_at=started_at.astimezone(UTC),
        due_at=due,
        met_at=met_at.astimezone(UTC) if met_at is not None else None,
        breached=breached,
        remaining=remaining,
        paused=paused,
        running=met_at is None and frozen_remaining is None,
    )


def _merged_pauses(
    pauses: Sequence[Pause], start: datetime, until: datetime, *, met: bool
) -> list[tuple[datetime, datetime, bool]]:
    """Pauses clipped to [start, until], overlaps merged, in order: (from, to, still open).

    Only an unmet clock can be paused now, so a pause is open only if it has no end and `met`
    is false; it then reaches `until` (= now), so it is the last one.
    """
    clipped = sorted(
        (max(p.started_at, start), min(p.ended_at or until, until), p.ended_at is None and not met)
        for p in pauses
    )
    merged: list[tuple[datetime, datetime, bool]] = []
    for begin, end, is_open in clipped:
        if end < begin or (end == begin and not is_open):
            continue  # wholly outside the clock's run
        if merged and begin <= merged[-1][1]:
            last_begin, last_end, last_open = merged[-1]
            merged[-1] = (last_begin, max(last_end, end), last_open or is_open)
        else:
            merged.append((begin, end, is_open))
    return merged


def _open_intervals(
    calendar: BusinessCalendar, start: datetime, *, limit: int
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open intervals in UTC, in order, on `limit` local days from `start`'s day."""
    zone = calendar.zone
    week = _week(calendar.weekly_hours)
    first = start.astimezone(zone).date()
    for offset in range(limit):
        day = first + timedelta(days=offset)
        if day in calendar.holidays:
            continue
        midnight = datetime.combine(day, _MIDNIGHT)  # local wall time, no zone yet
        for opens, closes in week[day.weekday()]:
            # wall time first, then the zone: each end gets the UTC offset in force at that moment
            begin = (midnight + opens).replace(tzinfo=zone).astimezone(UTC)
            end = (midnight + closes).replace(tzinfo=zone).astimezone(UTC)
            if end > begin:  # an interval inside a DST gap has no length
                yield begin, end


@lru_cache(maxsize=128)
def _week(
    weekly_hours: tuple[tuple[int, time, time], ...],
) -> tuple[tuple[tuple[timedelta, timedelta], ...], ...]:
    """Per weekday, the open intervals as offsets from local midnight, in order, with overlapping
    or touching ones merged (so nothing is counted twice)."""
    week: list[tuple[tuple[timedelta, timedelta], ...]] = []
    for weekday in range(7):
        shifts = sorted(
            (_since_midnight(opens), timedelta(days=1) if closes == _MIDNIGHT else _since_midnight(closes))
            for wd, opens, closes in weekly_hours
            if wd == weekday
        )
        merged: list[tuple[timedelta, timedelta]] = []
        for opens, closes in shifts:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        week.append(tuple(merged))
    return tuple(week)


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
