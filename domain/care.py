"""Care plans (domain.md §6): the rules that turn customer facts into dated tasks.

The rules are data: each **care template** (a row of the playbook's tables, stored in
`care_templates`, defaults by migration) says which plans it belongs to, the task it makes
(kind and channel) and its **schedule**:

| schedule       | tasks                                                                   |
| -------------- | ----------------------------------------------------------------------- |
| `AFTER`        | one, `days` after the plan starts                                       |
| `EVERY`        | one every `days` days after the start, for `forDays` days               |
| `PER_PURCHASE` | one `days` after each purchase while the plan is open                   |
| `MONTHLY`      | on `monthDays` of every `everyMonths`-th month (none: the start's day)  |
| `BIRTHDAY`     | yearly on the customer's birthday (or their child's)                    |
| `HOLIDAY`      | on each statutory holiday (the `care_holidays` table)                   |
| `LETTER`       | one per letter period of a key account (the cadence by grade, a setting)|

The first three are **finite**: their tasks are made when the plan starts (or at the
purchase). The others **recur**: the `care-schedule` job makes the tasks due on one day,
reading the templates of that day, so a changed cadence applies to open plans at once.
Recurring tasks fall on days after the plan's first day.

Which plan a fact starts (`purchase_plans`, `stage_plans`, `touchpoint_plans`):
- a first purchase starts the plan of the tier it gives (QUALITY_NEW, NEW, or VIP for a
  first order at the VIP line); a purchase that moves the tier to REGULAR or VIP starts
  that plan (VIP supersedes REGULAR: "as regular, plus");
- a move to AT_RISK starts a RETENTION plan, to LAPSED a WIN_BACK plan; leaving ACQUIRED,
  AT_RISK or LAPSED closes the ACTIVATION, RETENTION or WIN_BACK plan (its pending tasks
  are skipped: no longer needed); an ACQUIRED customer with no purchase for the activation
  days gets an ACTIVATION plan from the schedule job;
- a touchpoint a REVIEW_FOLLOW_UP template matches (a negative or doubtful review) starts
  a review follow-up; a touchpoint in a community group keeps a COMMUNITY plan active.

Consent (domain.consent): a marketing task on a channel the customer has not consented
to is not made; the plan records the channel as skipped. Letters to key accounts are
service correspondence (`marketing: false`), sent to the account's decision makers.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum

from domain.consent import Consent
from domain.customers import Customer
from domain.errors import BadArgument
from domain.figures import CustomerFigures
from domain.key_accounts import Grade
from domain.lifecycle import Actor, LifecycleEvent, LifecycleStage
from domain.records import Channel
from domain.rfm import Segment
from domain.tiers import TierThresholds, ValueTier, value_tier
from domain.touchpoints import Sentiment, Touchpoint
from domain.validation import LONG_TEXT_MAX, NAME_MAX, Problems


class CarePlanKind(Enum):
    QUALITY_NEW = "QUALITY_NEW"  # first order of at least 4 units
    NEW = "NEW"  # an ordinary first order
    REGULAR = "REGULAR"  # two or more purchases, below the VIP line
    VIP = "VIP"  # at the VIP line
    ACTIVATION = "ACTIVATION"  # acquired, no second purchase after the activation days
    RETENTION = "RETENTION"  # at risk
    WIN_BACK = "WIN_BACK"  # lapsed
    REVIEW_FOLLOW_UP = "REVIEW_FOLLOW_UP"  # flagged, doubtful or negative reviewers
    COMMUNITY = "COMMUNITY"  # active in community groups and forums
    KEY_ACCOUNT_LETTERS = "KEY_ACCOUNT_LETTERS"  # consultation/satisfaction letters (domain.md §4)
    ACTIVITY = "ACTIVITY"  # invited to a care activity


class CarePlanStatus(Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"  # every task done, skipped or failed (finite plans)
    CLOSED = "CLOSED"  # ended by a fact: the stage it was for was left, or a later plan replaced it


class CareTaskKind(Enum):
    PHONE_CALL = "PHONE_CALL"
    EMAIL = "EMAIL"
    SMS = "SMS"
    GREETING = "GREETING"
    GIFT = "GIFT"
    SURVEY = "SURVEY"
    VISIT = "VISIT"
    OFFER = "OFFER"  # an incentive: a product or price reward (activation, retention, win-back)


class CareTaskStatus(Enum):
    PENDING = "PENDING"
    DONE = "DONE"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


#: How a task may end (completeCareTask).
CLOSING_STATUSES = frozenset({CareTaskStatus.DONE, CareTaskStatus.SKIPPED, CareTaskStatus.FAILED})

#: Plans that go on until a fact closes them: their tasks come day by day.
RECURRING_PLANS = frozenset(
    {CarePlanKind.REGULAR, CarePlanKind.VIP, CarePlanKind.COMMUNITY, CarePlanKind.KEY_ACCOUNT_LETTERS}
)
#: Plans of which a customer has at most one, ever (their key is the customer and kind).
ONCE_PER_CUSTOMER = frozenset(
    {
        CarePlanKind.QUALITY_NEW,
        CarePlanKind.NEW,
        CarePlanKind.REGULAR,
        CarePlanKind.VIP,
        CarePlanKind.ACTIVATION,
        CarePlanKind.COMMUNITY,
        CarePlanKind.KEY_ACCOUNT_LETTERS,
    }
)


class ScheduleType(Enum):
    AFTER = "AFTER"
    EVERY = "EVERY"
    PER_PURCHASE = "PER_PURCHASE"
    MONTHLY = "MONTHLY"
    BIRTHDAY = "BIRTHDAY"
    HOLIDAY = "HOLIDAY"
    LETTER = "LETTER"


FINITE_SCHEDULES = frozenset({ScheduleType.AFTER, ScheduleType.EVERY, ScheduleType.PER_PURCHASE})
#: Months a cadence may count in: they divide the year, so periods line up every January.
MONTH_STEPS = (1, 2, 3, 4, 6, 12)
SCHEDULE_DAYS_MAX = 3660


@dataclass(frozen=True)
class Schedule:
    type: ScheduleType
    days: int = 0  # AFTER, PER_PURCHASE: the offset; EVERY: the interval
    for_days: int = 0  # EVERY: how long after the start
    month_days: tuple[int, ...] = ()  # MONTHLY: days of the month (none: the plan's first day)
    every_months: int = 1  # MONTHLY: every n-th month, counted from January
    of_child: bool = False  # BIRTHDAY: the child's birthday rather than the customer's

    @property
    def recurring(self) -> bool:
        return self.type not in FINITE_SCHEDULES


@dataclass(frozen=True)
class TouchpointMatch:
    """Which touchpoints a template reacts to (review follow-ups, community care): any of the
    ratings given (each an upper bound), on the types and channels given (empty: any)."""

    types: frozenset[str] = frozenset()
    channels: frozenset[Channel] = frozenset()
    satisfaction_at_most: int | None = None
    nps_at_most: int | None = None
    negative_sentiment: bool = False
    active_within_days: int | None = None  # recurring care while the last such touchpoint is this recent

    @property
    def rated(self) -> bool:
        return (
            self.satisfaction_at_most is not None or self.nps_at_most is not None or self.negative_sentiment
        )

    def matches(self, t: TouchpointFacts) -> bool:
        if self.types and t.type not in self.types:
            return False
        if self.channels and t.channel not in self.channels:
            return False
        if not self.rated:
            return True
        return (
            (
                self.satisfaction_at_most is not None
                and t.satisfaction is not None
                and t.satisfaction <= self.satisfaction_at_most
            )
            or (self.nps_at_most is not None and t.nps is not None and t.nps <= self.nps_at_most)
            or (self.negative_sentiment and t.sentiment is Sentiment.NEGATIVE)
        )


@dataclass(frozen=True)
class CareTemplate:
    id: str  # the record (its Node id)
    rule: str  # its name, as tasks name it ("new-questionnaire"); unique
    name: str
    applies_to: frozenset[CarePlanKind]
    kind: CareTaskKind
    channel: Channel
    schedule: Schedule
    marketing: bool = True  # consent applies
    match: TouchpointMatch | None = None
    active: bool = True
    order: int = 0


@dataclass(frozen=True)
class CareFacts:
    """What plan generation knows about a customer."""

    customer_id: str
    consent: Consent = field(default_factory=Consent)
    birthday: date | None = None
    child_birthday: date | None = None


def facts_of(customer: Customer) -> CareFacts:
    return CareFacts(customer.id, customer.consent or Consent(), customer.birthday, customer.child_birthday)


@dataclass(frozen=True)
class TouchpointFacts:
    id: str
    type: str
    channel: Channel
    occurred_at: datetime
    satisfaction: int | None = None
    nps: int | None = None
    sentiment: Sentiment | None = None


def touchpoint_facts(t: Touchpoint) -> TouchpointFacts:
    return TouchpointFacts(t.id, t.type.value, t.channel, t.occurred_at, t.satisfaction, t.nps, t.sentiment)


@dataclass(frozen=True)
class TaskDraft:
    """A task as a rule makes it; `occurrence` makes its key unique within the plan and
    template (a day, a purchase, a letter period and contact)."""

    rule: str
    title: str
    kind: CareTaskKind
    channel: Channel
    due_at: datetime
    occurrence: str
    contact_id: str | None = None
    period: str | None = None

    def key(self, plan_id: str) -> str:
        """Unique per plan, template and occurrence: writing it twice writes it once."""
        return f"{plan_id}:{self.rule}:{self.occurrence}"


@dataclass(frozen=True)
class PlannedTasks:
    tasks: tuple[TaskDraft, ...] = ()
    skipped_channels: frozenset[Channel] = frozenset()  # not consented to: no task was made

    def __add__(self, other: PlannedTasks) -> PlannedTasks:
        return PlannedTasks(self.tasks + other.tasks, self.skipped_channels | other.skipped_channels)


@dataclass(frozen=True)
class CarePlan:
    id: str
    customer_id: str
    kind: CarePlanKind
    status: CarePlanStatus
    started_at: datetime
    reason: str
    skipped_channels: tuple[Channel, ...]
    created_at: datetime
    closed_at: datetime | None = None
    closed_reason: str | None = None
    last_activity_at: datetime | None = None  # community care: the latest community touchpoint
    key_account_id: str | None = None
    activity_id: str | None = None
    participated: bool | None = None  # activities: as recorded
    satisfaction: int | None = None

    @property
    def recurring(self) -> bool:
        return self.kind in RECURRING_PLANS


@dataclass(frozen=True)
class LetterAnswer:
    satisfaction: int  # 1-5
    loyalty_intent: bool  # intends to stay (renew, buy again)


@dataclass(frozen=True)
class CareTask:
    id: str
    plan_id: str
    customer_id: str
    plan_kind: CarePlanKind
    rule: str  # the template that made it (the activity invitation for activities)
    title: str
    kind: CareTaskKind
    channel: Channel
    due_at: datetime
    status: CareTaskStatus
    outcome: str | None  # what happened, as written: personal data
    owner_id: str | None
    created_at: datetime
    completed_at: datetime | None = None
    completed_by: Actor | None = None
    key_account_id: str | None = None
    contact_id: str | None = None
    activity_id: str | None = None
    period: str | None = None  # letters: the period the letter is for
    answer: LetterAnswer | None = None


@dataclass(frozen=True)
class CareRules:
    """The care numbers that are settings (the cadences themselves are templates)."""

    activation_days: int = 30  # an ACQUIRED customer with no purchase for this long: activation plan
    letter_months: Mapping[Grade, int] = field(
        default_factory=lambda: {Grade.A: 3, Grade.B: 6, Grade.C: 6}
    )  # consultation letters: quarterly for A, twice a year for B and C
    satisfaction_target: float = 0.9  # key accounts: share of satisfied answers (4-5)
    loyalty_target: float = 0.8  # key accounts: share of answers intending to stay
    activities_per_quarter: int = 1
    invite_batch: int = 2000  # invitations one inviteToCareActivity call makes at most


# --- times ---------------------------------------------------------------------------------


def start_of(day: date) -> datetime:
    """A calendar task is due at the start of its day (UTC)."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _in_month(day_of_month: int, year: int, month: int) -> date:
    """The day of the month, or the month's last day when it has fewer (31 → 30 April)."""
    return date(year, month, min(day_of_month, _last_day(year, month)))


