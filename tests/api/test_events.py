"""The event log (the outbox): every change the real-time feeds announce writes one event
in its own transaction; a refused or replayed write writes none; events-prune removes old
events, never one a webhook delivery or a subscriber may still need (on the injected
clock)."""

from __future__ import annotations

import base64
from datetime import timedelta

from resolvers import events_prune
from server.jobs import job_runner
from server.settings import Settings
from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.queries import CREATE_CUSTOMER, UPDATE_CUSTOMER, transition
from tests.api.test_complaints import ACKNOWLEDGE
from tests.api.test_dossier_records import (
    ADD_CONTACT,
    ADD_CONTRACT,
    COMPLETE,
    LINK,
    LOG_VISIT,
    REMOVE_CONTACT,
    UNLINK,
    UPDATE_CONTACT,
)
from tests.api.test_key_accounts import ASSIGN_MANAGER, ASSIGN_TEAM, GRADE
from tests.api.test_key_accounts import UPDATE as UPDATE_KEY_ACCOUNT
from tests.api.test_webhooks import DELIVERIES, REDELIVER, UPDATE, Receiver, _register
from tests.conftest import T0


def local(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]


async def _events(db) -> list[dict]:
    return await db["events"].find({}, {"_id": 0}).sort([("at", 1), ("_id", 1)]).to_list()


async def _types(db) -> list[str]:
    return [e["type"] for e in await _events(db)]


async def test_customer_changes_are_logged_once(agent, db) -> None:
    create = {"input": {"name": "Lin Xiaoyu", "email": "lin@example.com", "idempotencyKey": "k-1"}}
    first = (await agent.execute(CREATE_CUSTOMER, create))["createCustomer"]["customer"]
    again = (await agent.execute(CREATE_CUSTOMER, create))["createCustomer"]["customer"]
    assert again["id"] == first["id"]
    assert await _types(db) == ["CUSTOMER_CREATED"]  # the retry was answered, not written

    updated = await payload(
        agent, UPDATE_CUSTOMER, {"id": first["id"], "expectedVersion": 1, "phone": "+8613812345678"}
    )
    assert updated["errors"] == []
    stale = await payload(
        agent, UPDATE_CUSTOMER, {"id": first["id"], "expectedVersion": 1, "phone": "+8613812345679"}
    )
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    moved = await payload(
        agent,
        transition("ACQUIRE"),
        {"customerId": first["id"], "expectedVersion": 2, "reason": "first order"},
    )
    assert moved["errors"] == []

    events = await _events(db)
    assert [e["type"] for e in events] == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED", "CUSTOMER_STAGE_CHANGED"]
    assert {str(e["customerId"]) for e in events} == {local(first["id"])}
    assert events[2]["detail"] == {"action": "ACQUIRE", "from": "PROSPECT", "to": "ACQUIRED"}
    assert all(e["at"] == T0 for e in events)
    assert all(e["fanOut"] is True for e in events)  # webhook deliveries still to be made


async def test_dossier_activity_is_logged(agent, manager, db, clock) -> None:
    customer_id = await organisation(agent)
    account = await create_key_account(manager, customer_id)
    account_id = account["id"]
    await db["events"].delete_many({})  # the customer's creation is covered above

    graded = await payload(
        manager,
        GRADE,
        {"keyAccountId": account_id, "expectedVersion": 1, "grade": "A", "reason": "volume doubled"},
    )
    assert graded["errors"] == []
    added = await payload(manager, ADD_CONTACT, {"keyAccountId": account_id, "name": "Chen Jie"})
    contact_id = added["contact"]["id"]
    await payload(manager, UPDATE_CONTACT, {"id": contact_id, "expectedVersion": 1, "title": "VP"})
    refused = await payload(manager, ADD_CONTACT, {"keyAccountId": account_id, "name": ""})
    assert refused["errors"]
    visit = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "visitedAt": T0.isoformat(),
            "purpose": "quarterly review",
            "followUps": [
                {
                    "action": "send the schedule",
                    "ownerId": manager.user_id,
                    "dueAt": (T0 + timedelta(days=5)).isoformat(),
                }
            ],
        },
    )
    follow_up = visit["visit"]["followUps"][0]["id"]
    await payload(manager, COMPLETE, {"followUpId": follow_up})
    clock.advance(timedelta(minutes=5))
    await payload(manager, COMPLETE, {"followUpId": follow_up})  # done already: nothing to tell
    contract = await payload(
        manager,
        ADD_CONTRACT,
        {
            "keyAccountId": account_id,
            "content": "cold-chain freight",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "fees": {"amount": "480000.00", "currency": "CNY"},
            "confidentiality": True,
        },
    )
    await payload(manager, REMOVE_CONTACT, {"id": contact_id})

    events = await _events(db)
    assert [e["type"] for e in events] == [
        "GRADE_CHANGED",
        "CONTACT_ADDED",
        "CONTACT_UPDATED",
        "VISIT_LOGGED",
        "FOLLOW_UP_COMPLETED",
        "CONTRACT_ADDED",
        "CONTACT_REMOVED",
    ]
    assert {str(e["keyAccountId"]) for e in events} == {local(account_id)}
    assert {str(e["customerId"]) for e in events} == {local(customer_id)}
    assert events[0]["detail"] == {"from": "B", "to": "A"}
    records = [str(e.get("recordId")) for e in events]
    assert records[1:] == [
        local(contact_id),
        local(contact_id),
        local(visit["visit"]["id"]),
        local(follow_up),
        local(contract["contract"]["id"]),
        local(contact_id),
    ]


