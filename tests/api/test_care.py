"""Care plans over HTTP: each row of domain.md §6's tables as the facts start it (first
purchase, tier reached, stage moves through recordPurchase, the lifecycle mutations and the
churn scan, reviews and community touchpoints), consent, the care-schedule job for a day
(run twice: nothing new), completing tasks once, the due list and who may read it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from tests.api.care import (
    ALL,
    COMPLETE,
    TASKS,
    TOUCHPOINT,
    customer,
    plans,
    purchase,
    run_schedule,
)
from tests.api.queries import transition
from tests.conftest import T0, UNKNOWN

DAY = timedelta(days=1)


def _plan(found: list[dict], kind: str) -> dict:
    [plan] = [p for p in found if p["kind"] == kind]
    return plan


def _tasks(plan: dict, rule: str | None = None) -> list[dict]:
    return [t for t in plan["tasks"] if rule is None or t["rule"] == rule]


async def _task_count(db) -> int:
    return await db["care_tasks"].count_documents({})


async def test_a_first_order_of_four_units_plans_a_return_visit_call_and_tips(agent) -> None:
    c = await customer(agent)
    await purchase(agent, c, T0, units=4)
    [plan] = await plans(agent, c)
    assert (plan["kind"], plan["status"], plan["skippedChannels"]) == ("QUALITY_NEW", "ACTIVE", [])
    assert plan["reason"].startswith("first purchase (purchase ")
    assert [(t["kind"], t["channel"], t["dueAt"]) for t in _tasks(plan, "quality-new-call")] == [
        ("PHONE_CALL", "PHONE", (T0 + 7 * DAY).isoformat())
    ]
    assert [t["dueAt"] for t in _tasks(plan, "new-tips")] == [
        (T0 + n * DAY).isoformat() for n in range(3, 31, 3)
    ]
    assert {t["status"] for t in plan["tasks"]} == {"PENDING"}


async def test_an_ordinary_first_order_plans_a_questionnaire_after_8_days_and_no_sms_without_consent(
    agent,
) -> None:
    c = await customer(agent, consent={"email": True})
    await purchase(agent, c, T0, units=1)
    [plan] = await plans(agent, c)
    assert plan["kind"] == "NEW"
    assert [(t["rule"], t["kind"], t["channel"], t["dueAt"]) for t in plan["tasks"]] == [
        ("new-questionnaire", "SURVEY", "EMAIL", (T0 + 8 * DAY).isoformat())
    ]
    assert plan["skippedChannels"] == ["SMS"]  # the tips were not made

    nobody = await customer(agent, "Zhao Min", consent=None)
    await purchase(agent, nobody, T0)
    [empty] = await plans(agent, nobody)
    assert (empty["tasks"], empty["status"], sorted(empty["skippedChannels"])) == (
        [],
        "COMPLETED",
        ["EMAIL", "SMS"],
    )


async def test_a_regular_gets_shipment_tracking_per_purchase_and_the_schedule_adds_the_calendar(
    agent, db, clock, settings
) -> None:
    c = await customer(agent, birthday="1990-12-05", childBirthday="2019-12-10")
    await purchase(agent, c, T0 - DAY)
    await purchase(agent, c, T0 - timedelta(hours=1))  # the second: REGULAR
    await purchase(agent, c, T0)
    regular = _plan(await plans(agent, c), "REGULAR")
    assert regular["reason"].startswith("the purchase made the customer REGULAR")
    assert [(t["channel"], t["dueAt"]) for t in _tasks(regular, "repeat-shipment-tracking")] == [
        ("SMS", (T0 - timedelta(hours=1)).isoformat()),
        ("SMS", T0.isoformat()),
    ]

    days = {
        date(2026, 12, 5): "repeat-birthday-card",
        date(2026, 12, 10): "repeat-child-birthday-card",
        date(2026, 12, 22): "repeat-monthly-email",  # the plan started on the 22nd
        date(2027, 1, 1): "repeat-holiday-greeting",
    }
    for day in days:
        first = await run_schedule(db, clock, settings, day)
        count = await _task_count(db)
        again = await run_schedule(db, clock, settings, day)
        assert (first.changed, again.changed, await _task_count(db)) == (1, 0, count), day
    assert await run_schedule(db, clock, settings, date(2026, 12, 23)) is not None
    regular = _plan(await plans(agent, c), "REGULAR")
    made = [
        (t["rule"], t["title"], t["dueAt"][:10])
        for t in regular["tasks"]
        if t["rule"] != "repeat-shipment-tracking"
    ]
    assert made == [
        ("repeat-birthday-card", "E-birthday card", "2026-12-05"),
        ("repeat-child-birthday-card", "E-birthday card for the child", "2026-12-10"),
        ("repeat-monthly-email", "Monthly email for the customer's stage", "2026-12-22"),
        ("repeat-holiday-greeting", "Holiday greeting: New Year's Day", "2027-01-01"),
    ]


async def test_two_instances_running_the_schedule_for_one_day_make_its_tasks_once(
    agent, db, clock, settings
) -> None:
    c = await customer(agent, birthday="1990-12-05")
    await purchase(agent, c, T0 - DAY)
    await purchase(agent, c, T0)
    from server.jobs import job_runner

    outcomes = await asyncio.gather(
        *(job_runner(db, clock, settings).run("care-schedule", on=date(2026, 12, 5)) for _ in range(3))
    )
    assert {o.status.value for o in outcomes} <= {"SUCCEEDED", "SKIPPED_LEASE_HELD"}
    assert await db["care_tasks"].count_documents({"rule": "repeat-birthday-card"}) == 1


async def test_reaching_vip_replaces_the_regular_plan_and_adds_tips_on_the_1st_and_15th(
    agent, db, clock, settings
) -> None:
    c = await customer(agent)
    await purchase(agent, c, T0 - DAY, price="500")
    await purchase(agent, c, T0 - timedelta(hours=2), price="500")  # REGULAR
    result = await purchase(agent, c, T0, price="7000")  # 8,000 in all: VIP
    assert result["customer"]["valueTier"] == "VIP"
    found = await plans(agent, c)
    regular, vip = _plan(found, "REGULAR"), _plan(found, "VIP")
    assert (regular["status"], regular["closedReason"]) == ("CLOSED", "superseded by the VIP plan")
    assert _tasks(regular, "repeat-shipment-tracking")[0]["status"] == "PENDING"  # planned messages stay
    assert (vip["status"], [t["rule"] for t in vip["tasks"]]) == ("ACTIVE", ["repeat-shipment-tracking"])

    for day, made in ((date(2026, 12, 1), 1), (date(2026, 12, 2), 0), (date(2026, 12, 15), 1)):
        assert (await run_schedule(db, clock, settings, day)).changed == made, day
    vip = _plan(await plans(agent, c), "VIP")
    assert [(t["dueAt"][:10], t["channel"]) for t in _tasks(vip, "vip-tips")] == [
        ("2026-12-01", "SMS"),
        ("2026-12-15", "SMS"),
    ]
    assert [p["kind"] for p in await plans(agent, c)].count("REGULAR") == 1  # no second regular plan


async def test_an_acquired_customer_who_does_not_buy_again_gets_an_activation_plan(
    agent, db, clock, settings
) -> None:
    quiet = await customer(agent, "Quiet Customer")
    await purchase(agent, quiet, T0 - 31 * DAY)
    recent = await customer(agent, "Recent Customer")
    await purchase(agent, recent, T0 - 10 * DAY)

    first = await run_schedule(db, clock, settings, T0.date())
    assert first.changed == 3  # one plan and its two tasks
    assert (await run_schedule(db, clock, settings, T0.date())).changed == 0
    assert (
        await run_schedule(db, clock, settings, (T0 + DAY).date())
    ).changed == 0  # one activation plan, ever
    activation = _plan(await plans(agent, quiet), "ACTIVATION")
    start = T0.replace(hour=0)
    assert [(t["rule"], t["channel"], t["dueAt"]) for t in activation["tasks"]] == [
        ("activation-offer", "SMS", start.isoformat()),
        ("activation-reminder", "EMAIL", (start + 7 * DAY).isoformat()),
    ]
    assert [p["kind"] for p in await plans(agent, recent)] == ["NEW"]

    clock.advance(timedelta(hours=1))
    result = await purchase(agent, quiet, T0 + timedelta(hours=1))  # the second purchase activates
    assert result["customer"]["lifecycleStage"] == "ACTIVE"
    activation = _plan(await plans(agent, quiet), "ACTIVATION")
    assert (activation["status"], activation["closedReason"]) == (
        "CLOSED",
        "no longer needed: the customer moved to ACTIVE",
    )
    assert {(t["status"], t["outcome"]) for t in activation["tasks"]} == {
        ("SKIPPED", "no longer needed: the customer moved to ACTIVE")
    }


async def _move(agent, customer_id: str, action: str, reason: str = "seen by an agent") -> dict:
    current = await agent.execute("query($id: ID!) { customer(id: $id) { version } }", {"id": customer_id})
    data = await agent.execute(
        transition(action),
        {
            "input": {
                "customerId": customer_id,
                "expectedVersion": current["customer"]["version"],
                "reason": reason,
            }
        },
    )
    result = next(iter(data.values()))
    assert result["errors"] == [], result
    return result["customer"]


async def test_flagging_at_risk_starts_a_retention_plan_and_retaining_closes_it(agent, clock) -> None:
    c = await customer(agent, consent={"phone": True})
    for action in ("ACQUIRE", "ACTIVATE"):
        await _move(agent, c, action)
    await _move(agent, c, "FLAG_AT_RISK", "sounded unhappy on the phone")
    [retention] = await plans(agent, c)
    assert (retention["kind"], retention["reason"]) == ("RETENTION", "moved to AT_RISK (FLAG_AT_RISK)")
    assert [(t["rule"], t["kind"], t["dueAt"]) for t in retention["tasks"]] == [
        ("retention-call", "PHONE_CALL", T0.isoformat())  # a timely call; the SMS offer lacks consent
    ]
    assert retention["skippedChannels"] == ["SMS"]

    clock.advance(2 * DAY)
    await _move(agent, c, "RETAIN", "accepted the offer")
    [closed] = await plans(agent, c)
    assert (closed["status"], closed["tasks"][0]["status"]) == ("CLOSED", "SKIPPED")
    clock.advance(DAY)
    await _move(agent, c, "FLAG_AT_RISK")  # at risk again: a new plan
    assert [(p["kind"], p["status"]) for p in await plans(agent, c)] == [
        ("RETENTION", "ACTIVE"),
        ("RETENTION", "CLOSED"),
    ]


async def test_the_churn_scan_lapses_into_a_win_back_plan_and_a_purchase_wins_them_back(
    agent, db, clock, settings
) -> None:
    c = await customer(agent)
    await purchase(agent, c, T0 - 200 * DAY)
    await run_schedule(db, clock, settings, T0.date(), job="churn-scan")
    found = await plans(agent, c)
    win_back = _plan(found, "WIN_BACK")
    assert win_back["reason"] == "moved to LAPSED (LAPSE)"
    assert [(t["rule"], t["kind"], t["channel"], t["dueAt"]) for t in win_back["tasks"]] == [
        ("win-back-offer", "OFFER", "SMS", T0.isoformat()),
        ("win-back-survey", "SURVEY", "EMAIL", (T0 + 3 * DAY).isoformat()),  # why did you leave
    ]
    await run_schedule(db, clock, settings, T0.date(), job="churn-scan")
    assert [p["kind"] for p in await plans(agent, c)].count("WIN_BACK") == 1  # a second scan moves no one

    clock.advance(DAY)
    result = await purchase(agent, c, T0 + DAY)
    assert result["customer"]["lifecycleStage"] == "ACTIVE"
    win_back = _plan(await plans(agent, c), "WIN_BACK")
    assert (win_back["status"], {t["status"] for t in win_back["tasks"]}) == ("CLOSED", {"SKIPPED"})


async def _touchpoint(agent, customer_id: str, **fields) -> None:
    data = await agent.execute(
        TOUCHPOINT,
        {"input": {"customerId": customer_id, "stage": "AFTER_SALE", "occurredAt": T0.isoformat(), **fields}},
    )
    assert data["recordTouchpoint"]["errors"] == [], data


async def test_low_reviews_get_a_timely_call_and_community_members_a_call_each_quarter(
    agent, db, clock, settings
) -> None:
    c = await customer(agent)
    await _touchpoint(agent, c, channel="APP", type="REVIEW", satisfaction=5)
    assert await plans(agent, c) == []
    await _touchpoint(agent, c, channel="APP", type="REVIEW", satisfaction=2)
    [review] = await plans(agent, c)
    assert review["kind"] == "REVIEW_FOLLOW_UP" and review["reason"].startswith("review rated low")
    assert [(t["kind"], t["dueAt"]) for t in review["tasks"]] == [("PHONE_CALL", T0.isoformat())]

    await _touchpoint(agent, c, channel="COMMUNITY", type="INQUIRY")
    await _touchpoint(agent, c, channel="COMMUNITY", type="USAGE")
    community = _plan(await plans(agent, c), "COMMUNITY")
    assert (community["status"], community["tasks"]) == ("ACTIVE", [])
    assert (await run_schedule(db, clock, settings, date(2027, 1, 1))).changed == 1
    assert (await run_schedule(db, clock, settings, date(2027, 2, 1))).changed == 0
    assert (await run_schedule(db, clock, settings, date(2027, 4, 1))).changed == 0  # quiet since November
    community = _plan(await plans(agent, c), "COMMUNITY")
    assert [(t["rule"], t["dueAt"][:10]) for t in community["tasks"]] == [("community-call", "2027-01-01")]


async def test_a_task_is_completed_once_and_the_plan_when_its_last_task_is(agent, admin, analyst, db) -> None:
    c = await customer(agent, consent={"email": True})
    await purchase(agent, c, T0)
    [plan] = await plans(agent, c)
    [task] = plan["tasks"]

    def complete(status: str, outcome: str | None = "answered: loves the tea", id_: str = task["id"]):
        return {"input": {"id": id_, "status": status, "outcome": outcome}}

    refused = (await agent.execute(COMPLETE, complete("PENDING", "x" * 2001)))["completeCareTask"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("VALIDATION", "status"),
        ("VALIDATION", "outcome"),
    ]
    done = (await agent.execute(COMPLETE, complete("DONE")))["completeCareTask"]
    assert done["errors"] == []
    assert (done["task"]["status"], done["task"]["outcome"], done["task"]["completedAt"]) == (
        "DONE",
        "answered: loves the tea",
        T0.isoformat(),
    )
    assert done["task"]["completedBy"] == {"name": "cx_agent-tester", "role": "CX_AGENT"}
    assert done["task"]["plan"] == {"id": plan["id"], "status": "COMPLETED"}

    again = (await admin.execute(COMPLETE, complete("FAILED")))["completeCareTask"]
    assert again["task"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_TRANSITION", "id")]
    assert "already DONE" in again["errors"][0]["message"]
    missing = (await agent.execute(COMPLETE, complete("DONE", id_=_id("CareTask", UNKNOWN))))[
        "completeCareTask"
    ]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", "id")]
    wrong = (await agent.execute(COMPLETE, complete("DONE", id_=c)))["completeCareTask"]
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("VALIDATION", "id")]
    [forbidden] = await analyst.errors(COMPLETE, complete("SKIPPED"))
    assert forbidden["extensions"]["code"] == "FORBIDDEN"

    erase = """mutation($input: EraseCustomerInput!) { eraseCustomer(input: $input) { errors { code } } }"""
    await admin.execute(erase, {"input": {"customerId": c, "reason": "data subject request #42"}})
    stored = await db["care_tasks"].find_one({})
    assert (stored["status"], "outcome" in stored) == (
        "DONE",
        False,
    )  # what they said is erased, the count stays


def _id(type_name: str, local: str) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{local}".encode()).decode()


async def test_the_due_list_is_filtered_paged_and_counted(agent) -> None:
    a = await customer(agent, "Ann Li")
    b = await customer(agent, "Bo Wu", consent={"email": True})
    await purchase(agent, a, T0)  # NEW: questionnaire on day 8, tips every 3 days
    await purchase(agent, b, T0)  # NEW: questionnaire only

    async def due(filter_: dict, first: int = 20, after: str | None = None) -> dict:
        return (await agent.execute(TASKS, {"filter": filter_, "first": first, "after": after}))["careTasks"]

    day8 = {
        "dueFrom": (T0 + 8 * DAY).replace(hour=0).isoformat(),
        "dueTo": (T0 + 9 * DAY).replace(hour=0).isoformat(),
    }
    eighth = await due({**day8, "status": "PENDING"})
    assert eighth["totalCount"] == 2
    assert {(e["node"]["rule"], e["node"]["customer"]["id"]) for e in eighth["edges"]} == {
        ("new-questionnaire", a),
        ("new-questionnaire", b),
    }
    assert (await due({"customerId": b}))["totalCount"] == 1
    sms = await due({"channel": "SMS"}, first=4)
    assert sms["totalCount"] == 10 and sms["pageInfo"]["hasNextPage"]
    dues = [e["node"]["dueAt"] for e in sms["edges"]]
    more = await due({"channel": "SMS"}, first=20, after=sms["pageInfo"]["endCursor"])
    assert dues + [e["node"]["dueAt"] for e in more["edges"]] == [
        (T0 + n * DAY).isoformat() for n in range(3, 31, 3)
    ]
    assert (await due({"status": "DONE"}))["totalCount"] == 0
    assert (await due({"ownerId": agent.user_id}))["totalCount"] == 0  # automatic tasks have no owner yet
    [bad] = await agent.errors(TASKS, {"filter": {"dueFrom": day8["dueTo"], "dueTo": day8["dueFrom"]}})
    assert (bad["extensions"]["code"], bad["extensions"]["field"]) == ("BAD_USER_INPUT", "filter.dueTo")
    [bad_id] = await agent.errors(TASKS, {"filter": {"customerId": agent.user_id}})
    assert bad_id["extensions"]["field"] == "filter.customerId"


READ = """query($id: ID!, $plan: ID!, $task: ID!) {
  customer(id: $id) { carePlans(first: 5) { totalCount edges { node { id } } } }
  plan: node(id: $plan) { id } task: node(id: $task) { id }
  careTasks(first: 5) { totalCount } carePlans(first: 5) { totalCount } }"""


async def test_care_plans_are_read_like_purchases(
    agent, admin, manager, other_manager, analyst, partner
) -> None:
    from tests.api.dossier import create_key_account, organisation

    org = await organisation(agent, "Lotus Hotels Ltd")
    await create_key_account(manager, org, grade="A")
    await agent.execute(
        "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { errors { code } } }",
        {"i": {"id": org, "expectedVersion": 1, "consent": ALL, "sharedWith": ["partner-north"]}},
    )
    await purchase(agent, org, T0)
    [plan] = await plans(agent, org)
    variables = {"id": org, "plan": plan["id"], "task": plan["tasks"][0]["id"]}

    def seen(data: dict) -> tuple:
        customer = data["customer"]
        return (
            customer["carePlans"]["totalCount"] if customer else None,
            data["plan"] is not None,
            data["task"] is not None,
            data["careTasks"]["totalCount"],
            data["carePlans"]["totalCount"],
        )

    tasks = len(plan["tasks"])
    assert seen(await admin.execute(READ, variables)) == (1, True, True, tasks, 1)
    assert seen(await manager.execute(READ, variables)) == (1, True, True, tasks, 1)  # their book
    assert seen(await other_manager.execute(READ, variables)) == (0, False, False, 0, 0)
    assert seen(await analyst.execute(READ, variables)) == (0, False, False, 0, 0)  # aggregates only
    assert seen(await partner.execute(READ, variables)) == (0, False, False, 0, 0)  # shared, yet none
    for caller in (manager, analyst, partner):
        [error] = await caller.errors(COMPLETE, {"input": {"id": plan["tasks"][0]["id"], "status": "DONE"}})
        assert error["extensions"]["code"] == "FORBIDDEN"


PAGE = """{ customers(first: 20) { edges { node { id carePlans(first: 5) { edges { node {
  id kind tasks(first: 5) { id dueAt } } } } } } } }"""


async def test_care_plans_of_a_page_of_customers_cost_the_same_commands_for_2_as_for_6(agent) -> None:
    async def commands() -> int:
        response = await agent.post(PAGE)
        body = response.json()
        assert "errors" not in body, body
        return body["extensions"]["db"]["commands"]

    for n in range(2):
        await purchase(agent, await customer(agent, f"Early Customer{n}"), T0)
    few = await commands()
    for n in range(4):
        await purchase(agent, await customer(agent, f"Late Customer{n}"), T0)
    assert await commands() == few == 4  # token, customers, their plans, the plans' tasks


RULES = "{ careTemplates { id rule name active appliesTo taskKind channel marketing schedule { type days forDays monthDays everyMonths } } }"
UPDATE_RULE = """mutation($input: UpdateCareTemplateInput!) { updateCareTemplate(input: $input) {
  template { id rule active schedule { type days monthDays everyMonths } } errors { code message field } } }"""


async def test_a_business_changes_a_cadence_without_code(
    admin, agent, analyst, partner, db, clock, settings
) -> None:
    rules = {t["rule"]: t for t in (await analyst.execute(RULES))["careTemplates"]}
    assert len(rules) == 18
    assert rules["new-questionnaire"]["schedule"] == {
        "type": "AFTER",
        "days": 8,
        "forDays": 0,
        "monthDays": [],
        "everyMonths": 1,
    }
    assert (rules["key-account-letter"]["marketing"], rules["vip-tips"]["appliesTo"]) == (False, ["VIP"])

    async def update(**fields) -> dict:
        return (await admin.execute(UPDATE_RULE, {"input": fields}))["updateCareTemplate"]

    sooner = await update(id=rules["new-questionnaire"]["id"], days=5)
    assert (sooner["errors"], sooner["template"]["schedule"]["days"]) == ([], 5)
    refused = await update(id=rules["new-questionnaire"]["id"], monthDays=[1])
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "monthDays")]
    odd = await update(id=rules["vip-tips"]["id"], everyMonths=5, monthDays=[0])
    assert [(e["code"], e["field"]) for e in odd["errors"]] == [
        ("VALIDATION", "monthDays[0]"),
        ("VALIDATION", "everyMonths"),
    ]
    off = await update(id=rules["vip-tips"]["id"], active=False)
    assert off["template"]["active"] is False
    [forbidden] = await agent.errors(UPDATE_RULE, {"input": {"id": rules["vip-tips"]["id"], "active": True}})
    assert forbidden["extensions"]["code"] == "FORBIDDEN"

    newcomer = await customer(agent, "Ann Li", consent={"email": True})
    await purchase(agent, newcomer, T0)
    [plan] = await plans(agent, newcomer)
    assert [t["dueAt"] for t in plan["tasks"]] == [(T0 + 5 * DAY).isoformat()]  # the new cadence
    vip = await customer(agent, "Bo Wu")
    await purchase(agent, vip, T0, price="9000")
    assert (await run_schedule(db, clock, settings, date(2026, 12, 1))).changed == 0  # tips switched off
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await analyst.execute(node, {"id": rules["vip-tips"]["id"]}))["node"] is not None
    assert (await partner.execute(node, {"id": rules["vip-tips"]["id"]}))["node"] is None