def anniversary(born: date, year: int) -> date:
    """A birthday in `year` (29 February falls on 28 February in other years)."""
    return _in_month(born.day, year, born.month)


def month_counts(every_months: int, month: int) -> bool:
    """Whether `month` is one of every n-th month counted from January."""
    return (month - 1) % every_months == 0


# --- changing a rule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateChange:
    """What a business may change in a rule without code (None: unchanged). Which task a
    rule makes and for which plans stay as the migration wrote them: a new kind of care is a
    new rule."""

    name: str | None = None
    active: bool | None = None
    days: int | None = None
    for_days: int | None = None
    month_days: Sequence[int] | None = None
    every_months: int | None = None


_DAYS_SCHEDULES = frozenset({ScheduleType.AFTER, ScheduleType.EVERY, ScheduleType.PER_PURCHASE})


def changed_template(template: CareTemplate, change: TemplateChange) -> CareTemplate:
    """The rule with the change applied, or ValidationFailed naming each field at fault."""
    problems = Problems()
    s = template.schedule
    name = template.name
    if change.name is not None:
        name = problems.text(change.name, "name", required=True, limit=NAME_MAX) or name

    def belongs(field_name: str, value: object, types: frozenset[ScheduleType]) -> bool:
        if value is None:
            return False
        if s.type not in types:
            problems.add(field_name, f"a {s.type.value} schedule has no {field_name}")
            return False
        return True

    days, for_days, month_days, every_months = s.days, s.for_days, s.month_days, s.every_months
    if belongs("days", change.days, _DAYS_SCHEDULES):
        assert change.days is not None
        problems.number(change.days, "days", 1 if s.type is ScheduleType.EVERY else 0, SCHEDULE_DAYS_MAX)
        days = change.days
    if belongs("forDays", change.for_days, frozenset({ScheduleType.EVERY})):
        assert change.for_days is not None
        problems.number(change.for_days, "forDays", 1, SCHEDULE_DAYS_MAX)
        for_days = change.for_days
    if s.type is ScheduleType.EVERY and for_days < days:
        problems.add("forDays", "forDays is at least days (the first task falls within it)")
    if belongs("monthDays", change.month_days, frozenset({ScheduleType.MONTHLY})):
        assert change.month_days is not None
        if problems.count(change.month_days, "monthDays", 31):
            for i, d in enumerate(change.month_days):
                problems.number(d, f"monthDays[{i}]", 1, 31)
        month_days = tuple(sorted(set(change.month_days)))
    if belongs("everyMonths", change.every_months, frozenset({ScheduleType.MONTHLY})):
        if change.every_months not in MONTH_STEPS:
            problems.add("everyMonths", f"everyMonths is one of {', '.join(map(str, MONTH_STEPS))}")
        every_months = change.every_months or every_months
    problems.raise_if_any()
    schedule = replace(s, days=days, for_days=for_days, month_days=month_days, every_months=every_months)
    active = template.active if change.active is None else change.active
    return replace(template, name=name, active=active, schedule=schedule)


