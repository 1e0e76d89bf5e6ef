"""Loyalty points over HTTP: earned from purchases and awards, redeemed soonest-expiring
first, expired by the job, once per idempotency key, never below zero (50 racing
redemptions included), referrals, and who sees what. Every test ends with the rebuild's
check: each balance is what its ledger adds up to and what is left in its lots."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

from repositories.loyalty import LoyaltyRepository
from server.settings import Settings
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.loyalty import (
    AWARD,
    RECORD_REFERRAL,
    REDEEM,
    award,
    key,
    later,
    loyalty,
    new_customer,
    purchase,
    redeem,
)
from tests.api.serving import serving
from tests.conftest import T0, GraphQLClient

DAY = timedelta(days=1)
ENTRY_NODE = """query($id: ID!) { node(id: $id) { id ... on LoyaltyEntry { points reason } } }"""


async def consistent(db) -> None:
    """The rebuild's check: running balances = ledger sums = what the lots hold."""
    assert await LoyaltyRepository(db).inconsistencies() == []


def _local(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]


async def test_a_purchase_earns_its_points_once_in_its_transaction(agent, db, mongo_client, clock) -> None:
    customer = await new_customer(agent)
    lines = [
        {"sku": "LATTE", "quantity": 3, "unitPrice": "28.00", "pointsPerUnit": 5},
        {"sku": "CAKE", "quantity": 1, "unitPrice": "35.00", "pointsPerUnit": 12},
        {"sku": "BAG", "quantity": 1, "unitPrice": "2.00"},  # no points
    ]
    at = T0 - timedelta(hours=2)
    first = await purchase(agent, customer, at, lines, idempotency_key="order-1001")
    assert first["points"] == 27
    again = await purchase(agent, customer, at, lines, idempotency_key="order-1001")  # a retry
    assert again["id"] == first["id"]

    account = await loyalty(agent, customer)
    assert (account["balance"], account["available"], account["earned"]) == (27, 27, 27)
    [entry] = [e["node"] for e in account["ledger"]["edges"]]
    assert entry["kind"] == "EARN" and entry["reason"] == entry["awardReason"] == "PURCHASE"
    assert (entry["seq"], entry["points"], entry["balanceAfter"]) == (1, 27, 27)
    assert entry["at"] == at.isoformat()  # credited as of the purchase
    assert entry["actor"] == {"name": "system", "role": "SYSTEM"}
    assert entry["lot"]["expiresAt"] == (at + 365 * DAY).isoformat()
    [lot] = [e["node"] for e in account["lots"]["edges"]]
    assert (lot["id"], lot["remaining"], lot["availableAt"]) == (entry["lot"]["id"], 27, at.isoformat())

    linked = await agent.execute(
        "query($id: ID!) { node(id: $id) { ... on LoyaltyEntry { purchase { id points } } } }",
        {"id": entry["id"]},
    )
    assert linked["node"]["purchase"] == {"id": first["id"], "points": 27}
    no_points = await purchase(agent, customer, at, [{"sku": "BAG", "quantity": 2, "unitPrice": "2.00"}])
    assert no_points["points"] == 0
    written = (await loyalty(agent, customer))["ledger"]["totalCount"]
    assert written == 1  # a purchase without points writes none

    # With a return window, purchase points are held but not spendable until it passes.
    windowed = Settings(_env_file=None, env="development", points_purchase_pending_days=7)
    async with serving(windowed, db, mongo_client, clock) as http:
        desk = GraphQLClient(http, agent.token)
        await purchase(desk, customer, T0, lines[:1])
        account = await loyalty(desk, customer)
        assert (account["balance"], account["available"]) == (42, 27)
        assert account["lots"]["edges"][-1]["node"]["availableAt"] == (T0 + 7 * DAY).isoformat()
        assert (await redeem(desk, customer, 28))["errors"][0]["code"] == "INSUFFICIENT_POINTS"
        clock.advance(7 * DAY)
        assert (await redeem(desk, customer, 42))["errors"] == []
    await consistent(db)


