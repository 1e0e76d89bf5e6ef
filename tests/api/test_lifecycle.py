"""Lifecycle verbs over HTTP: every allowed move, every refusal, versions, concurrency."""

import asyncio
from datetime import timedelta

import pytest

from tests.api.queries import CREATE_CUSTOMER, CUSTOMER, transition
from tests.conftest import T0

# Paths from PROSPECT that, together, take every allowed transition of domain.md §2.
PATHS = [
    ["ACQUIRE", "ACTIVATE", "RETAIN", "FLAG_AT_RISK", "RETAIN", "LAPSE", "WIN_BACK"],
    ["ACQUIRE", "LAPSE"],
    ["ACQUIRE", "ACTIVATE", "FLAG_AT_RISK", "LAPSE"],
    ["ACQUIRE", "ACTIVATE", "LAPSE"],
]
STAGE_AFTER = {
    "ACQUIRE": "ACQUIRED",
    "ACTIVATE": "ACTIVE",
    "RETAIN": "RETAINED",
    "FLAG_AT_RISK": "AT_RISK",
    "LAPSE": "LAPSED",
    "WIN_BACK": "ACTIVE",
}
# How to reach each stage from PROSPECT, and what the handbook allows there.
REACH = {
    "PROSPECT": [],
    "ACQUIRED": ["ACQUIRE"],
    "ACTIVE": ["ACQUIRE", "ACTIVATE"],
    "RETAINED": ["ACQUIRE", "ACTIVATE", "RETAIN"],
    "AT_RISK": ["ACQUIRE", "ACTIVATE", "FLAG_AT_RISK"],
    "LAPSED": ["ACQUIRE", "LAPSE"],
}
ALLOWED = {
    "PROSPECT": "ACQUIRE",
    "ACQUIRED": "ACTIVATE, LAPSE",
    "ACTIVE": "RETAIN, FLAG_AT_RISK, LAPSE",
    "RETAINED": "FLAG_AT_RISK, LAPSE",
    "AT_RISK": "RETAIN, LAPSE",
    "LAPSED": "WIN_BACK",
}
# Every (stage, action) pair the state machine refuses: 25 of the 36.
REFUSALS = [
    (REACH[stage], action, stage, ALLOWED[stage])
    for stage in REACH
    for action in STAGE_AFTER
    if action not in ALLOWED[stage].split(", ")
]


async def _prospect(agent) -> str:
    data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Li Wei"}})
    return data["createCustomer"]["customer"]["id"]


async def _move(agent, customer_id: str, action: str, version: int, reason: str = "because") -> dict:
    variables = {"input": {"customerId": customer_id, "expectedVersion": version, "reason": reason}}
    data = await agent.execute(transition(action), variables)
    return next(iter(data.values()))


async def _walk(agent, customer_id: str, actions: list[str]) -> int:
    version = 1
    for action in actions:
        payload = await _move(agent, customer_id, action, version)
        assert payload["errors"] == [], (action, payload["errors"])
        version += 1
    return version


@pytest.mark.parametrize("path", PATHS, ids=lambda p: ">".join(p))
async def test_every_allowed_transition_applies_and_is_recorded(agent, clock, path) -> None:
    customer_id = await _prospect(agent)
    stage = "PROSPECT"
    for version, action in enumerate(path, start=1):
        clock.advance(timedelta(days=1))
        payload = await _move(agent, customer_id, action, version, reason=f"step {version}")
        assert payload["errors"] == []
        customer = payload["customer"]
        assert customer["lifecycleStage"] == STAGE_AFTER[action]
        assert customer["version"] == version + 1
        assert customer["lifecycleHistory"][-1] == {
            "action": action,
            "from": stage,
            "to": STAGE_AFTER[action],
            "at": clock().isoformat(),
            "reason": f"step {version}",
            "actor": {"name": "cx_agent-tester", "role": "CX_AGENT"},
        }
        stage = STAGE_AFTER[action]
    assert len(customer["lifecycleHistory"]) == len(path)