# --- finite schedules: the tasks a plan starts with ------------------------------------------


def _allowed(template: CareTemplate, facts: CareFacts) -> bool:
    return not template.marketing or facts.consent.allows(template.channel)


def _consented(drafts: Iterable[tuple[CareTemplate, TaskDraft]], facts: CareFacts) -> PlannedTasks:
    made: list[TaskDraft] = []
    skipped: set[Channel] = set()
    for template, draft in drafts:
        if _allowed(template, facts):
            made.append(draft)
        else:
            skipped.add(template.channel)
    return PlannedTasks(tuple(made), frozenset(skipped))


def _for(kind: CarePlanKind, templates: Iterable[CareTemplate]) -> list[CareTemplate]:
    return sorted(
        (t for t in templates if t.active and kind in t.applies_to), key=lambda t: (t.order, t.rule)
    )


def _draft(template: CareTemplate, due_at: datetime, occurrence: str, title: str | None = None) -> TaskDraft:
    return TaskDraft(
        template.rule, title or template.name, template.kind, template.channel, due_at, occurrence
    )


def start_plan(
    kind: CarePlanKind,
    templates: Iterable[CareTemplate],
    facts: CareFacts,
    started_at: datetime,
    purchase: tuple[str, datetime] | None = None,
    touchpoint: TouchpointFacts | None = None,
) -> PlannedTasks:
    """The tasks a plan starts with: its finite templates from `started_at`, and its
    per-purchase ones for `purchase` (id, time) when the plan starts with one. A template
    that reacts to touchpoints applies only when it matches the one that started the plan."""
    drafts: list[tuple[CareTemplate, TaskDraft]] = []
    for t in _for(kind, templates):
        if t.match is not None and t.match.rated and (touchpoint is None or not t.match.matches(touchpoint)):
            continue
        s = t.schedule
        if s.type is ScheduleType.AFTER:
            due = started_at + timedelta(days=s.days)
            drafts.append((t, _draft(t, due, due.date().isoformat())))
        elif s.type is ScheduleType.EVERY and s.days > 0:
            for step in range(s.days, s.for_days + 1, s.days):
                due = started_at + timedelta(days=step)
                drafts.append((t, _draft(t, due, due.date().isoformat())))
    planned = _consented(drafts, facts)
    if purchase is not None:
        planned = planned + purchase_tasks(kind, templates, facts, *purchase)
    return planned