async def test_awards_and_redemptions_spend_the_soonest_expiring_lot_first(agent, db, clock) -> None:
    customer = await new_customer(agent)
    old = await award(agent, customer, 100, "QUESTIONNAIRE", note="spring survey")
    clock.advance(30 * DAY)
    new = await award(agent, customer, 50, "PROFILE_COMPLETION")
    assert new["errors"] == [] and new["loyalty"]["balance"] == 150
    assert new["entry"]["actor"] == {"name": "cx_agent-tester", "role": "CX_AGENT"}

    spent = await redeem(agent, customer, 120, "tea set")
    assert spent["errors"] == []
    entry = spent["entry"]
    assert (entry["kind"], entry["points"], entry["balanceAfter"], entry["reason"]) == (
        "REDEEM",
        -120,
        30,
        "tea set",
    )
    # All of the older lot (it expires first), then 20 of the newer one.
    assert [(s["lot"]["id"], s["points"]) for s in entry["fromLots"]] == [
        (old["entry"]["lot"]["id"], 100),
        (new["entry"]["lot"]["id"], 20),
    ]
    account = spent["loyalty"]
    assert (account["balance"], account["available"], account["earned"], account["redeemed"]) == (
        30,
        30,
        150,
        120,
    )

    ledger = await loyalty(agent, customer, first=2)
    assert [e["node"]["seq"] for e in ledger["ledger"]["edges"]] == [3, 2]  # newest first
    assert ledger["ledger"]["pageInfo"]["hasNextPage"] is True
    [lot] = [e["node"] for e in ledger["lots"]["edges"]]  # the spent lot is no longer open
    assert (lot["remaining"], lot["reason"]) == (30, "PROFILE_COMPLETION")
    older = await agent.execute(
        """query($id: ID!, $after: String) { customer(id: $id) { loyalty { ledger(first: 5, after: $after) {
          edges { node { seq note reason } } } } } }""",
        {"id": customer, "after": ledger["ledger"]["pageInfo"]["endCursor"]},
    )
    assert [e["node"] for e in older["customer"]["loyalty"]["ledger"]["edges"]] == [
        {"seq": 1, "note": "spring survey", "reason": "QUESTIONNAIRE"}
    ]
    await consistent(db)


async def test_erasure_removes_what_was_written_about_the_customer_and_keeps_the_points(
    agent, admin, db
) -> None:
    from tests.api.test_personal_data import ERASE, EXPORT

    customer = await new_customer(agent)
    await award(agent, customer, 100, "ACTIVITY", note="tasting evening with her mother")
    await redeem(agent, customer, 40, "gift for her husband's birthday")
    exported = (await admin.execute(EXPORT, {"id": customer}))["exportCustomerData"]["collections"]
    assert [len(exported[name]) for name in ("loyalty_ledger", "loyalty_lots", "loyalty_balances")] == [
        2,
        1,
        1,
    ]
    erased = await payload(admin, ERASE, {"customerId": customer, "reason": "data subject request #9"})
    assert erased["errors"] == []
    account = await loyalty(admin, customer)
    assert account["balance"] == 60
    assert [
        (e["node"]["points"], e["node"]["reason"], e["node"]["note"]) for e in account["ledger"]["edges"]
    ] == [
        (-40, None, None),
        (100, "ACTIVITY", None),
    ]
    await consistent(db)


