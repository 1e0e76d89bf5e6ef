"""The customer lifecycle as a state machine: the table is data, `transition` is pure.

Phases (domain.md §2): exploration → formation → stability → decline → churn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from domain.errors import InvalidTransition


class LifecycleStage(Enum):
    PROSPECT = "PROSPECT"  # exploration: a lead, no transaction yet
    ACQUIRED = "ACQUIRED"  # formation: first transaction made
    ACTIVE = "ACTIVE"  # formation/stability: repeat transactions
    RETAINED = "RETAINED"  # stability: loyal, stable relationship
    AT_RISK = "AT_RISK"  # decline: churn signals seen
    LAPSED = "LAPSED"  # churn: no purchase for the lapse period, or left


class LifecycleAction(Enum):
    ACQUIRE = "ACQUIRE"
    ACTIVATE = "ACTIVATE"
    RETAIN = "RETAIN"
    FLAG_AT_RISK = "FLAG_AT_RISK"
    LAPSE = "LAPSE"
    WIN_BACK = "WIN_BACK"


S, A = LifecycleStage, LifecycleAction

INITIAL_STAGE = S.PROSPECT

#: action -> {from stage: to stage}. Anything not listed is an invalid transition.
TRANSITIONS: dict[LifecycleAction, dict[LifecycleStage, LifecycleStage]] = {
    A.ACQUIRE: {S.PROSPECT: S.ACQUIRED},
    A.ACTIVATE: {S.ACQUIRED: S.ACTIVE},
    A.RETAIN: {S.ACTIVE: S.RETAINED, S.AT_RISK: S.RETAINED},
    A.FLAG_AT_RISK: {S.ACTIVE: S.AT_RISK, S.RETAINED: S.AT_RISK},
    A.LAPSE: {S.ACQUIRED: S.LAPSED, S.ACTIVE: S.LAPSED, S.RETAINED: S.LAPSED, S.AT_RISK: S.LAPSED},
    A.WIN_BACK: {S.LAPSED: S.ACTIVE},
}


def allowed_actions(stage: LifecycleStage) -> list[LifecycleAction]:
    return [action for action, moves in TRANSITIONS.items() if stage in moves]


def transition(stage: LifecycleStage, action: LifecycleAction) -> LifecycleStage:
    """The stage `action` leads to from `stage`, or InvalidTransition naming what is allowed."""
    target = TRANSITIONS[action].get(stage)
    if target is None:
        allowed = ", ".join(a.value for a in allowed_actions(stage)) or "none"
        raise InvalidTransition(
            f"cannot {action.value} a customer in stage {stage.value}; allowed: {allowed}"
        )
    return target


@dataclass(frozen=True)
class Actor:
    """Who did it, as they were named at the time (history is never rewritten)."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class LifecycleEvent:
    action: LifecycleAction
    from_stage: LifecycleStage
    to_stage: LifecycleStage
    at: datetime
    actor: Actor
    reason: str | None  # None only where masked (a note may hold personal data)


@dataclass(frozen=True)
class StageTiming:
    """Time spent in one stage over all its visits; exited_at is None only for the current."""

    stage: LifecycleStage
    entered_at: datetime
    exited_at: datetime | None
    total_time: timedelta
    visits: int

    @property
    def current(self) -> bool:
        return self.exited_at is None


def stage_timings(
    created_at: datetime, history: Sequence[LifecycleEvent], now: datetime
) -> list[StageTiming]:
    """Per stage, in order of first entry: first entered, last exited, total time, visits."""
    segments: list[tuple[LifecycleStage, datetime, datetime | None]] = []
    stage, entered = (history[0].from_stage if history else INITIAL_STAGE), created_at
    for event in history:
        segments.append((stage, entered, event.at))
        stage, entered = event.to_stage, event.at
    segments.append((stage, entered, None))

    timings: dict[LifecycleStage, StageTiming] = {}
    for seg_stage, start, end in segments:
        spent = max((end or now) - start, timedelta(0))
        known = timings.get(seg_stage)
        timings[seg_stage] = StageTiming(
            stage=seg_stage,
            entered_at=known.entered_at if known else start,
            exited_at=end,
            total_time=(known.total_time if known else timedelta(0)) + spent,
            visits=(known.visits if known else 0) + 1,
        )
    return list(timings.values())