async def test_links_assignments_and_profile_edits_are_logged(agent, manager, other_manager, db) -> None:
    customer_id = await organisation(agent)
    account_id = (await create_key_account(manager, customer_id))["id"]
    buyer = (await payload(manager, ADD_CONTACT, {"keyAccountId": account_id, "name": "Wang Li"}))["contact"][
        "id"
    ]
    boss = (await payload(manager, ADD_CONTACT, {"keyAccountId": account_id, "name": "Chen Jie"}))["contact"][
        "id"
    ]
    await db["events"].delete_many({})  # the contacts' own events are covered above

    link = {"fromContactId": buyer, "toContactId": boss, "relationship": "REPORTS_TO"}
    linked = await payload(manager, LINK, link)
    assert linked["errors"] == []
    relationship_id = linked["contact"]["relationships"][0]["link"]["id"]
    assert (await payload(manager, LINK, link))["errors"][0]["code"] == "DUPLICATE"  # refused: no event
    assert (await payload(manager, UNLINK, {"relationshipId": relationship_id}))["errors"] == []
    gone = await payload(manager, UNLINK, {"relationshipId": relationship_id})
    assert gone["errors"][0]["code"] == "NOT_FOUND"

    profile = {"id": account_id, "expectedVersion": 1, "industry": "Hospitality", "category": "POTENTIAL"}
    assert (await payload(manager, UPDATE_KEY_ACCOUNT, profile))["errors"] == []
    stale = await payload(manager, UPDATE_KEY_ACCOUNT, {**profile, "industry": "Mining"})
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    team = {"keyAccountId": account_id, "expectedVersion": 2, "memberIds": [other_manager.user_id]}
    assert (await payload(manager, ASSIGN_TEAM, team))["errors"] == []
    not_a_manager = {"keyAccountId": account_id, "expectedVersion": 3, "managerId": agent.user_id}
    assert (await payload(manager, ASSIGN_MANAGER, not_a_manager))["errors"][0]["code"] == "VALIDATION"
    handed_over = {"keyAccountId": account_id, "expectedVersion": 3, "managerId": other_manager.user_id}
    assert (await payload(manager, ASSIGN_MANAGER, handed_over))["errors"] == []

    events = await _events(db)
    assert [e["type"] for e in events] == [
        "CONTACTS_LINKED",
        "CONTACTS_UNLINKED",
        "KEY_ACCOUNT_UPDATED",
        "TEAM_ASSIGNED",
        "MANAGER_ASSIGNED",
    ]
    assert all(e["topic"] == "KEY_ACCOUNT" for e in events)
    assert {str(e["keyAccountId"]) for e in events} == {local(account_id)}
    assert {str(e["customerId"]) for e in events} == {local(customer_id)}
    assert [str(e.get("recordId")) for e in events[:2]] == [local(relationship_id)] * 2
    assert [e.get("detail") for e in events] == [
        {"relationship": "REPORTS_TO"},
        {"relationship": "REPORTS_TO"},
        {"fields": "category,industry"},
        None,
        None,
    ]
    assert str(events[4]["ownerId"]) == other_manager.local_user_id  # the manager now


async def test_complaints_filed_moved_and_breached_are_logged(agent, db, clock, settings) -> None:
    data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Lin Xiaoyu"}})
    customer_id = data["createCustomer"]["customer"]["id"]
    item = await file_complaint(agent, customer_id, receivedAt=(T0 - timedelta(hours=3)).isoformat())
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "sorry for the wait"})
    runner = job_runner(db, clock, settings)
    await runner.run("sla-scan")
    await runner.run("sla-scan")  # safe to run twice: one breach, one event

    events = [e for e in await _events(db) if e["topic"] == "COMPLAINT"]
    assert [e["type"] for e in events] == ["COMPLAINT_FILED", "COMPLAINT_MOVED", "COMPLAINT_SLA_BREACHED"]
    assert {str(e["complaintId"]) for e in events} == {local(item["id"])}
    assert events[1]["detail"] == {"action": "ACKNOWLEDGE", "from": "OPEN", "to": "ACKNOWLEDGED"}
    assert events[2]["detail"] == {"clock": "FIRST_RESPONSE"}
    assert all("departmentId" in e for e in events)  # routed on filing