async def test_a_redemption_above_the_balance_writes_nothing(agent, db, clock) -> None:
    customer = await new_customer(agent)
    await award(agent, customer, 40)
    before = {name: await db[name].count_documents({}) for name in ("loyalty_ledger", "loyalty_lots")}
    refused = await payload(
        agent, REDEEM, {"customerId": customer, "points": 41, "reason": "mug", "idempotencyKey": "r-1"}
    )
    assert refused["entry"] is None and refused["loyalty"] is None
    assert refused["errors"] == [
        {
            "code": "INSUFFICIENT_POINTS",
            "message": "the customer has 40 points available, not 41",
            "field": "points",
        }
    ]
    assert {name: await db[name].count_documents({}) for name in before} == before
    assert (await loyalty(agent, customer))["balance"] == 40

    # Points past their expiry cannot be spent, even before the job has taken them.
    await later(clock, 366 * DAY, db, agent)
    late = await redeem(agent, customer, 10)
    assert late["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    account = await loyalty(agent, customer)
    assert (account["balance"], account["available"]) == (40, 0)

    # A refused key was not used up: once the points are there, the same request applies.
    await award(agent, customer, 50)
    again = await payload(
        agent, REDEEM, {"customerId": customer, "points": 41, "reason": "mug", "idempotencyKey": "r-1"}
    )
    assert again["errors"] == [] and again["entry"]["points"] == -41
    assert (again["loyalty"]["balance"], again["loyalty"]["available"]) == (49, 9)  # 40 await the job
    await consistent(db)


async def test_each_write_happens_once_per_idempotency_key(agent, admin, db) -> None:
    customer = await new_customer(agent)
    award_input = {"customerId": customer, "points": 80, "reason": "ACTIVITY", "idempotencyKey": "a-1"}
    first = await payload(agent, AWARD, award_input)
    retried = await payload(admin, AWARD, award_input)  # whoever retries, the first answer
    assert retried["errors"] == [] and retried["entry"]["id"] == first["entry"]["id"]
    assert retried["loyalty"]["balance"] == 80

    # Six copies of one redemption of the whole balance race: one spends, the others
    # answer what it wrote (not INSUFFICIENT_POINTS, though the points are gone).
    redeem_input = {"customerId": customer, "points": 80, "reason": "voucher", "idempotencyKey": "r-1"}
    racing = await asyncio.gather(*[payload(agent, REDEEM, redeem_input) for _ in range(6)])
    assert [r["errors"] for r in racing] == [[]] * 6
    assert len({r["entry"]["id"] for r in racing}) == 1
    later_retry = await payload(agent, REDEEM, redeem_input)
    assert later_retry["entry"]["id"] == racing[0]["entry"]["id"]
    assert (await loyalty(agent, customer))["balance"] == 0  # spent once

    reused = [
        await payload(agent, AWARD, {**award_input, "points": 81}),  # same key, another award
        await payload(agent, REDEEM, {**redeem_input, "reason": "another voucher"}),
        await payload(agent, REDEEM, {**redeem_input, "idempotencyKey": "a-1"}),  # an award's key
    ]
    for result in reused:
        assert result["entry"] is None
        assert [(e["code"], e["field"]) for e in result["errors"]] == [
            ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
        ]

    for reason in ("PURCHASE", "REFERRAL"):
        typed_in = await award(agent, customer, 10, reason)
        assert [(e["code"], e["field"]) for e in typed_in["errors"]] == [("VALIDATION", "reason")]
    bad = await payload(
        agent, AWARD, {**award_input, "points": 0, "idempotencyKey": " ", "customerId": "nope"}
    )
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("VALIDATION", "customerId")]
    bad = await payload(agent, AWARD, {**award_input, "points": 0, "idempotencyKey": " "})
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("VALIDATION", "points"),
        ("VALIDATION", "idempotencyKey"),
    ]
    too_many = await redeem(agent, customer, 1_000_001)
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("VALIDATION", "points")]
    assert (await loyalty(agent, customer))["ledger"]["totalCount"] == 2
    await consistent(db)


