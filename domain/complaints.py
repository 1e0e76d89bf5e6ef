"""Complaints and feedback (domain.md §5): the closed loop complaint → handle → feedback →
improve, as a state machine with a history, and the SLA clocks each item carries.

Clock rules (the arithmetic is domain.sla):
- The targets are chosen by the first matching policy when the item is filed and stored
  on it, so changing a policy never moves the clocks of items already filed.
- first response starts at `receivedAt` and is met by acknowledging; resolution starts
  at `receivedAt` and is met when the item reaches RESOLVED (an approved compensation
  included: a resolution held for approval is not yet one); follow-up starts at the
  resolution and is met by recording the follow-up.
- Reopening starts a new resolution clock at the reopen time (and a new follow-up clock
  after the next resolution); the first-response clock stays as it was.
- WAITING_ON_CUSTOMER pauses every running clock; the paused time moves the due times.
- Discarded items have no running clocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum

from domain.errors import InvalidTransition
from domain.lifecycle import Actor
from domain.money import Money
from domain.records import Channel, FeedbackCategory, FeedbackKind, Severity
from domain.sla import (
    DEFAULT_TARGETS,
    BusinessCalendar,
    ClockState,
    Pause,
    SlaClock,
    SlaPolicy,
    Target,
    choose_policy,
    clock_state,
)
from domain.validation import LONG_TEXT_MAX, Problems

SUMMARY_MAX = 200
DESCRIPTION_MAX = 10_000
DEPARTMENT_AT_FAULT_MAX = 100
#: Items logged after the fact may be back-dated this far (older is a typing mistake).
BACKFILL_DAYS_MAX = 366
#: What a handler may grant without approval (domain.md §5); a setting's default.
DEFAULT_COMPENSATION_LIMIT = Decimal(100)


class ComplaintStatus(Enum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    DISCARDED = "DISCARDED"


class ComplaintAction(Enum):
    FILE = "FILE"
    ASSIGN = "ASSIGN"
    ACKNOWLEDGE = "ACKNOWLEDGE"
    START_WORK = "START_WORK"
    WAIT_ON_CUSTOMER = "WAIT_ON_CUSTOMER"
    RESOLVE = "RESOLVE"
    HOLD_FOR_APPROVAL = "HOLD_FOR_APPROVAL"
    APPROVE_COMPENSATION = "APPROVE_COMPENSATION"
    RECORD_FOLLOW_UP = "RECORD_FOLLOW_UP"
    REOPEN = "REOPEN"
    DISCARD = "DISCARD"
    PLAN_IMPROVEMENT = "PLAN_IMPROVEMENT"
    RECORD_NEED = "RECORD_NEED"


S = ComplaintStatus
OPEN_STATES = frozenset({S.OPEN, S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.PENDING_APPROVAL})
#: Where each move may start; ASSIGN keeps the status.
MOVES: Mapping[ComplaintAction, frozenset[ComplaintStatus]] = {
    ComplaintAction.ASSIGN: OPEN_STATES | {S.RESOLVED},
    ComplaintAction.ACKNOWLEDGE: frozenset({S.OPEN}),
    ComplaintAction.START_WORK: frozenset({S.OPEN, S.ACKNOWLEDGED, S.WAITING_ON_CUSTOMER}),
    ComplaintAction.WAIT_ON_CUSTOMER: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}),
    ComplaintAction.RESOLVE: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}),
    ComplaintAction.HOLD_FOR_APPROVAL: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}),
    ComplaintAction.APPROVE_COMPENSATION: frozenset({S.PENDING_APPROVAL}),
    ComplaintAction.RECORD_FOLLOW_UP: frozenset({S.RESOLVED}),
    ComplaintAction.REOPEN: frozenset({S.RESOLVED, S.CLOSED}),
    ComplaintAction.DISCARD: frozenset({S.OPEN, S.ACKNOWLEDGED}),
    # The loop's "improve": a resolved complaint spawns an improvement action.
    ComplaintAction.PLAN_IMPROVEMENT: frozenset({S.RESOLVED, S.CLOSED}),
    # A demand suggestion becomes a recorded need of the customer, at any point before discarding.
    ComplaintAction.RECORD_NEED: OPEN_STATES | {S.RESOLVED, S.CLOSED},
}

#: How far ahead an improvement action may be due.
IMPROVEMENT_HORIZON = timedelta(days=3 * 366)


@dataclass(frozen=True)
class ImprovementAction:
    """What changes so the complaint does not happen again, who does it, by when; a
    training case when the item is worth teaching from."""

    id: str
    complaint_id: str
    action: str
    owner_id: str
    due_at: datetime
    training_case: bool
    created_at: datetime


@dataclass(frozen=True)
class CustomerNeed:
    """A need a demand suggestion revealed, recorded on the customer."""

    id: str
    customer_id: str
    complaint_id: str
    need: str
    recorded_at: datetime


def check_improvement(action: str | None, due_at: datetime, now: datetime) -> str:
    problems = Problems()
    text = problems.text(action, "action", required=True, limit=LONG_TEXT_MAX, multiline=True)
    problems.moment(due_at, "dueAt", now - timedelta(days=1), now + IMPROVEMENT_HORIZON)
    problems.raise_if_any()
    assert text is not None
    return text


def check_move(action: ComplaintAction, status: ComplaintStatus) -> None:
    if status not in MOVES[action]:
        allowed = ", ".join(sorted(s.value for s in MOVES[action]))
        raise InvalidTransition(
            f"cannot {action.value.lower().replace('_', ' ')} a complaint that is {status.value} "
            f"(only from {allowed})",
            "id",
        )


@dataclass(frozen=True)
class HistoryEntry:
    action: ComplaintAction
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus
    at: datetime
    actor: Actor
    note: str | None = None  # response, reason or resolution: free text, personal data


@dataclass(frozen=True)
class Clock:
    """One SLA clock as stored: when it started and was met, and its target."""

    started_at: datetime
    target: Target
    met_at: datetime | None = None


@dataclass(frozen=True)
class Compensation:
    amount: Money
    status: str  # GRANTED or PENDING_APPROVAL


@dataclass(frozen=True)
class Complaint:
    id: str
    customer_id: str
    key_account_id: str | None
    channel: Channel
    kind: FeedbackKind
    category: FeedbackCategory
    severity: Severity
    summary: str
    description: str | None
    department_at_fault: str | None
    received_at: datetime
    status: ComplaintStatus
    department_id: str | None
    owner_id: str | None
    policy_name: str
    calendar: BusinessCalendar | None
    targets: Mapping[SlaClock, Target]  # applied when filed: a policy change does not move them
    clocks: Mapping[SlaClock, Clock]
    pauses: Sequence[Pause]
    history: Sequence[HistoryEntry]
    resolution: str | None = None
    root_cause: str | None = None
    compensation: Compensation | None = None
    satisfaction: int | None = None
    fix_held: bool | None = None
    training_case: bool = False
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def clock(self, name: SlaClock, now: datetime) -> ClockState | None:
        clock = self.clocks.get(name)
        if clock is None:
            return None
        pauses = self.pauses if self.status is not S.DISCARDED else ()
        return clock_state(clock.started_at, clock.target, self.calendar, pauses, clock.met_at, now)


# --- filing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    customer_id: str
    key_account_id: str | None
    channel: Channel
    kind: FeedbackKind
    category: FeedbackCategory
    severity: Severity
    summary: str | None
    description: str | None
    received_at: datetime | None
    department_at_fault: str | None


def check_filing(filing: Filing, now: datetime) -> Filing:
    """The filing with its texts trimmed, or ValidationFailed naming every bad field."""
    problems = Problems()
    summary = problems.text(filing.summary, "summary", required=True, limit=SUMMARY_MAX)
    description = problems.text(
        filing.description, "description", required=False, limit=DESCRIPTION_MAX, multiline=True
    )
    at_fault = problems.text(filing.department_at_fault, "departmentAtFault", required=False, limit=100)
    if filing.received_at is not None:
        if filing.received_at > now:
            problems.add("receivedAt", "receivedAt cannot be in the future")
        else:
            problems.moment(filing.received_at, "receivedAt", now - timedelta(days=BACKFILL_DAYS_MAX), now)
    problems.raise_if_any()
    return Filing(
        customer_id=filing.customer_id,
        key_account_id=filing.key_account_id,
        channel=filing.channel,
        kind=filing.kind,
        category=filing.category,
        severity=filing.severity,
        summary=summary,
        description=description,
        received_at=filing.received_at or now,
        department_at_fault=at_fault,
    )


def applied_targets(policy: SlaPolicy | None) -> dict[SlaClock, Target]:
    """Every clock's target under a policy (a clock it does not name keeps the default)."""
    return {
        name: (policy.targets.get(name) if policy else None) or DEFAULT_TARGETS[name] for name in SlaClock
    }