def purchase_tasks(
    kind: CarePlanKind,
    templates: Iterable[CareTemplate],
    facts: CareFacts,
    purchase_id: str,
    purchased_at: datetime,
) -> PlannedTasks:
    """The tasks one purchase makes in an open plan (shipment tracking for regulars)."""
    drafts = [
        (t, _draft(t, purchased_at + timedelta(days=t.schedule.days), f"purchase-{purchase_id}"))
        for t in _for(kind, templates)
        if t.schedule.type is ScheduleType.PER_PURCHASE
    ]
    return _consented(drafts, facts)


def has_purchase_tasks(kind: CarePlanKind, templates: Iterable[CareTemplate]) -> bool:
    return any(t.schedule.type is ScheduleType.PER_PURCHASE for t in _for(kind, templates))


# --- recurring schedules: the tasks of one day --------------------------------------------------


@dataclass(frozen=True)
class PlanFacts:
    """What the schedule knows about an open plan."""

    kind: CarePlanKind
    started_at: datetime
    last_activity_at: datetime | None = None


def _falls_on(
    t: CareTemplate, day: date, plan: PlanFacts, facts: CareFacts, holidays: Mapping[date, str]
) -> str | None:
    """The task's title when `t` makes a task on `day` for this plan, else None."""
    s = t.schedule
    if s.type is ScheduleType.MONTHLY:
        if not month_counts(s.every_months, day.month):
            return None
        wanted = s.month_days or (plan.started_at.day,)
        return t.name if any(_in_month(d, day.year, day.month) == day for d in wanted) else None
    if s.type is ScheduleType.BIRTHDAY:
        born = facts.child_birthday if s.of_child else facts.birthday
        return t.name if born is not None and anniversary(born, day.year) == day else None
    if s.type is ScheduleType.HOLIDAY:
        return f"{t.name}: {holidays[day]}" if day in holidays else None
    return None