async def test_fifty_racing_redemptions_apply_exactly_what_the_balance_covers(agent, db) -> None:
    customer = await new_customer(agent)
    await award(agent, customer, 60, "ACTIVITY")
    await award(agent, customer, 40, "QUESTIONNAIRE")
    results = await asyncio.gather(*[redeem(agent, customer, 10, f"gift {i}") for i in range(50)])
    applied = [r for r in results if r["errors"] == []]
    refused = [r for r in results if r["errors"]]
    assert len(applied) == 10 and len(refused) == 40
    assert {r["errors"][0]["code"] for r in refused} == {"INSUFFICIENT_POINTS"}
    assert sorted(r["entry"]["balanceAfter"] for r in applied) == list(range(0, 100, 10))
    account = await loyalty(agent, customer, first=100)
    assert (account["balance"], account["available"], account["redeemed"]) == (0, 0, 100)
    assert account["ledger"]["totalCount"] == 12
    assert [e["node"]["seq"] for e in account["ledger"]["edges"]] == list(range(12, 0, -1))
    await consistent(db)


async def test_the_expiry_job_takes_what_is_left_of_each_lot_once(agent, db, clock, settings) -> None:
    from server.jobs import job_runner

    customer = await new_customer(agent)
    first = await award(agent, customer, 100, "ACTIVITY")
    await later(clock, 100 * DAY, db, agent)
    second = await award(agent, customer, 70, "QUESTIONNAIRE")
    await redeem(agent, customer, 60)  # from the first lot: 40 of it left

    runner = job_runner(db, clock, settings)
    early = await runner.run("points-expiry")
    assert (early.status.value, early.result.changed) == ("SUCCEEDED", 0)  # nothing has expired

    await later(clock, 266 * DAY, db, agent)  # 366 days after the first lot was earned
    run = await runner.run("points-expiry")
    assert (run.status.value, run.result.examined, run.result.changed) == ("SUCCEEDED", 1, 1)
    assert run.result.summary == "1 lots expired (40 points) for 1 customers"
    again = await runner.run("points-expiry")
    assert (again.result.examined, again.result.changed) == (0, 0)  # safe to run twice

    account = await loyalty(agent, customer)
    assert (account["balance"], account["available"], account["expired"]) == (70, 70, 40)
    expiry = account["ledger"]["edges"][0]["node"]
    assert (expiry["kind"], expiry["points"], expiry["balanceAfter"], expiry["reason"]) == (
        "EXPIRE",
        -40,
        70,
        "EXPIRED",
    )
    assert expiry["at"] == (T0 + 365 * DAY).isoformat()  # when the lot lapsed
    assert expiry["fromLots"] == [{"points": 40, "lot": {"id": first["entry"]["lot"]["id"]}}]
    assert [e["node"]["id"] for e in account["lots"]["edges"]] == [second["entry"]["lot"]["id"]]

    await later(clock, 100 * DAY, db, agent)  # the second lot too, untouched: all of it goes
    assert (await runner.run("points-expiry")).result.changed == 1
    account = await loyalty(agent, customer)
    assert (account["balance"], account["expired"], account["lots"]["totalCount"]) == (0, 110, 0)
    await consistent(db)