def starting_clocks(targets: Mapping[SlaClock, Target], received_at: datetime) -> dict[SlaClock, Clock]:
    """First response and resolution run from receipt; follow-up starts at resolution."""
    return {
        name: Clock(started_at=received_at, target=targets[name])
        for name in (SlaClock.FIRST_RESPONSE, SlaClock.RESOLUTION)
    }


def applicable_policy(
    policies: Sequence[SlaPolicy], severity: Severity, key_account_grade: str | None, vip: bool
) -> SlaPolicy | None:
    return choose_policy(policies, severity=severity.value, key_account_grade=key_account_grade, vip=vip)


def check_text(value: str | None, field_name: str, *, required: bool = True) -> str | None:
    problems = Problems()
    text = problems.text(value, field_name, required=required, limit=LONG_TEXT_MAX, multiline=True)
    problems.raise_if_any()
    return text


def check_satisfaction(value: int) -> None:
    problems = Problems()
    problems.number(value, "satisfaction", 1, 5)
    problems.raise_if_any()


def check_compensation(value: Money | None) -> None:
    problems = Problems()
    problems.money(value, "compensation")
    problems.raise_if_any()


def compensation_status(value: Money, limit: Decimal) -> str:
    """Up to the limit a handler grants it; above, it waits for an ADMIN's approval."""
    return "GRANTED" if value.amount <= limit else "PENDING_APPROVAL"