def tasks_on(
    day: date,
    plan: PlanFacts,
    facts: CareFacts,
    templates: Iterable[CareTemplate],
    holidays: Mapping[date, str],
) -> PlannedTasks:
    """The recurring tasks an open plan has on `day` (after its first day)."""
    if day <= plan.started_at.date():
        return PlannedTasks()
    drafts: list[tuple[CareTemplate, TaskDraft]] = []
    for t in _for(plan.kind, templates):
        if not t.schedule.recurring:
            continue
        window = t.match.active_within_days if t.match else None
        if window is not None and (
            plan.last_activity_at is None or plan.last_activity_at.date() < day - timedelta(days=window)
        ):
            continue  # no longer active in the community
        title = _falls_on(t, day, plan, facts, holidays)
        if title is not None:
            drafts.append((t, _draft(t, start_of(day), day.isoformat(), title)))
    return _consented(drafts, facts)


@dataclass(frozen=True)
class DueSelector:
    """Which open plans may have tasks on a day, as the schedule job queries them: every
    plan of `kinds`, or (when set) only those started on one of `start_days` of a month, or
    those whose customer has a birthday (or a child's) on one of `birthdays` (month, day).
    `tasks_on` decides exactly; a selector only narrows what is read."""

    kinds: frozenset[CarePlanKind]
    start_days: frozenset[int] | None = None
    birthdays: frozenset[tuple[int, int]] | None = None
    child: bool = False


def due_selectors(
    templates: Iterable[CareTemplate], day: date, holidays: Mapping[date, str]
) -> list[DueSelector]:
    selectors: list[DueSelector] = []
    last = _last_day(day.year, day.month)
    for t in templates:
        s, kinds = t.schedule, frozenset(t.applies_to)
        if not t.active or not s.recurring or s.type is ScheduleType.LETTER:
            continue
        if s.type is ScheduleType.MONTHLY and month_counts(s.every_months, day.month):
            if s.month_days:
                if any(_in_month(d, day.year, day.month) == day for d in s.month_days):
                    selectors.append(DueSelector(kinds))
            else:
                # Started on this day of a month, or later days that this month lacks.
                days = range(day.day, 32) if day.day == last else (day.day,)
                selectors.append(DueSelector(kinds, start_days=frozenset(days)))
        elif s.type is ScheduleType.BIRTHDAY:
            born = {(day.month, day.day)}
            if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
                born.add((2, 29))
            selectors.append(DueSelector(kinds, birthdays=frozenset(born), child=s.of_child))
        elif s.type is ScheduleType.HOLIDAY and day in holidays:
            selectors.append(DueSelector(kinds))
    return selectors


