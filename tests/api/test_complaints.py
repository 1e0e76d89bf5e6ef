"""Complaints over HTTP: filing from a channel, routing, every move allowed and refused,
the SLA clocks met and breached, policy overrides, the compensation threshold, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.complaints import FILE_COMPLAINT, file_complaint
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.queries import CREATE_CUSTOMER
from tests.conftest import T0

FIELDS = """complaint { id status version owner { name } department { name } compensation { amount currency status }
  resolution rootCause satisfaction fixHeld
  sla { policy firstResponse { dueAt metAt breached remainingSeconds running paused }
        resolution { startedAt dueAt metAt breached remainingSeconds running paused }
        followUp { dueAt metAt breached } }
  history { action from to note } }
  errors { code message field }"""


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {FIELDS} }} }}"


ACKNOWLEDGE = _mutation("acknowledgeComplaint", "AcknowledgeComplaintInput")
START = _mutation("startComplaintWork", "ComplaintIdInput")
WAIT = _mutation("waitOnCustomer", "ComplaintReasonInput")
RESOLVE = _mutation("resolveComplaint", "ResolveComplaintInput")
APPROVE = _mutation("approveCompensation", "ComplaintIdInput")
FOLLOW_UP = _mutation("recordComplaintFollowUp", "ComplaintFollowUpInput")
REOPEN = _mutation("reopenComplaint", "ComplaintReasonInput")
DISCARD = _mutation("discardFeedback", "ComplaintReasonInput")
ASSIGN = _mutation("assignComplaint", "AssignComplaintInput")
COMPLAINTS = """query($filter: ComplaintFilter) { complaints(first: 50, filter: $filter) {
  totalCount edges { node { id summary status } } } }"""


@pytest.fixture
async def customer(agent) -> str:
    data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Lin Xiaoyu", "email": "lin@example.com"}})
    return data["createCustomer"]["customer"]["id"]


async def test_filing_routes_by_category_and_starts_the_clocks(agent, customer) -> None:
    item = await file_complaint(
        agent, customer, category="LOGISTICS", description="the parcel came a week late"
    )
    assert item["status"] == "OPEN"
    assert item["department"] == {"name": "Logistics"}  # the routing rule for LOGISTICS
    assert item["history"] == [
        {
            "action": "FILE",
            "from": None,
            "to": "OPEN",
            "actor": {"name": "cx_agent-tester", "role": "CX_AGENT"},
            "note": None,
        }
    ]
    sla = item["sla"]
    assert sla["policy"] == "default"
    assert sla["firstResponse"]["dueAt"] == (T0 + timedelta(hours=1)).isoformat()
    assert sla["resolution"]["dueAt"] == (T0 + timedelta(hours=24)).isoformat()
    assert sla["firstResponse"]["remainingSeconds"] == 3600
    assert sla["followUp"] is None  # starts at the resolution
    other = await file_complaint(agent, customer, category="OTHER")
    assert other["department"] == {"name": "Customer Service"}  # the default rule


async def test_filing_is_validated(agent, customer, clock) -> None:
    result = (
        await agent.execute(
            FILE_COMPLAINT,
            {
                "input": {
                    "customerId": customer,
                    "channel": "EMAIL",
                    "kind": "COMPLAINT",
                    "category": "SERVICE",
                    "severity": "LOW",
                    "summary": " ",
                    "receivedAt": (T0 + timedelta(hours=1)).isoformat(),
                }
            },
        )
    )["fileComplaint"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("VALIDATION", "summary"),
        ("VALIDATION", "receivedAt"),
    ]


async def test_the_whole_loop_meets_every_clock(agent, admin, customer, clock) -> None:
    item = await file_complaint(agent, customer)
    clock.advance(timedelta(minutes=20))
    acknowledged = await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "sorry, we are on it"})
    assert acknowledged["errors"] == []
    first = acknowledged["complaint"]["sla"]["firstResponse"]
    assert (first["metAt"], first["breached"], first["running"]) == (
        (T0 + timedelta(minutes=20)).isoformat(),
        False,
        False,
    )
    assert (await payload(agent, START, {"id": item["id"]}))["complaint"]["status"] == "IN_PROGRESS"
    clock.advance(timedelta(hours=2))
    resolved = await payload(
        agent,
        RESOLVE,
        {
            "id": item["id"],
            "resolution": "re-sent with express",
            "rootCause": "sorting error",
            "compensation": {"amount": "50", "currency": "CNY"},
        },
    )
    complaint = resolved["complaint"]
    assert complaint["status"] == "RESOLVED"
    assert complaint["compensation"] == {"amount": "50", "currency": "CNY", "status": "GRANTED"}
    assert complaint["sla"]["resolution"]["breached"] is False
    follow_up_due = T0 + timedelta(minutes=140) + timedelta(days=3)
    assert complaint["sla"]["followUp"]["dueAt"] == follow_up_due.isoformat()
    clock.advance(timedelta(days=1))
    closed = await payload(agent, FOLLOW_UP, {"id": item["id"], "satisfaction": 4, "fixHeld": True})
    assert closed["complaint"]["status"] == "CLOSED"
    assert (closed["complaint"]["satisfaction"], closed["complaint"]["fixHeld"]) == (4, True)
    assert closed["complaint"]["sla"]["followUp"]["breached"] is False
    assert [h["action"] for h in closed["complaint"]["history"]] == [
        "FILE",
        "ACKNOWLEDGE",
        "START_WORK",
        "RESOLVE",
        "RECORD_FOLLOW_UP",
    ]
    assert closed["complaint"]["version"] == 5


async def test_clocks_breach_when_late_and_a_backdated_item_is_breached_at_once(
    agent, customer, clock
) -> None:
    late = await file_complaint(agent, customer, receivedAt=(T0 - timedelta(hours=3)).isoformat())
    first = late["sla"]["firstResponse"]
    assert (first["breached"], first["remainingSeconds"]) == (True, -7200)
    fresh = await file_complaint(agent, customer, summary="rude courier")
    clock.advance(timedelta(hours=2))
    acknowledged = await payload(agent, ACKNOWLEDGE, {"id": fresh["id"], "response": "we apologise"})
    assert acknowledged["complaint"]["sla"]["firstResponse"]["breached"] is True  # met, but late
    breached = (await agent.execute(COMPLAINTS, {"filter": {"breached": True}}))["complaints"]
    assert breached["totalCount"] == 2
    on_time = (await agent.execute(COMPLAINTS, {"filter": {"breached": False}}))["complaints"]
    assert on_time["totalCount"] == 0


async def test_refused_moves_are_invalid_transitions_and_change_nothing(agent, admin, customer) -> None:
    item = await file_complaint(agent, customer)
    for document, input_ in [
        (RESOLVE, {"id": item["id"], "resolution": "done"}),  # not acknowledged yet
        (FOLLOW_UP, {"id": item["id"], "satisfaction": 5, "fixHeld": True}),
        (REOPEN, {"id": item["id"], "reason": "again"}),
        (APPROVE, {"id": item["id"]}),
    ]:
        result = await payload(admin, document, input_)
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_TRANSITION", "id")], document
    await payload(agent, DISCARD, {"id": item["id"], "reason": "spam"})
    result = await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "hello"})
    assert result["errors"][0]["code"] == "INVALID_TRANSITION"
    [node] = (await agent.execute(COMPLAINTS))["complaints"]["edges"]
    assert node["node"]["status"] == "DISCARDED"


async def test_concurrent_moves_cannot_both_apply(agent, customer) -> None:
    import asyncio

    item = await file_complaint(agent, customer)
    results = await asyncio.gather(
        *[payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": f"reply {i}"}) for i in range(5)]
    )
    assert sum(1 for r in results if not r["errors"]) == 1
    assert {e["code"] for r in results for e in r["errors"]} <= {"VERSION_CONFLICT", "INVALID_TRANSITION"}


async def test_a_stale_expected_version_is_a_conflict(agent, customer) -> None:
    item = await file_complaint(agent, customer)
    result = await payload(agent, START, {"id": item["id"], "expectedVersion": 7})
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("VERSION_CONFLICT", "expectedVersion")]


async def test_compensation_above_the_limit_waits_for_an_admin(agent, admin, customer, clock) -> None:
    item = await file_complaint(agent, customer)
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "on it"})
    held = await payload(
        agent,
        RESOLVE,
        {"id": item["id"], "resolution": "refund", "compensation": {"amount": "100.01", "currency": "CNY"}},
    )
    complaint = held["complaint"]
    assert complaint["status"] == "PENDING_APPROVAL"
    assert complaint["compensation"]["status"] == "PENDING_APPROVAL"
    assert complaint["sla"]["resolution"]["metAt"] is None  # not resolved until approved
    refused = (await agent.post(APPROVE, {"input": {"id": item["id"]}})).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    clock.advance(timedelta(hours=1))
    approved = await payload(admin, APPROVE, {"id": item["id"]})
    assert approved["complaint"]["status"] == "RESOLVED"
    assert approved["complaint"]["compensation"]["status"] == "GRANTED"
    assert approved["complaint"]["sla"]["resolution"]["metAt"] == (T0 + timedelta(hours=1)).isoformat()
    at_limit = await file_complaint(agent, customer)
    await payload(agent, ACKNOWLEDGE, {"id": at_limit["id"], "response": "on it"})
    granted = await payload(
        agent,
        RESOLVE,
        {"id": at_limit["id"], "resolution": "refund", "compensation": {"amount": "100", "currency": "CNY"}},
    )
    assert granted["complaint"]["status"] == "RESOLVED"


async def test_waiting_on_the_customer_stops_the_clocks(agent, customer, clock) -> None:
    item = await file_complaint(agent, customer)
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "which parcel?"})
    clock.advance(timedelta(hours=1))
    waiting = await payload(agent, WAIT, {"id": item["id"], "reason": "asked for the tracking number"})
    assert waiting["complaint"]["status"] == "WAITING_ON_CUSTOMER"
    clock.advance(timedelta(hours=30))  # past the 24 h target, but the clock stood still
    resumed = await payload(agent, START, {"id": item["id"]})
    resolution = resumed["complaint"]["sla"]["resolution"]
    assert resolution["dueAt"] == (T0 + timedelta(hours=54)).isoformat()
    assert resolution["breached"] is False
    assert resolution["paused"] == "P1DT6H"


async def test_reopening_starts_a_new_resolution_clock(agent, customer, clock) -> None:
    item = await file_complaint(agent, customer)
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "ok"})
    await payload(agent, RESOLVE, {"id": item["id"], "resolution": "re-sent"})
    clock.advance(timedelta(days=2))
    reopened = await payload(agent, REOPEN, {"id": item["id"], "reason": "it never came"})
    resolution = reopened["complaint"]["sla"]["resolution"]
    assert reopened["complaint"]["status"] == "IN_PROGRESS"
    assert resolution["startedAt"] == (T0 + timedelta(days=2)).isoformat()
    assert resolution["metAt"] is None and resolution["running"] is True


async def test_policies_give_critical_items_and_grade_a_accounts_tighter_targets(
    agent, manager, customer
) -> None:
    critical = await file_complaint(agent, customer, severity="CRITICAL")
    assert critical["sla"]["policy"] == "critical"
    assert critical["sla"]["firstResponse"]["dueAt"] == (T0 + timedelta(minutes=30)).isoformat()
    organisation_id = await organisation(agent, "Harbour Logistics Ltd")
    account = await create_key_account(manager, organisation_id, grade="A")
    grade_a = await file_complaint(manager, organisation_id, keyAccountId=account["id"])
    assert grade_a["sla"]["policy"] == "key account grade A"
    assert grade_a["sla"]["resolution"]["dueAt"] == (T0 + timedelta(hours=12)).isoformat()


async def test_a_policy_change_does_not_move_open_clocks(agent, customer, db) -> None:
    item = await file_complaint(agent, customer)
    await db["sla_policies"].update_one({"_id": "default"}, {"$set": {"targets.FIRST_RESPONSE.seconds": 60}})
    query = "query($id: ID!) { complaint(id: $id) { sla { firstResponse { dueAt } } } }"
    shown = (await agent.execute(query, {"id": item["id"]}))["complaint"]
    assert shown["sla"]["firstResponse"]["dueAt"] == (T0 + timedelta(hours=1)).isoformat()
    newer = await file_complaint(agent, customer)
    assert newer["sla"]["firstResponse"]["dueAt"] == (T0 + timedelta(minutes=1)).isoformat()


async def test_assigning_routes_to_a_department_and_an_owner(agent, manager, customer) -> None:
    item = await file_complaint(agent, customer)
    departments = (await agent.execute("{ departments(first: 10) { edges { node { id name } } } }"))[
        "departments"
    ]
    billing = next(e["node"]["id"] for e in departments["edges"] if e["node"]["name"] == "Billing")
    result = await payload(
        agent, ASSIGN, {"id": item["id"], "departmentId": billing, "ownerId": agent.user_id}
    )
    assert result["complaint"]["department"] == {"name": "Billing"}
    assert result["complaint"]["owner"] == {"name": "cx_agent-tester"}
    assert result["complaint"]["status"] == "OPEN"
    mine = await agent.execute(COMPLAINTS, {"filter": {"ownerId": agent.user_id, "departmentId": billing}})
    assert mine["complaints"]["totalCount"] == 1


async def test_who_files_and_reads_complaints(agent, manager, analyst, partner, customer) -> None:
    await file_complaint(agent, customer, description="Lin's parcel is lost")
    for caller in (analyst, partner):
        refused = (
            await caller.post(
                FILE_COMPLAINT,
                {
                    "input": {
                        "customerId": customer,
                        "channel": "PHONE",
                        "kind": "COMPLAINT",
                        "category": "OTHER",
                        "severity": "LOW",
                        "summary": "x",
                    }
                },
            )
        ).json()
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    # A manager reads only their book's items; a partner none; an analyst without the texts.
    assert (await manager.execute(COMPLAINTS))["complaints"]["totalCount"] == 0
    assert (await partner.execute(COMPLAINTS))["complaints"]["totalCount"] == 0
    seen = await analyst.execute(
        "{ complaints(first: 5) { totalCount edges { node { summary description } } } }"
    )
    assert seen["complaints"]["totalCount"] == 1
    assert seen["complaints"]["edges"][0]["node"] == {"summary": "late delivery", "description": None}


STATS = """query($from: Date!, $to: Date!) { complaintStats(from: $from, to: $to) {
  filed byCategory { key count } byKind { key count } byChannel { key count }
  firstResponses averageFirstResponseSeconds medianFirstResponseSeconds
  compliance { clock met onTime rate }
  complianceByOwner { id clocks { clock met onTime } }
  complianceByDepartment { id clocks { clock met onTime } }
  resolved reopened reopenRate } }"""


async def test_the_figures_on_a_small_set_computed_by_hand(agent, analyst, partner, customer, clock) -> None:
    first = await file_complaint(agent, customer, category="LOGISTICS", channel="PHONE")
    second = await file_complaint(agent, customer, category="LOGISTICS", channel="EMAIL")
    third = await file_complaint(
        agent, customer, category="BILLING", channel="PHONE", kind="SUGGESTION_SERVICE_QUALITY"
    )
    await payload(agent, ASSIGN, {"id": first["id"], "ownerId": agent.user_id})
    clock.advance(timedelta(minutes=20))
    await payload(agent, ACKNOWLEDGE, {"id": first["id"], "response": "on it"})  # 1,200 s
    clock.advance(timedelta(minutes=10))
    await payload(agent, ACKNOWLEDGE, {"id": third["id"], "response": "thanks"})  # 1,800 s
    clock.advance(timedelta(minutes=60))
    await payload(agent, ACKNOWLEDGE, {"id": second["id"], "response": "sorry"})  # 5,400 s: late
    clock.advance(timedelta(minutes=30))
    await payload(agent, RESOLVE, {"id": first["id"], "resolution": "re-sent"})  # 2 h: on time
    await payload(agent, REOPEN, {"id": first["id"], "reason": "still missing"})

    day = T0.date().isoformat()
    stats = (await analyst.execute(STATS, {"from": day, "to": day}))["complaintStats"]
    assert stats["filed"] == 3
    assert stats["byCategory"] == [{"key": "BILLING", "count": 1}, {"key": "LOGISTICS", "count": 2}]
    assert stats["byKind"] == [
        {"key": "COMPLAINT", "count": 2},
        {"key": "SUGGESTION_SERVICE_QUALITY", "count": 1},
    ]
    assert stats["byChannel"] == [{"key": "EMAIL", "count": 1}, {"key": "PHONE", "count": 2}]
    assert stats["firstResponses"] == 3
    assert stats["averageFirstResponseSeconds"] == 2800  # (1200 + 1800 + 5400) / 3
    assert stats["medianFirstResponseSeconds"] == 1800
    assert stats["compliance"] == [
        {"clock": "FIRST_RESPONSE", "met": 3, "onTime": 2, "rate": 2 / 3},
        {"clock": "RESOLUTION", "met": 1, "onTime": 1, "rate": 1.0},
    ]
    assert stats["complianceByOwner"] == [
        {
            "id": agent.user_id,
            "clocks": [
                {"clock": "FIRST_RESPONSE", "met": 1, "onTime": 1},
                {"clock": "RESOLUTION", "met": 1, "onTime": 1},
            ],
        }
    ]
    by_department = {len(d["clocks"]): d for d in stats["complianceByDepartment"]}
    logistics = by_department[2]["clocks"]  # first response and resolution met there
    assert logistics == [
        {"clock": "FIRST_RESPONSE", "met": 2, "onTime": 1},
        {"clock": "RESOLUTION", "met": 1, "onTime": 1},
    ]
    assert (stats["resolved"], stats["reopened"], stats["reopenRate"]) == (1, 1, 1.0)
    empty = (await analyst.execute(STATS, {"from": "2020-01-01", "to": "2020-01-31"}))["complaintStats"]
    assert (empty["filed"], empty["medianFirstResponseSeconds"], empty["reopenRate"]) == (0, None, None)
    [refused] = await partner.errors(STATS, {"from": day, "to": day})
    assert refused["extensions"]["code"] == "FORBIDDEN"
    [too_long] = await analyst.errors(STATS, {"from": "2025-01-01", "to": "2026-12-31"})
    assert too_long["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}


async def test_sla_scan_records_each_breach_once(agent, customer, db, clock, settings) -> None:
    from server.jobs import job_runner

    item = await file_complaint(agent, customer, receivedAt=(T0 - timedelta(hours=3)).isoformat())
    runner = job_runner(db, clock, settings)
    first = await runner.run("sla-scan")
    assert (first.status.value, first.result.changed) == ("SUCCEEDED", 1)  # the first response is late
    again = await runner.run("sla-scan")
    assert again.result.changed == 0  # safe to run twice
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "sorry for the wait"})  # met, late
    assert (await runner.run("sla-scan")).result.changed == 0  # the same breach, not a new one
    clock.advance(timedelta(hours=22))  # the resolution is now late too
    assert (await runner.run("sla-scan")).result.changed == 1
    events = await db["complaint_events"].find({}, {"clock": 1, "type": 1, "_id": 0}).to_list()
    assert sorted(e["clock"] for e in events) == ["FIRST_RESPONSE", "RESOLUTION"]
    assert {e["type"] for e in events} == {"SLA_BREACHED"}


async def test_the_queue_costs_the_same_commands_for_5_items_as_for_50(agent, customer, manager) -> None:
    query = """query($n: Int) { complaints(first: $n) { edges { node { id summary customer { name }
      owner { name } department { name } sla { firstResponse { dueAt breached } } } } } }"""
    for i in range(50):
        await file_complaint(agent, customer, category=["LOGISTICS", "BILLING", "OTHER"][i % 3])
    costs = []
    for n in (5, 50):
        body = (await agent.post(query, {"n": n})).json()
        assert len(body["data"]["complaints"]["edges"]) == n
        costs.append(body["extensions"]["db"]["commands"])
    assert costs[0] == costs[1]  # token, page, customers, owners, departments


IMPROVE = """mutation($input: PlanImprovementInput!) { planImprovement(input: $input) {
  complaint { status trainingCase improvementActions { action dueAt trainingCase owner { name } }
    history { action note } } errors { code message field } } }"""
NEED = """mutation($input: RecordCustomerNeedInput!) { recordCustomerNeed(input: $input) {
  complaint { customerNeeds { need recordedAt } history { action } } errors { code message field } } }"""


async def test_a_resolved_complaint_becomes_an_improvement_and_a_training_case(agent, customer, db) -> None:
    item = await file_complaint(agent, customer)
    early = await payload(
        agent,
        IMPROVE,
        {
            "id": item["id"],
            "action": "x",
            "ownerId": agent.user_id,
            "dueAt": (T0 + timedelta(days=30)).isoformat(),
        },
    )
    assert [e["code"] for e in early["errors"]] == ["INVALID_TRANSITION"]  # not resolved yet
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "ok"})
    await payload(agent, RESOLVE, {"id": item["id"], "resolution": "re-sent"})
    planned = await payload(
        agent,
        IMPROVE,
        {
            "id": item["id"],
            "action": "double-check labels at the sorting centre",
            "ownerId": agent.user_id,
            "dueAt": (T0 + timedelta(days=30)).isoformat(),
            "trainingCase": True,
        },
    )
    assert planned["errors"] == []
    complaint = planned["complaint"]
    assert complaint["status"] == "RESOLVED" and complaint["trainingCase"] is True
    assert complaint["improvementActions"] == [
        {
            "action": "double-check labels at the sorting centre",
            "dueAt": (T0 + timedelta(days=30)).isoformat(),
            "trainingCase": True,
            "owner": {"name": "cx_agent-tester"},
        }
    ]
    assert complaint["history"][-1]["action"] == "PLAN_IMPROVEMENT"
    assert await db["improvement_actions"].count_documents({}) == 1


async def test_a_demand_suggestion_records_a_customer_need(agent, analyst, customer) -> None:
    complaint = await file_complaint(agent, customer)
    refused = await payload(agent, NEED, {"id": complaint["id"], "need": "weekend delivery"})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "id")]
    suggestion = await file_complaint(
        agent, customer, kind="SUGGESTION_SERVICE_DEMAND", summary="deliver on Sundays"
    )
    recorded = await payload(agent, NEED, {"id": suggestion["id"], "need": "weekend delivery"})
    assert recorded["complaint"]["customerNeeds"] == [
        {"need": "weekend delivery", "recordedAt": T0.isoformat()}
    ]
    query = "query($id: ID!) { complaint(id: $id) { customerNeeds { need } } }"
    assert (await analyst.execute(query, {"id": suggestion["id"]}))["complaint"]["customerNeeds"] == []


async def test_a_business_hours_policy_counts_only_open_hours(agent, customer, db) -> None:
    # Data, not code: a policy for LOW items on a 09:00-17:00 Monday-Friday calendar in Shanghai.
    await db["sla_policies"].insert_one(
        {
            "_id": "low-business-hours",
            "name": "low, business hours",
            "order": 5,
            "match": {"severities": ["LOW"]},
            "targets": {"FIRST_RESPONSE": {"seconds": 3600, "businessHours": True}},
            "calendar": {
                "timeZone": "Asia/Shanghai",
                "weeklyHours": [[d, "09:00", "17:00"] for d in range(5)],
                "holidays": [],
            },
        }
    )
    friday_1630 = "2026-11-20T08:30:00+00:00"  # 16:30 in Shanghai
    item = await file_complaint(agent, customer, severity="LOW", receivedAt=friday_1630)
    assert item["sla"]["policy"] == "low, business hours"
    # Half an hour on Friday, half on Monday: Monday 09:30 in Shanghai.
    assert item["sla"]["firstResponse"]["dueAt"] == "2026-11-23T01:30:00+00:00"
    # The resolution target is the default's, in calendar time.
    assert item["sla"]["resolution"]["dueAt"] == "2026-11-21T08:30:00+00:00"


# Every move from every status: allowed where the loop says, INVALID_TRANSITION elsewhere.
PATHS = {  # how to bring a fresh item to each status
    "OPEN": [],
    "ACKNOWLEDGED": ["ack"],
    "IN_PROGRESS": ["ack", "start"],
    "WAITING_ON_CUSTOMER": ["ack", "wait"],
    "PENDING_APPROVAL": ["ack", "resolve_big"],
    "RESOLVED": ["ack", "resolve"],
    "CLOSED": ["ack", "resolve", "follow_up"],
    "DISCARDED": ["discard"],
}
MOVES = {
    "ack": (ACKNOWLEDGE, {"response": "hello"}),
    "start": (START, {}),
    "wait": (WAIT, {"reason": "asked for photos"}),
    "resolve": (RESOLVE, {"resolution": "fixed"}),
    "resolve_big": (RESOLVE, {"resolution": "refund", "compensation": {"amount": "500", "currency": "CNY"}}),
    "approve": (APPROVE, {}),
    "follow_up": (FOLLOW_UP, {"satisfaction": 5, "fixHeld": True}),
    "reopen": (REOPEN, {"reason": "again"}),
    "discard": (DISCARD, {"reason": "spam"}),
}
ALLOWED = {
    "ack": {"OPEN"},
    "start": {"OPEN", "ACKNOWLEDGED", "WAITING_ON_CUSTOMER"},
    "wait": {"ACKNOWLEDGED", "IN_PROGRESS"},
    "resolve": {"ACKNOWLEDGED", "IN_PROGRESS"},
    "approve": {"PENDING_APPROVAL"},
    "follow_up": {"RESOLVED"},
    "reopen": {"RESOLVED", "CLOSED"},
    "discard": {"OPEN", "ACKNOWLEDGED"},
}


@pytest.mark.parametrize("status", list(PATHS))
async def test_every_move_from_every_status(admin, customer, status) -> None:
    for move, allowed_from in ALLOWED.items():
        item = await file_complaint(admin, customer)
        for step in PATHS[status]:
            document, extra = MOVES[step]
            assert (await payload(admin, document, {"id": item["id"], **extra}))["errors"] == [], step
        document, extra = MOVES[move]
        result = await payload(admin, document, {"id": item["id"], **extra})
        if status in allowed_from:
            assert result["errors"] == [], (move, status, result["errors"])
        else:
            assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_TRANSITION", "id")], (
                move,
                status,
            )


async def test_a_late_resolution_and_a_late_follow_up_are_breaches(agent, customer, clock) -> None:
    item = await file_complaint(agent, customer)
    await payload(agent, ACKNOWLEDGE, {"id": item["id"], "response": "ok"})
    clock.advance(timedelta(hours=25))
    resolved = (await payload(agent, RESOLVE, {"id": item["id"], "resolution": "finally"}))["complaint"]
    assert resolved["sla"]["resolution"]["breached"] is True
    assert resolved["sla"]["resolution"]["remainingSeconds"] == -3600
    clock.advance(timedelta(days=4))
    closed = (await payload(agent, FOLLOW_UP, {"id": item["id"], "satisfaction": 2, "fixHeld": False}))[
        "complaint"
    ]
    assert closed["sla"]["followUp"]["breached"] is True


async def test_the_queue_filters(agent, manager, customer, clock) -> None:
    organisation_id = await organisation(agent, "Harbour Logistics Ltd")
    account = await create_key_account(manager, organisation_id)
    logistics = await file_complaint(agent, customer, category="LOGISTICS")
    billing = await file_complaint(
        agent, customer, category="BILLING", receivedAt=(T0 - timedelta(days=3)).isoformat()
    )
    theirs = await file_complaint(manager, organisation_id, keyAccountId=account["id"], category="SERVICE")
    await payload(agent, ACKNOWLEDGE, {"id": logistics["id"], "response": "ok"})

    async def ids(**filter_) -> set[str]:
        found = (await agent.execute(COMPLAINTS, {"filter": filter_}))["complaints"]["edges"]
        return {e["node"]["id"] for e in found}

    assert await ids(status="ACKNOWLEDGED") == {logistics["id"]}
    assert await ids(status="OPEN") == {billing["id"], theirs["id"]}
    assert await ids(category="BILLING") == {billing["id"]}
    assert await ids(customerId=customer) == {logistics["id"], billing["id"]}
    assert await ids(keyAccountId=account["id"]) == {theirs["id"]}
    assert await ids(receivedTo=(T0 - timedelta(days=1)).isoformat()) == {billing["id"]}
    assert await ids(receivedFrom=(T0 - timedelta(hours=1)).isoformat()) == {logistics["id"], theirs["id"]}
    # The manager's queue holds only their book's customers' items.
    mine = (await manager.execute(COMPLAINTS))["complaints"]
    assert [e["node"]["id"] for e in mine["edges"]] == [theirs["id"]]
    [error] = await agent.errors(COMPLAINTS, {"filter": {"customerId": account["id"]}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.customerId"}