async def test_a_referral_earns_the_referrer_points_at_the_new_customers_first_purchase(agent, db) -> None:
    lines = [{"sku": "LATTE", "quantity": 1, "unitPrice": "28.00", "pointsPerUnit": 5}]
    old = await new_customer(agent, "Wang Fang")
    new = await new_customer(agent, "Zhao Lei")
    other = await new_customer(agent, "Sun Mei")

    not_yet = await payload(agent, RECORD_REFERRAL, {"customerId": new, "referrerId": old})
    assert [(e["code"], e["field"]) for e in not_yet["errors"]] == [
        ("VALIDATION", "referrerId")
    ]  # old has not bought
    await purchase(agent, old, T0 - DAY, lines)
    self_referral = await payload(agent, RECORD_REFERRAL, {"customerId": old, "referrerId": old})
    assert [(e["code"], e["field"]) for e in self_referral["errors"]] == [("VALIDATION", "referrerId")]

    recorded = await payload(agent, RECORD_REFERRAL, {"customerId": new, "referrerId": old})
    assert recorded["errors"] == []
    referral = recorded["referral"]
    assert (referral["status"], referral["customer"]["id"], referral["referrer"]["id"]) == (
        "PENDING",
        new,
        old,
    )
    again = await payload(agent, RECORD_REFERRAL, {"customerId": new, "referrerId": old})
    assert again["referral"] == referral  # the same referral, once
    await purchase(agent, other, T0 - DAY, lines)
    another = await payload(agent, RECORD_REFERRAL, {"customerId": new, "referrerId": other})
    assert [(e["code"], e["field"]) for e in another["errors"]] == [("DUPLICATE", "customerId")]

    await purchase(agent, new, T0, lines)  # the first purchase verifies it
    await purchase(agent, new, T0, lines)  # a second one earns the referrer nothing more
    referrer = await loyalty(agent, old)
    assert referrer["balance"] == 5 + 200
    reward = referrer["ledger"]["edges"][0]["node"]
    assert (reward["reason"], reward["points"], reward["actor"]["role"]) == ("REFERRAL", 200, "SYSTEM")
    brought = await agent.execute(
        "query($id: ID!) { node(id: $id) { ... on LoyaltyEntry { referredCustomer { id } } } }",
        {"id": reward["id"]},
    )
    assert brought["node"]["referredCustomer"] == {"id": new}
    referred = await loyalty(agent, new)
    assert referred["balance"] == 10 and referred["referral"]["status"] == "VERIFIED"
    assert referred["referral"]["verifiedAt"] == T0.isoformat()

    bought = await payload(agent, RECORD_REFERRAL, {"customerId": other, "referrerId": old})
    assert [(e["code"], e["field"]) for e in bought["errors"]] == [("VALIDATION", "customerId")]  # not new
    await consistent(db)


async def test_loyalty_is_read_by_staff_and_by_managers_for_their_book_only(
    agent, admin, analyst, manager, other_manager, partner, db
) -> None:
    org = await organisation(agent, "Lotus Hotels Ltd")
    await create_key_account(manager, org)
    person = await new_customer(agent, sharedWith=["partner-north"])
    for customer in (org, person):
        await award(agent, customer, 30, note="event")
    query = """query($id: ID!) { customer(id: $id) { loyalty { balance ledger(first: 5) { totalCount
      edges { node { id note } } } } coupons(first: 5) { totalCount edges { node { id } } } } }"""

    full = (await admin.execute(query, {"id": org}))["customer"]
    assert full["loyalty"]["balance"] == 30
    entry = full["loyalty"]["ledger"]["edges"][0]["node"]
    assert (await manager.execute(query, {"id": org}))["customer"] == full  # their book, note and all
    assert (await manager.execute(query, {"id": person}))["customer"]["loyalty"] is None  # not their book
    for outsider in (other_manager, analyst, partner):
        seen = (await outsider.execute(query, {"id": org if outsider is not partner else person}))["customer"]
        assert seen == {"loyalty": None, "coupons": {"totalCount": 0, "edges": []}}
        assert (await outsider.execute(ENTRY_NODE, {"id": entry["id"]}))["node"] is None
    assert (await manager.execute(ENTRY_NODE, {"id": entry["id"]}))["node"] == {
        "id": entry["id"],
        "points": 30,
        "reason": "ACTIVITY",
    }

    for caller in (manager, analyst, partner):
        [refused] = await caller.errors(
            AWARD, {"input": {"customerId": org, "points": 5, "reason": "ACTIVITY", "idempotencyKey": key()}}
        )
        assert refused["extensions"]["code"] == "FORBIDDEN"
    assert (await loyalty(admin, org))["ledger"]["totalCount"] == 1  # nothing written
    unknown = await award(agent, "Q3VzdG9tZXI6NWVlZDAwMDAwMDAwMDAwMDAwMDAwOTk5", 5)  # Customer:5eed…999
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", "customerId")]
    await consistent(db)