# --- what facts start and close --------------------------------------------------------------

#: The plan a tier gives.
TIER_PLANS = {
    ValueTier.NEW: CarePlanKind.NEW,
    ValueTier.QUALITY_NEW: CarePlanKind.QUALITY_NEW,
    ValueTier.REGULAR: CarePlanKind.REGULAR,
    ValueTier.VIP: CarePlanKind.VIP,
}
#: The plan a stage starts (activation comes from the schedule job, after the activation days).
STAGE_PLANS = {LifecycleStage.AT_RISK: CarePlanKind.RETENTION, LifecycleStage.LAPSED: CarePlanKind.WIN_BACK}
#: The plan that ends when its stage is left.
STAGE_BOUND_PLANS = {
    LifecycleStage.ACQUIRED: CarePlanKind.ACTIVATION,
    LifecycleStage.AT_RISK: CarePlanKind.RETENTION,
    LifecycleStage.LAPSED: CarePlanKind.WIN_BACK,
}


@dataclass(frozen=True)
class PlanChange:
    start: tuple[CarePlanKind, ...] = ()
    close: tuple[CarePlanKind, ...] = ()
    reason: str = ""


def _repeat_tier(figures: CustomerFigures, thresholds: TierThresholds) -> ValueTier | None:
    tier = value_tier(figures, thresholds)
    return tier if tier in (ValueTier.REGULAR, ValueTier.VIP) else None


def purchase_plans(after: CustomerFigures, amount: Decimal, thresholds: TierThresholds) -> PlanChange:
    """The plans a purchase starts and closes, from the figures it left (`after`) and its
    amount: a first purchase starts the plan of its tier; a purchase that moves the tier to
    REGULAR or VIP starts that plan; VIP closes REGULAR."""
    tier = value_tier(after, thresholds)
    if after.orders == 1:
        start = (TIER_PLANS[tier],) if tier in TIER_PLANS else ()
        reason = "first purchase"
    else:
        before = replace(after, orders=after.orders - 1, spend=after.spend - amount)
        reached = _repeat_tier(after, thresholds)
        start = (TIER_PLANS[reached],) if reached and reached is not _repeat_tier(before, thresholds) else ()
        reason = f"the purchase made the customer {tier.value}"
    close = (CarePlanKind.REGULAR,) if CarePlanKind.VIP in start else ()
    return PlanChange(start, close, reason)


def repeat_plan(after: CustomerFigures, thresholds: TierThresholds) -> CarePlanKind | None:
    """The open repeat-customer plan a purchase adds per-purchase tasks to."""
    tier = _repeat_tier(after, thresholds)
    return TIER_PLANS[tier] if tier else None


def stage_plans(event: LifecycleEvent) -> PlanChange:
    start = STAGE_PLANS.get(event.to_stage)
    close = STAGE_BOUND_PLANS.get(event.from_stage)
    return PlanChange(
        start=(start,) if start else (),
        close=(close,) if close else (),
        reason=f"moved to {event.to_stage.value} ({event.action.value})",
    )


def touchpoint_plans(
    touchpoint: TouchpointFacts, templates: Iterable[CareTemplate]
) -> tuple[CarePlanKind, ...]:
    """The plans a touchpoint starts or keeps active: any whose template matches it."""
    found = []
    for kind in (CarePlanKind.REVIEW_FOLLOW_UP, CarePlanKind.COMMUNITY):
        if any(t.match is not None and t.match.matches(touchpoint) for t in _for(kind, templates)):
            found.append(kind)
    return tuple(found)


def plan_key(customer_id: str, kind: CarePlanKind, occasion: str | None = None) -> str:
    """What a plan is unique by: the customer and kind (once per customer), or the occasion
    that started it too (a move, a touchpoint, an activity)."""
    if kind in ONCE_PER_CUSTOMER or occasion is None:
        return f"{customer_id}:{kind.value}"
    return f"{customer_id}:{kind.value}:{occasion}"