async def _customer(agent, name: str) -> str:
    return (await agent.execute(CREATE_CUSTOMER, {"input": {"name": name}}))["createCustomer"]["customer"][
        "id"
    ]


async def test_old_events_leave_the_log_unless_a_webhook_still_needs_them(
    admin, agent, db, clock, settings, monkeypatch
) -> None:
    monkeypatch.setattr(events_prune, "BATCH", 1)  # a page per event: paging past the ones kept
    runner = job_runner(db, clock, settings)  # 30 days' retention, a day's retry window
    with Receiver(always=500) as failing:
        hook, _ = await _register(admin, failing.url, ["CUSTOMER_UPDATED"])
        a = await _customer(agent, "Lin Xiaoyu")  # CUSTOMER_CREATED: no webhook wants it
        updated = await payload(agent, UPDATE_CUSTOMER, {"id": a, "expectedVersion": 1, "name": "Lin Yu"})
        assert updated["errors"] == []
        await runner.run("webhook-deliveries")  # both fanned out; the update's delivery fails
        clock.advance(timedelta(days=2))
        await runner.run("webhook-deliveries")  # past its retry window: FAILED
    await _customer(agent, "Wu Hao")  # T0 + 2 days
    await runner.run("webhook-deliveries")  # fanned out, wanted by none
    await _customer(agent, "Zhao Min")  # T0 + 2 days, not fanned out yet
    clock.advance(timedelta(days=31))
    [failed] = (await admin.execute(DELIVERIES, {"id": hook, "status": "FAILED"}))["webhookDeliveries"][
        "edges"
    ]
    again = await payload(admin, REDELIVER, {"deliveryId": failed["node"]["id"]})
    assert again["delivery"]["status"] == "PENDING"  # its event is 33 days old
    await _customer(agent, "Chen Jie")  # today

    pruned = await runner.run("events-prune")
    assert (pruned.result.examined, pruned.result.changed) == (3, 2)
    assert "1 kept for pending webhook deliveries" in pruned.result.summary
    kept = await _events(db)
    assert [(e["type"], e["at"] - T0) for e in kept] == [
        ("CUSTOMER_UPDATED", timedelta(0)),  # its delivery is pending again
        ("CUSTOMER_CREATED", timedelta(days=2)),  # not fanned out
        ("CUSTOMER_CREATED", timedelta(days=33)),  # young
    ]
    assert (await runner.run("events-prune")).result.changed == 0  # safe to run twice
    assert await _events(db) == kept

    with Receiver() as fixed:  # the endpoint is fixed: the kept event is sent, not skipped
        await payload(admin, UPDATE, {"id": hook, "expectedVersion": 1, "url": fixed.url})
        await runner.run("webhook-deliveries")
    [(headers, _)] = fixed.requests
    assert headers["rapport-event-id"] == failed["node"]["eventId"]
    assert (await runner.run("events-prune")).result.changed == 2  # now nothing holds them
    assert [(e["type"], e["at"] - T0) for e in await _events(db)] == [
        ("CUSTOMER_CREATED", timedelta(days=33))
    ]


async def test_events_stay_while_a_subscriber_or_a_retry_may_still_read_them(agent, db, clock) -> None:
    await _customer(agent, "Lin Xiaoyu")  # T0
    clock.advance(timedelta(days=2))
    await _customer(agent, "Wu Hao")  # T0 + 2 days
    clock.advance(timedelta(days=2))  # now T0 + 4 days
    day = Settings(_env_file=None, env="development", event_retention_days=1)
    await job_runner(db, clock, day).run("webhook-deliveries")  # fan both out: only age holds them now

    def rules(**windows: int) -> Settings:
        return Settings(_env_file=None, env="development", event_retention_days=1, **windows)

    week_of_retries = rules(webhook_retry_window_hours=168)
    assert (await job_runner(db, clock, week_of_retries).run("events-prune")).result.changed == 0
    three_days_to_resume = rules(subscription_resume_window_minutes=3 * 24 * 60)
    pruned = await job_runner(db, clock, three_days_to_resume).run("events-prune")
    assert (pruned.result.examined, pruned.result.changed) == (1, 1)  # T0 + 2 days is inside the window
    assert [e["at"] - T0 for e in await _events(db)] == [timedelta(days=2)]
    assert (await job_runner(db, clock, day).run("events-prune")).result.changed == 1  # a day is a day
    assert await _events(db) == []
