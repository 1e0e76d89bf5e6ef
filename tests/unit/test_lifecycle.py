"""The lifecycle state machine, for every pair of stage and action (domain.md §2)."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidTransition
from domain.lifecycle import (
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
    allowed_actions,
    stage_timings,
    transition,
)

S, A = LifecycleStage, LifecycleAction

# The handbook's table, restated independently of the code's own table.
EXPECTED = {
    (A.ACQUIRE, S.PROSPECT): S.ACQUIRED,
    (A.ACTIVATE, S.ACQUIRED): S.ACTIVE,
    (A.RETAIN, S.ACTIVE): S.RETAINED,
    (A.RETAIN, S.AT_RISK): S.RETAINED,
    (A.FLAG_AT_RISK, S.ACTIVE): S.AT_RISK,
    (A.FLAG_AT_RISK, S.RETAINED): S.AT_RISK,
    (A.LAPSE, S.ACQUIRED): S.LAPSED,
    (A.LAPSE, S.ACTIVE): S.LAPSED,
    (A.LAPSE, S.RETAINED): S.LAPSED,
    (A.LAPSE, S.AT_RISK): S.LAPSED,
    (A.WIN_BACK, S.LAPSED): S.ACTIVE,
}
EVERY_PAIR = [(stage, action) for stage in S for action in A]


@pytest.mark.parametrize(("stage", "action"), EVERY_PAIR, ids=lambda v: v.value)
def test_every_stage_and_action(stage: LifecycleStage, action: LifecycleAction) -> None:
    expected = EXPECTED.get((action, stage))
    if expected is not None:
        assert transition(stage, action) is expected
    else:
        with pytest.raises(InvalidTransition) as refused:
            transition(stage, action)
        assert stage.value in refused.value.message
        for allowed in allowed_actions(stage):
            assert allowed.value in refused.value.message


@pytest.mark.parametrize("stage", list(S), ids=lambda v: v.value)
def test_allowed_actions_are_exactly_the_table(stage: LifecycleStage) -> None:
    assert set(allowed_actions(stage)) == {a for (a, s) in EXPECTED if s is stage}


def test_refusal_names_current_stage_and_allowed_actions() -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(S.PROSPECT, A.WIN_BACK)
    assert refused.value.message == ("cannot WIN_BACK a customer in stage PROSPECT; allowed: ACQUIRE")


T0 = datetime(2026, 1, 1, tzinfo=UTC)
ACTOR = Actor(id="u1", name="Alice", role="CX_AGENT")


def _event(action: A, frm: S, to: S, days: int) -> LifecycleEvent:
    return LifecycleEvent(action, frm, to, T0 + timedelta(days=days), ACTOR, "why")


def test_new_customer_has_spent_its_whole_life_as_prospect() -> None:
    [timing] = stage_timings(T0, [], T0 + timedelta(days=5))
    assert timing.stage is S.PROSPECT
    assert timing.total_time == timedelta(days=5)
    assert timing.current and timing.exited_at is None


def test_churned_customer_is_not_current_in_earlier_stages() -> None:
    history = [
        _event(A.ACQUIRE, S.PROSPECT, S.ACQUIRED, 10),
        _event(A.ACTIVATE, S.ACQUIRED, S.ACTIVE, 30),
        _event(A.LAPSE, S.ACTIVE, S.LAPSED, 200),
    ]
    timings = {t.stage: t for t in stage_timings(T0, history, T0 + timedelta(days=250))}
    assert [t.current for t in timings.values()] == [False, False, False, True]
    assert timings[S.ACTIVE].exited_at == T0 + timedelta(days=200)
    assert timings[S.ACTIVE].total_time == timedelta(days=170)
    assert timings[S.LAPSED].total_time == timedelta(days=50)


def test_repeated_stage_sums_its_visits() -> None:
    history = [
        _event(A.ACQUIRE, S.PROSPECT, S.ACQUIRED, 1),
        _event(A.ACTIVATE, S.ACQUIRED, S.ACTIVE, 2),
        _event(A.LAPSE, S.ACTIVE, S.LAPSED, 12),
        _event(A.WIN_BACK, S.LAPSED, S.ACTIVE, 20),
    ]
    active = next(t for t in stage_timings(T0, history, T0 + timedelta(days=25)) if t.stage is S.ACTIVE)
    assert active.visits == 2
    assert active.total_time == timedelta(days=10 + 5)
    assert active.entered_at == T0 + timedelta(days=2)
    assert active.current