def stale_reason(to_stage: LifecycleStage) -> str:
    return f"no longer needed: the customer moved to {to_stage.value}"


# --- key-account letters -----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def letter_period(day: date, months: int) -> Period:
    """The letter period `day` falls in: quarters for 3 months, halves for 6, and so on
    (periods start in January, so the steps divide the year)."""
    if months not in MONTH_STEPS:
        raise ValueError(f"a letter cadence is one of {MONTH_STEPS} months")
    index = (day.month - 1) // months
    start = date(day.year, index * months + 1, 1)
    end = _months_later(start, months) - timedelta(days=1)
    labels = {
        1: f"{day.year}-{start.month:02d}",
        3: f"{day.year}-Q{index + 1}",
        6: f"{day.year}-H{index + 1}",
    }
    label = labels.get(months, f"{day.year}" if months == 12 else f"{day.year}-M{start.month:02d}+{months}")
    return Period(start, end, label)


def parse_period(label: str) -> Period:
    """The period `letter_period` named `label`."""
    year, rest = int(label[:4]), label[5:]
    if not rest:
        months, first_month = 12, 1
    elif rest[0] in "QH":
        months = 3 if rest[0] == "Q" else 6
        first_month = (int(rest[1:]) - 1) * months + 1
    elif rest[0] == "M":
        first_month, months = int(rest[1:3]), int(rest.partition("+")[2])
    else:
        months, first_month = 1, int(rest)
    return letter_period(date(year, first_month, 1), months)


def letters_due(
    day: date,
    grade: Grade,
    decision_makers: Sequence[str],
    templates: Iterable[CareTemplate],
    rules: CareRules,
) -> PlannedTasks:
    """The letters of the account's current period, one per decision-maker contact."""
    period = letter_period(day, rules.letter_months[grade])
    drafts = [
        replace(
            _draft(t, start_of(day), f"{period.label}:{contact}", f"{t.name} ({period.label})"),
            contact_id=contact,
            period=period.label,
        )
        for t in _for(CarePlanKind.KEY_ACCOUNT_LETTERS, templates)
        if t.schedule.type is ScheduleType.LETTER
        for contact in decision_makers
    ]
    return PlannedTasks(tuple(drafts))


# --- completing tasks ----------------------------------------------------------------------------


def check_completion(status: CareTaskStatus, outcome: str | None) -> str | None:
    problems = Problems()
    if status not in CLOSING_STATUSES:
        problems.add("status", "a task is completed as DONE, SKIPPED or FAILED")
    text = problems.text(outcome, "outcome", required=False, limit=LONG_TEXT_MAX, multiline=True)
    problems.raise_if_any()
    return text


def check_letter_answer(satisfaction: int, comment: str | None) -> str | None:
    problems = Problems()
    problems.number(satisfaction, "satisfaction", 1, 5)
    text = problems.text(comment, "comment", required=False, limit=LONG_TEXT_MAX, multiline=True)
    problems.raise_if_any()
    return text


def answer_outcome(answer: LetterAnswer) -> str:
    return f"answered: satisfaction {answer.satisfaction}/5, " + (
        "intends to stay" if answer.loyalty_intent else "does not intend to stay"
    )


# --- the satisfaction trend of key accounts ------------------------------------------------------

SATISFIED_FROM = 4


@dataclass(frozen=True)
class LetterTotals:
    """Running totals of one account's letters in one period (kept on write)."""

    period: str
    period_start: date
    letters: int = 0
    answers: int = 0
    satisfaction_sum: int = 0
    satisfied: int = 0  # answers of 4 or 5
    loyal: int = 0  # answers intending to stay


@dataclass(frozen=True)
class PeriodSatisfaction:
    totals: LetterTotals
    average: float | None
    satisfaction_rate: float | None
    loyalty_rate: float | None
    meets_satisfaction: bool | None
    meets_loyalty: bool | None
    change: float | None  # satisfaction rate against the previous answered period


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def satisfaction_trend(totals: Sequence[LetterTotals], rules: CareRules) -> list[PeriodSatisfaction]:
    """Per period in order: the average answer, the satisfaction and loyalty rates against
    their targets, and the change of the satisfaction rate since the previous answered period."""
    trend: list[PeriodSatisfaction] = []
    previous: float | None = None
    for t in sorted(totals, key=lambda x: x.period_start):
        satisfied = _rate(t.satisfied, t.answers)
        loyal = _rate(t.loyal, t.answers)
        trend.append(
            PeriodSatisfaction(
                totals=t,
                average=round(t.satisfaction_sum / t.answers, 4) if t.answers else None,
                satisfaction_rate=satisfied,
                loyalty_rate=loyal,
                meets_satisfaction=None if satisfied is None else satisfied >= rules.satisfaction_target,
                meets_loyalty=None if loyal is None else loyal >= rules.loyalty_target,
                change=None if satisfied is None or previous is None else round(satisfied - previous, 4),
            )
        )
        previous = satisfied if satisfied is not None else previous
    return trend