@pytest.mark.parametrize(
    ("path", "action", "stage", "allowed"), REFUSALS, ids=[f"{r[2]}-{r[1]}" for r in REFUSALS]
)
async def test_disallowed_transition_is_refused_and_changes_nothing(
    agent, path, action, stage, allowed
) -> None:
    customer_id = await _prospect(agent)
    version = await _walk(agent, customer_id, path)
    payload = await _move(agent, customer_id, action, version)
    assert payload["customer"] is None
    [error] = payload["errors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert error["message"] == f"cannot {action} a customer in stage {stage}; allowed: {allowed}"
    stored = (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]
    assert (stored["lifecycleStage"], stored["version"]) == (stage, version)
    assert len(stored["lifecycleHistory"]) == len(path)


def test_the_refusals_are_every_disallowed_pair() -> None:
    assert len(REFUSALS) == 36 - 11


async def test_stale_version_is_a_conflict_and_changes_nothing(agent) -> None:
    customer_id = await _prospect(agent)
    await _walk(agent, customer_id, ["ACQUIRE"])
    payload = await _move(agent, customer_id, "ACTIVATE", version=1)
    assert payload["errors"][0]["code"] == "VERSION_CONFLICT"
    stored = (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]
    assert (stored["lifecycleStage"], stored["version"]) == ("ACQUIRED", 2)


async def test_retried_transition_does_not_apply_twice(agent) -> None:
    customer_id = await _prospect(agent)
    assert (await _move(agent, customer_id, "ACQUIRE", 1))["errors"] == []
    retry = await _move(agent, customer_id, "ACQUIRE", 1)
    assert retry["errors"][0]["code"] == "VERSION_CONFLICT"
    stored = (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]
    assert len(stored["lifecycleHistory"]) == 1


async def test_twenty_concurrent_transitions_exactly_one_wins(agent) -> None:
    customer_id = await _prospect(agent)
    await _walk(agent, customer_id, ["ACQUIRE", "ACTIVATE"])  # ACTIVE at version 3
    actions = ["RETAIN", "FLAG_AT_RISK", "LAPSE", "RETAIN"] * 5
    payloads = await asyncio.gather(
        *(_move(agent, customer_id, a, 3, f"racer {i}") for i, a in enumerate(actions))
    )
    winners = [p for p in payloads if not p["errors"]]
    assert len(winners) == 1
    assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"VERSION_CONFLICT"}
    stored = (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]
    assert stored["version"] == 4
    assert len(stored["lifecycleHistory"]) == 3
    assert stored["lifecycleStage"] == winners[0]["customer"]["lifecycleStage"]


async def test_transition_needs_a_reason(agent) -> None:
    customer_id = await _prospect(agent)
    payload = await _move(agent, customer_id, "ACQUIRE", 1, reason="  ")
    assert payload["errors"] == [
        {"code": "VALIDATION", "message": "reason must not be empty", "field": "reason"}
    ]


async def test_unknown_customer_is_not_found(agent) -> None:
    import base64

    ghost = base64.b64encode(b"Customer:5eed00000000000000000999").decode()
    payload = await _move(agent, ghost, "ACQUIRE", 1)
    assert payload["errors"][0]["code"] == "NOT_FOUND"


async def test_stage_timings_follow_the_history(agent, clock) -> None:
    customer_id = await _prospect(agent)
    clock.advance(timedelta(days=10))
    await _move(agent, customer_id, "ACQUIRE", 1)
    clock.advance(timedelta(days=20))
    await _move(agent, customer_id, "LAPSE", 2)
    clock.advance(timedelta(days=5, hours=6))
    timings = (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]["stageTimings"]
    assert [(t["stage"], t["totalTime"], t["current"]) for t in timings] == [
        ("PROSPECT", "P10D", False),
        ("ACQUIRED", "P20D", False),
        ("LAPSED", "P5DT6H", True),
    ]
    assert timings[1]["exitedAt"] == (T0 + timedelta(days=30)).isoformat()


async def test_analyst_may_not_move_customers(agent, analyst) -> None:
    customer_id = await _prospect(agent)
    variables = {"input": {"customerId": customer_id, "expectedVersion": 1, "reason": "x"}}
    errors = await analyst.errors(transition("ACQUIRE"), variables)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert (await agent.execute(CUSTOMER, {"id": customer_id}))["customer"]["lifecycleStage"] == "PROSPECT"
