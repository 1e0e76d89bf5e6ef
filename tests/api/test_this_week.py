"""What the web client's "This week" and "My accounts" screens read: open follow-ups
across a manager's dossiers, visits due within N days, open complaints per account."""

from __future__ import annotations

from datetime import timedelta

from tests.api.complaints import file_complaint
from tests.api.dossier import KEY_ACCOUNTS, create_key_account, organisation, payload

LOG_VISIT = """mutation($input: LogVisitInput!) { logVisit(input: $input) {
  visit { id followUps { id action } } errors { code message field } } }"""

OPEN_FOLLOW_UPS = """query($days: Int, $first: Int, $after: String) {
  openFollowUps(dueWithinDays: $days, first: $first, after: $after) {
    totalCount edges { node { action dueAt overdue keyAccount { id customer { name } } } }
    pageInfo { hasNextPage endCursor } } }"""


async def _visit(caller, account_id: str, at, follow_ups: list[tuple[str, object]]) -> dict:
    result = await payload(
        caller,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "visitedAt": at.isoformat(),
            "purpose": "review",
            "followUps": [
                {"action": a, "dueAt": d.isoformat(), "ownerId": caller.user_id} for a, d in follow_ups
            ],
        },
    )
    assert result["errors"] == [], result["errors"]
    return result["visit"]


async def test_open_follow_ups_across_a_managers_accounts_soonest_first(
    agent, manager, other_manager, clock
) -> None:
    now = clock()
    mine = await create_key_account(manager, await organisation(agent, "Lotus Hotels Ltd"))
    also_mine = await create_key_account(manager, await organisation(agent, "Peony Freight Co"))
    theirs = await create_key_account(other_manager, await organisation(agent, "Orchid Foods"))
    await _visit(manager, mine["id"], now - timedelta(days=20), [("send the offer", now - timedelta(days=2))])
    await _visit(
        manager,
        also_mine["id"],
        now - timedelta(days=1),
        [("call back", now + timedelta(days=3)), ("plan the audit", now + timedelta(days=40))],
    )
    await _visit(
        other_manager, theirs["id"], now - timedelta(days=1), [("not mine", now - timedelta(days=1))]
    )

    week = (await manager.execute(OPEN_FOLLOW_UPS, {"days": 7}))["openFollowUps"]
    assert week["totalCount"] == 2
    assert [
        (e["node"]["action"], e["node"]["overdue"], e["node"]["keyAccount"]["customer"]["name"])
        for e in week["edges"]
    ] == [
        ("send the offer", True, "Lotus Hotels Ltd"),
        ("call back", False, "Peony Freight Co"),
    ]
    overdue = (await manager.execute(OPEN_FOLLOW_UPS, {"days": 0}))["openFollowUps"]
    assert [e["node"]["action"] for e in overdue["edges"]] == ["send the offer"]
    # Pages: one at a time, in the same order.
    first = (await manager.execute(OPEN_FOLLOW_UPS, {"first": 1}))["openFollowUps"]
    assert first["pageInfo"]["hasNextPage"]
    rest = await manager.execute(OPEN_FOLLOW_UPS, {"first": 5, "after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["action"] for e in rest["openFollowUps"]["edges"]] == ["call back", "plan the audit"]
    errors = await manager.errors(OPEN_FOLLOW_UPS, {"days": 400})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_visits_due_within_days_include_overdue_ones(agent, manager, clock) -> None:
    now = clock()
    soon = await create_key_account(manager, await organisation(agent, "Lotus Hotels Ltd"), grade="A")
    later = await create_key_account(manager, await organisation(agent, "Peony Freight Co"), grade="B")
    await _visit(manager, soon["id"], now - timedelta(days=27), [])  # due in 3 days (grade A: 30)
    due = (await manager.execute(KEY_ACCOUNTS, {"filter": {"visitDueWithinDays": 7}}))["keyAccounts"]
    assert [e["node"]["id"] for e in due["edges"]] == [soon["id"]]
    clock.advance(timedelta(days=85))  # B: due 91 days after opening
    due = (await manager.execute(KEY_ACCOUNTS, {"filter": {"visitDueWithinDays": 7}}))["keyAccounts"]
    assert {e["node"]["id"] for e in due["edges"]} == {soon["id"], later["id"]}


async def test_open_complaints_are_counted_per_account(agent, manager) -> None:
    customer_id = await organisation(agent, "Lotus Hotels Ltd")
    account = await create_key_account(manager, customer_id)
    await file_complaint(manager, customer_id, keyAccountId=account["id"])
    await file_complaint(manager, customer_id, keyAccountId=account["id"], summary="wrong invoice")
    counted = await manager.execute(
        "query { keyAccounts(first: 25) { edges { node { id openComplaintCount } } } }"
    )
    assert counted["keyAccounts"]["edges"] == [{"node": {"id": account["id"], "openComplaintCount": 2}}]