def slipping(trend: Sequence[PeriodSatisfaction]) -> bool:
    """The latest answered period misses a target, or its satisfaction rate fell."""
    answered = [p for p in trend if p.totals.answers]
    if not answered:
        return False
    latest = answered[-1]
    return (
        latest.meets_satisfaction is False
        or latest.meets_loyalty is False
        or (latest.change is not None and latest.change < 0)
    )


# --- care activities ------------------------------------------------------------------------------


class CareActivityKind(Enum):
    APPRECIATION_DAY = "APPRECIATION_DAY"  # a yearly customer appreciation day for loyal customers
    HOLIDAY_CARE = "HOLIDAY_CARE"  # greetings and small gifts
    PRODUCT_TRIAL = "PRODUCT_TRIAL"  # invitations to try new products
    OTHER = "OTHER"


@dataclass(frozen=True)
class CareActivity:
    id: str
    name: str
    kind: CareActivityKind
    held_on: date
    segment: Segment | None
    tier: ValueTier | None
    task_kind: CareTaskKind
    channel: Channel
    owner_id: str | None
    created_at: datetime
    invited: int = 0
    participated: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0

    @property
    def quarter(self) -> str:
        return quarter_of(self.held_on)

    @property
    def participation_rate(self) -> float | None:
        return _rate(self.participated, self.invited)

    @property
    def average_satisfaction(self) -> float | None:
        return round(self.satisfaction_sum / self.satisfaction_count, 4) if self.satisfaction_count else None


INVITATION_RULE = "activity-invitation"


def invitation(activity: CareActivity, facts: CareFacts, at: datetime) -> PlannedTasks:
    """An activity's invitation to one customer, on the activity's channel if consented."""
    if not facts.consent.allows(activity.channel):
        return PlannedTasks(skipped_channels=frozenset({activity.channel}))
    draft = TaskDraft(
        INVITATION_RULE,
        f"Invitation: {activity.name}",
        activity.task_kind,
        activity.channel,
        at,
        activity.id,
    )
    return PlannedTasks((draft,))


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str, field_name: str = "quarter") -> tuple[date, date]:
    """The first and last day of "2026-Q4" (BadArgument for anything else)."""
    year, dash, q = quarter.partition("-Q")
    if not dash or not year.isdigit() or len(year) != 4 or q not in {"1", "2", "3", "4"}:
        raise BadArgument("a quarter is written like 2026-Q4", field_name)
    first = date(int(year), (int(q) - 1) * 3 + 1, 1)
    return first, _months_later(first, 3) - timedelta(days=1)


#: An activity is planned at most this far ahead and recorded at most this far back.
ACTIVITY_HORIZON_DAYS = 3 * 366


def check_activity(
    name: str | None, held_on: date, segment: Segment | None, tier: ValueTier | None, today: date
) -> str:
    problems = Problems()
    clean = problems.text(name, "name", required=True, limit=NAME_MAX)
    problems.day(
        held_on,
        "heldOn",
        today - timedelta(days=ACTIVITY_HORIZON_DAYS),
        today + timedelta(days=ACTIVITY_HORIZON_DAYS),
    )
    if (segment is None) == (tier is None):
        problems.add("segment", "an activity is for one segment or one tier: give exactly one")
    if tier is ValueTier.NONE:
        problems.add("tier", "an activity is for customers who have bought: NONE has no one to invite")
    problems.raise_if_any()
    assert clean is not None
    return clean


def check_participation(participated: bool, satisfaction: int | None) -> None:
    problems = Problems()
    problems.number(satisfaction, "satisfaction", 1, 5)
    if satisfaction is not None and not participated:
        problems.add("satisfaction", "only a participant rates an activity")
    problems.raise_if_any()
