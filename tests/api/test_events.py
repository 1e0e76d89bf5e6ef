"""The event log (the outbox): every change the real-time feeds announce writes one event
in its own transaction; a refused or replayed write writes none."""

from __future__ import annotations

import base64
from datetime import timedelta

from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.queries import CREATE_CUSTOMER, UPDATE_CUSTOMER, transition
from tests.api.test_complaints import ACKNOWLEDGE
from tests.api.test_dossier_records import (
    ADD_CONTACT,
    ADD_CONTRACT,
    COMPLETE,
    LOG_VISIT,
    REMOVE_CONTACT,
    UPDATE_CONTACT,
)
from tests.api.test_key_accounts import GRADE
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


async def test_complaints_filed_moved_and_breached_are_logged(agent, db, clock, settings) -> None:
    from server.jobs import job_runner

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