def clock_changes(action: ComplaintAction, complaint: Complaint, now: datetime) -> dict[SlaClock, Clock]:
    """The clocks a move starts or meets (only those that change), with the targets
    stored on the item when it was filed."""
    clocks, targets = complaint.clocks, complaint.targets
    changes: dict[SlaClock, Clock] = {}

    def met(name: SlaClock) -> None:
        clock = clocks.get(name)
        if clock is not None and clock.met_at is None:
            changes[name] = Clock(clock.started_at, clock.target, now)

    if action is ComplaintAction.ACKNOWLEDGE:
        met(SlaClock.FIRST_RESPONSE)
    elif action is ComplaintAction.START_WORK and complaint.status is S.OPEN:
        met(SlaClock.FIRST_RESPONSE)  # working on it is a response
    elif action in (ComplaintAction.RESOLVE, ComplaintAction.APPROVE_COMPENSATION):
        met(SlaClock.RESOLUTION)
        changes[SlaClock.FOLLOW_UP] = Clock(now, targets[SlaClock.FOLLOW_UP])
    elif action is ComplaintAction.RECORD_FOLLOW_UP:
        met(SlaClock.FOLLOW_UP)
    elif action is ComplaintAction.REOPEN:
        changes[SlaClock.RESOLUTION] = Clock(now, targets[SlaClock.RESOLUTION])
    return changes


# --- figures -----------------------------------------------------------------------------

#: Who may read the complaint figures: they count every item, so only roles that read
#: every item (or aggregates only) see them.
STATS_READERS = frozenset({"ADMIN", "CX_AGENT", "ANALYST"})
#: complaintStats covers at most this many days (the running totals are per day).
STATS_DAYS_MAX = 366


@dataclass(frozen=True)
class Compliance:
    met: int
    on_time: int

    @property
    def rate(self) -> float | None:
        """Share of the clocks met on time, among those met (None when none was met)."""
        return self.on_time / self.met if self.met else None


def compliance(totals: Mapping[str, Mapping[str, int]]) -> dict[SlaClock, Compliance]:
    return {
        SlaClock(name): Compliance(met=value.get("met", 0), on_time=value.get("onTime", 0))
        for name, value in totals.items()
    }


def median(sorted_values: Sequence[int]) -> float | None:
    n = len(sorted_values)
    if n == 0:
        return None
    middle = n // 2
    return float(sorted_values[middle]) if n % 2 else (sorted_values[middle - 1] + sorted_values[middle]) / 2


def mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def reopen_rate(resolved: int, reopened: int) -> float | None:
    """Reopenings per resolution in the period."""
    return reopened / resolved if resolved else None
