"""Purchases and touchpoints over HTTP: a purchase is recorded once however often it is
retried, it moves the customer's stage as the handbook says (actor system), its money adds
up exactly, every bad input is refused naming its field with nothing written, a journey
comes back in time order scored by the peak-end rule, tiers split at their boundaries,
who sees what, and a VIP's complaints get the VIP SLA policy."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

from schema.node import global_id
from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, organisation
from tests.api.journeys import (
    JOURNEY,
    RECORD_PURCHASE,
    RECORD_TOUCHPOINT,
    buy,
    ids_where,
    line,
    move,
    new_customer,
    purchase_input,
    purchase_result,
    touch,
    touchpoint_input,
    value_of,
)
from tests.conftest import PARTNER_ID, T0, UNKNOWN

SYSTEM = {"id": "system", "name": "system", "role": "SYSTEM"}


def local(global_id_: str) -> str:
    return base64.b64decode(global_id_).decode().partition(":")[2]


async def test_a_retried_purchase_is_recorded_once(agent, admin) -> None:
    customer = await new_customer(agent, "Lin Xiaoyu")
    order = purchase_input(customer, T0 - timedelta(hours=2), "till-7:order-1", line("LATTE", 2, "32.50", 3))
    first = await purchase_result(agent, order)
    again = await purchase_result(agent, order)
    assert first["errors"] == [] and again["errors"] == []
    assert again["purchase"] == first["purchase"]  # the same purchase answered, same id
    assert again["customer"] == {
        "id": customer,
        "lifecycleStage": "ACQUIRED",  # counted twice, it would have activated the customer
        "version": 2,
        "valueTier": "NEW",
    }

    # The same key for another request is refused and changes nothing.
    other = {**order, "lines": [line("LATTE", 3, "32.50", 3)]}
    reused = await purchase_result(agent, other)
    assert reused["purchase"] is None and reused["customer"] is None
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]

    shown = await value_of(agent, customer)
    assert shown["purchases"]["totalCount"] == 1
    assert shown["purchases"]["edges"][0]["node"] == {
        "id": first["purchase"]["id"],
        "amount": {"amount": "65.00", "currency": "CNY"},
        "units": 2,
        "points": 6,
    }
    assert (shown["rfm"]["frequency"], shown["rfm"]["monetary"]) == (1, "65.00")
    assert [h["action"] for h in shown["lifecycleHistory"]] == ["ACQUIRE"]
    day = T0.date().isoformat()
    kpis = (await admin.execute(KPI_ORDERS, {"from": day, "to": day}))["kpis"]
    assert kpis == {"orders": 1, "revenue": "65.00", "newCustomers": 1}

    # Ten identical retries racing each other record one purchase and all answer it.
    racing = purchase_input(customer, T0 - timedelta(hours=1), "till-7:order-2", line("CAKE", 1, "28"))
    results = await asyncio.gather(*[purchase_result(agent, racing) for _ in range(10)])
    assert [r["errors"] for r in results] == [[]] * 10
    assert len({r["purchase"]["id"] for r in results}) == 1
    shown = await value_of(agent, customer)
    assert shown["purchases"]["totalCount"] == 2
    assert (shown["rfm"]["frequency"], shown["rfm"]["monetary"]) == (2, "93.00")
    assert [h["action"] for h in shown["lifecycleHistory"]] == ["ACQUIRE", "ACTIVATE"]
    assert shown["valueTier"] == "REGULAR"
    kpis = (await admin.execute(KPI_ORDERS, {"from": day, "to": day}))["kpis"]
    assert kpis == {"orders": 2, "revenue": "93.00", "newCustomers": 1}

    # A touchpoint sent twice with its key is recorded once as well.
    sent = [await touch(agent, customer, T0, idempotencyKey="call-1", satisfaction=4) for _ in range(2)]
    assert sent[0]["id"] == sent[1]["id"]
    changed = touchpoint_input(customer, T0, idempotencyKey="call-1", satisfaction=2)
    refused = (await agent.execute(RECORD_TOUCHPOINT, {"input": changed}))["recordTouchpoint"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert (await value_of(agent, customer))["touchpoints"]["totalCount"] == 1


KPI_ORDERS = "query($from: Date!, $to: Date!) { kpis(from: $from, to: $to) { orders revenue newCustomers } }"


async def test_purchases_move_the_stage_they_prove_and_add_up_exactly(agent) -> None:
    prospect = await new_customer(agent, "Lin Xiaoyu")
    first = await buy(
        agent,
        prospect,
        T0 - timedelta(days=3),
        "p-1",
        line("BEANS-1KG", 3, "19.90", 5),
        line("SAMPLE", 2, "0.0150"),
        line("GRINDER", 1, "1234.5678", 120),
    )
    # 3 x 19.90 + 2 x 0.0150 + 1 x 1234.5678 = 59.70 + 0.03 + 1234.5678, exactly.
    assert first["purchase"]["amount"] == {"amount": "1294.2978", "currency": "CNY"}
    assert (first["purchase"]["units"], first["purchase"]["points"]) == (6, 135)  # 15 + 0 + 120
    assert first["purchase"]["lines"] == [
        {"sku": "BEANS-1KG", "quantity": 3, "unitPrice": "19.90", "pointsPerUnit": 5},
        {"sku": "SAMPLE", "quantity": 2, "unitPrice": "0.0150", "pointsPerUnit": 0},
        {"sku": "GRINDER", "quantity": 1, "unitPrice": "1234.5678", "pointsPerUnit": 120},
    ]
    assert first["customer"]["lifecycleStage"] == "ACQUIRED"
    second = await buy(agent, prospect, T0 - timedelta(days=1), "p-2", line("BEANS-1KG", 1, "19.90"))
    assert second["customer"]["lifecycleStage"] == "ACTIVE"
    third = await buy(agent, prospect, T0, "p-3")
    assert third["customer"]["lifecycleStage"] == "ACTIVE"
    shown = await value_of(agent, prospect)
    assert shown["lifecycleHistory"] == [
        {
            "action": "ACQUIRE",
            "from": "PROSPECT",
            "to": "ACQUIRED",
            "at": T0.isoformat(),  # when it was recorded, not when it was bought
            "reason": f"first purchase (purchase {local(first['purchase']['id'])})",
            "actor": SYSTEM,
        },
        {
            "action": "ACTIVATE",
            "from": "ACQUIRED",
            "to": "ACTIVE",
            "at": T0.isoformat(),
            "reason": f"second purchase (purchase {local(second['purchase']['id'])})",
            "actor": SYSTEM,
        },
    ]
    assert shown["rfm"] == {
        "recency": 0,
        "frequency": 3,
        "monetary": "1414.1978",  # 1294.2978 + 19.90 + 100
        "r": 5,
        "f": 3,
        "m": 3,
        "segment": "POTENTIAL",
    }
    assert shown["version"] == 3  # the two stage moves; figures do not bump the version

    # A lapsed customer's purchase wins them back.
    lapsed = await new_customer(agent, "Zhou Min")
    await move(agent, lapsed, "ACQUIRE", "LAPSE")
    won = await buy(agent, lapsed, T0, "l-1")
    assert won["customer"]["lifecycleStage"] == "ACTIVE"
    history = (await value_of(agent, lapsed))["lifecycleHistory"]
    assert [(h["action"], h["from"], h["to"]) for h in history] == [
        ("ACQUIRE", "PROSPECT", "ACQUIRED"),
        ("LAPSE", "ACQUIRED", "LAPSED"),
        ("WIN_BACK", "LAPSED", "ACTIVE"),
    ]
    assert history[-1]["actor"] == SYSTEM
    assert history[-1]["reason"] == f"purchase after lapsing (purchase {local(won['purchase']['id'])})"

    # Other stages are not moved by a purchase; one acquired by hand is activated by its
    # second purchase, not its first.
    by_hand = {
        "ACQUIRED": ("ACQUIRE",),
        "RETAINED": ("ACQUIRE", "ACTIVATE", "RETAIN"),
        "AT_RISK": ("ACQUIRE", "ACTIVATE", "FLAG_AT_RISK"),
    }
    customers = {}
    for stage, actions in by_hand.items():
        customers[stage] = await new_customer(agent, f"Customer {stage}")
        await move(agent, customers[stage], *actions)
        bought = await buy(agent, customers[stage], T0, f"{stage}-1")
        assert bought["customer"]["lifecycleStage"] == stage
        history = (await value_of(agent, customers[stage]))["lifecycleHistory"]
        assert [h["action"] for h in history] == list(actions), stage
    again = await buy(agent, customers["ACQUIRED"], T0, "ACQUIRED-2")
    assert again["customer"]["lifecycleStage"] == "ACTIVE"


async def test_bad_purchases_and_touchpoints_are_refused_naming_the_field(agent, db) -> None:
    customer = await new_customer(agent, "Lin Xiaoyu")
    good = purchase_input(customer, T0, "k", line())
    bad_purchases = [
        ({"purchasedAt": (T0 + timedelta(seconds=1)).isoformat()}, ["purchasedAt"]),
        ({"purchasedAt": (T0 - timedelta(days=3651)).isoformat()}, ["purchasedAt"]),
        ({"lines": []}, ["lines"]),
        ({"lines": [line(quantity=0)]}, ["lines[0].quantity"]),
        ({"lines": [line(), line(unit_price="1.23456")]}, ["lines[1].unitPrice"]),
        ({"lines": [line(unit_price="-0.01")]}, ["lines[0].unitPrice"]),
        ({"lines": [line(points=-1)]}, ["lines[0].pointsPerUnit"]),
        ({"lines": [line(sku="  ")]}, ["lines[0].sku"]),
        ({"lines": [line(sku=" ", quantity=0)]}, ["lines[0].sku", "lines[0].quantity"]),
        ({"currency": "USD"}, ["currency"]),
        ({"idempotencyKey": " "}, ["idempotencyKey"]),
        ({"customerId": global_id("Purchase", UNKNOWN)}, ["customerId"]),
        ({"customerId": "not-an-id"}, ["customerId"]),
    ]
    for change, fields in bad_purchases:
        result = await purchase_result(agent, {**good, **change})
        assert result["purchase"] is None, change
        got = [(e["code"], e["field"]) for e in result["errors"]]
        assert got == [("VALIDATION", f) for f in fields], change
    unknown = await purchase_result(agent, {**good, "customerId": global_id("Customer", UNKNOWN)})
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", "customerId")]

    base = touchpoint_input(customer, T0)
    bad_touchpoints = [
        ({"occurredAt": (T0 + timedelta(minutes=1)).isoformat()}, ("VALIDATION", "occurredAt")),
        ({"satisfaction": 6}, ("VALIDATION", "satisfaction")),
        ({"satisfaction": 0}, ("VALIDATION", "satisfaction")),
        ({"nps": 11}, ("VALIDATION", "nps")),
        ({"nps": -1}, ("VALIDATION", "nps")),
        ({"notes": "called back \x07 twice"}, ("VALIDATION", "notes")),
        ({"notes": "x" * 2001}, ("VALIDATION", "notes")),
        ({"customerId": global_id("User", UNKNOWN)}, ("VALIDATION", "customerId")),
        ({"customerId": global_id("Customer", UNKNOWN)}, ("NOT_FOUND", "customerId")),
    ]
    for change, error in bad_touchpoints:
        data = await agent.execute(RECORD_TOUCHPOINT, {"input": {**base, **change}})
        result = data["recordTouchpoint"]
        assert result["touchpoint"] is None, change
        assert [(e["code"], e["field"]) for e in result["errors"]] == [error], change

    shown = await value_of(agent, customer)
    assert (shown["lifecycleStage"], shown["valueTier"], shown["rfm"], shown["churnRisk"]) == (
        "PROSPECT",
        "NONE",
        None,
        None,
    )
    assert shown["purchases"]["totalCount"] == 0 and shown["touchpoints"]["totalCount"] == 0
    for collection in ("purchases", "touchpoints", "experience_rollups", "lifecycle_rollups", "rfm_cells"):
        assert await db[collection].count_documents({}) == 0, collection
    # Multi-line notes keep their line breaks.
    kept = await touch(agent, customer, T0, notes="prefers latte\nweekend mornings")
    assert kept["notes"] == "prefers latte\nweekend mornings"


async def test_a_journey_is_in_time_order_and_scored_by_peak_and_end(agent) -> None:
    customer = await new_customer(agent, "Lin Xiaoyu")

    def days_ago(n: float):
        return T0 - timedelta(days=n)

    # Recorded out of order; each rated moment's value in [-1, 1] in the comments.
    a = await touch(agent, customer, days_ago(2), satisfaction=4)  # (4-3)/2 = 0.5
    b = await touch(agent, customer, days_ago(9), nps=2, stage="PRE_SALE", type="INQUIRY")  # (2-5)/5 = -0.6
    c = await touch(agent, customer, days_ago(1), type="USAGE", notes="asked about descaling")  # unrated
    d = await touch(agent, customer, days_ago(7), satisfaction=1, stage="IN_SALE", type="DELIVERY")  # -1.0
    e = await touch(agent, customer, days_ago(5), satisfaction=5, channel="CHAT")  # 1.0
    f = await touch(agent, customer, days_ago(3), sentiment="NEGATIVE", type="REVIEW")  # -0.5
    g = await touch(agent, customer, days_ago(12), satisfaction=2)  # before every period below

    async def journey(first, last) -> dict:
        variables = {"id": customer, "from": first.isoformat(), "to": last.isoformat()}
        return (await agent.execute(JOURNEY, variables))["customer"]["journey"]

    whole = await journey(days_ago(10), T0)
    assert [t["id"] for t in whole["touchpoints"]] == [b["id"], d["id"], e["id"], f["id"], a["id"], c["id"]]
    assert (whole["touchpointCount"], whole["complete"]) == (6, True)
    # Peak: the largest |value|, D (-1.0) and E (+1.0) tie and the later, E, is remembered.
    # End: the last rated one, A (C carries no rating). 3 + 2 * (1.0 + 0.5) / 2 = 4.5.
    assert (whole["peak"], whole["end"], whole["score"]) == ({"id": e["id"]}, {"id": a["id"]}, 4.5)
    assert whole["touchpoints"][-1] == {
        "id": c["id"],
        "occurredAt": days_ago(1).isoformat(),
        "satisfaction": None,
        "nps": None,
        "sentiment": None,
        "notes": "asked about descaling",
    }

    # Both ends are inclusive: B and A sit on them.
    bounded = await journey(days_ago(9), days_ago(2))
    assert [t["id"] for t in bounded["touchpoints"]] == [b["id"], d["id"], e["id"], f["id"], a["id"]]
    assert (bounded["peak"], bounded["end"], bounded["score"]) == ({"id": e["id"]}, {"id": a["id"]}, 4.5)
    # B (-0.6) then D (-1.0): D is peak and end, 3 + 2 * (-1.0 - 1.0) / 2 = 1.
    low = await journey(days_ago(10), days_ago(6))
    assert (low["peak"], low["end"], low["score"], low["touchpointCount"]) == (
        {"id": d["id"]},
        {"id": d["id"]},
        1.0,
        2,
    )
    # A (0.5) ties F (-0.5) for the peak and, being later, is it; it is the end too: 3 + 0.5 + 0.5.
    ending = await journey(days_ago(4), T0)
    assert (ending["peak"], ending["end"], ending["score"]) == ({"id": a["id"]}, {"id": a["id"]}, 4.0)
    unrated = await journey(days_ago(1.5), T0)
    assert [t["id"] for t in unrated["touchpoints"]] == [c["id"]]
    assert (unrated["peak"], unrated["end"], unrated["score"]) == (None, None, None)

    # The customer's touchpoints: newest first, counted, paged.
    newest_first = [c, a, f, e, d, b, g]
    page = """query($id: ID!, $after: String) { customer(id: $id) { touchpoints(first: 4, after: $after) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }"""
    one = (await agent.execute(page, {"id": customer}))["customer"]["touchpoints"]
    assert one["totalCount"] == 7 and one["pageInfo"]["hasNextPage"] is True
    after = one["pageInfo"]["endCursor"]
    two = (await agent.execute(page, {"id": customer, "after": after}))["customer"]["touchpoints"]
    assert [x["node"]["id"] for x in one["edges"] + two["edges"]] == [t["id"] for t in newest_first]
    assert two["pageInfo"]["hasNextPage"] is False

    [error] = await agent.errors(
        JOURNEY, {"id": customer, "from": T0.isoformat(), "to": days_ago(1).isoformat()}
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}


async def test_value_tiers_split_at_their_boundaries(agent) -> None:
    async def customer_with(name: str, *purchases: list[dict]) -> str:
        customer = await new_customer(agent, name)
        for i, lines in enumerate(purchases):
            await buy(agent, customer, T0 - timedelta(days=10 - i), f"{name}-{i}", *lines)
        return customer

    below = await customer_with("Below VIP", [line("TV", 1, "7000")], [line("CABLE", 1, "999.99")])
    at_line = await customer_with("At VIP", [line("TV", 1, "7000")], [line("CABLE", 1, "1000.00")])
    one_big = await customer_with("One Big Order", [line("SOFA", 1, "8000")])
    one_below = await customer_with("One Order", [line("SOFA", 1, "7999.99")])
    three = await customer_with("Three Units", [line("TEA", 3, "10")])
    buy_3_get_1 = await customer_with("Four Units", [line("TEA", 3, "10"), line("TEA-FREE", 1, "0")])
    nothing = await new_customer(agent, "No Purchase")

    tiers = {c: (await value_of(agent, c))["valueTier"] for c in (below, at_line, one_big, one_below)}
    assert tiers == {below: "REGULAR", at_line: "VIP", one_big: "VIP", one_below: "NEW"}
    assert await ids_where(agent, valueTier="VIP") == {at_line, one_big}
    assert await ids_where(agent, valueTier="REGULAR") == {below}
    assert await ids_where(agent, valueTier="NEW") == {one_below, three}
    assert await ids_where(agent, valueTier="QUALITY_NEW") == {buy_3_get_1}
    assert await ids_where(agent, valueTier="NONE") == {nothing}
    # A second purchase makes a quality new customer a regular one.
    await buy(agent, buy_3_get_1, T0, "four-again", line("TEA", 1, "10"))
    assert await ids_where(agent, valueTier="QUALITY_NEW") == set()
    assert await ids_where(agent, valueTier="REGULAR") == {below, buy_3_get_1}


async def test_a_vip_customers_complaints_get_the_vip_policy(agent) -> None:
    vip = await new_customer(agent, "Big Spender")
    await buy(agent, vip, T0 - timedelta(days=1), "vip-1", line("SOFA", 2, "4000.00"))
    regular = await new_customer(agent, "Almost")
    await buy(agent, regular, T0 - timedelta(days=1), "reg-1", line("SOFA", 1, "7999.99"))
    filed = await file_complaint(agent, vip)
    assert filed["sla"]["policy"] == "VIP"
    assert filed["sla"]["firstResponse"]["dueAt"] == (T0 + timedelta(minutes=30)).isoformat()
    assert filed["sla"]["resolution"]["dueAt"] == (T0 + timedelta(hours=12)).isoformat()
    assert (await file_complaint(agent, regular))["sla"]["policy"] == "default"
    assert (await file_complaint(agent, vip, severity="CRITICAL"))["sla"]["policy"] == "critical"


# --- who sees what ------------------------------------------------------------------------------

SEEN = """query($id: ID!, $from: DateTime!, $to: DateTime!) { customer(id: $id) {
  name valueTier rfm { segment } churnRisk { score }
  purchases(first: 5) { totalCount edges { node { id } } }
  touchpoints(first: 5) { totalCount edges { node { id notes } } }
  journey(from: $from, to: $to) { touchpointCount touchpoints { id } score } } }"""
TOUCHPOINT_NODE = "query($id: ID!) { node(id: $id) { ... on Touchpoint { id notes satisfaction } } }"
REPORTS = [
    ("{ segments { count } }", "segments"),
    ('{ kpis(from: "2026-11-01", to: "2026-11-30") { orders } }', "kpis"),
    ('{ experience(from: "2026-11-01", to: "2026-11-30", groupBy: STAGE) { groupBy } }', "experience"),
]


async def test_who_sees_value_and_journeys_and_who_records_them(
    agent, admin, analyst, manager, other_manager, partner
) -> None:
    shared = await new_customer(agent, "Lin Xiaoyu", email="lin@example.com", sharedWith=[PARTNER_ID])
    booked = await organisation(agent, "Harbour Logistics Ltd")
    await create_key_account(manager, booked)
    for customer in (shared, booked):
        await buy(agent, customer, T0 - timedelta(days=1), f"{customer}-1", line("TV", 1, "8000"))
    notes = {
        shared: await touch(agent, shared, T0, satisfaction=2, notes="Lin was upset about the wait"),
        booked: await touch(agent, booked, T0, satisfaction=5, notes="the CFO liked the new terms"),
    }
    window = {"from": (T0 - timedelta(days=1)).isoformat(), "to": T0.isoformat()}

    async def seen(caller, customer: str) -> dict:
        return (await caller.execute(SEEN, {"id": customer, **window}))["customer"]

    full = await seen(agent, shared)
    assert full["valueTier"] == "VIP" and full["rfm"] == {"segment": "NEW"}
    assert full["churnRisk"] == {"score": 0.1333}  # 0.2 x the low answer, (4 - 2) / 3
    assert full["purchases"]["totalCount"] == 1
    assert full["touchpoints"]["edges"] == [
        {"node": {"id": notes[shared]["id"], "notes": "Lin was upset about the wait"}}
    ]
    assert (full["journey"]["touchpointCount"], full["journey"]["score"]) == (1, 2.0)  # 3 - 0.5 - 0.5
    assert await seen(admin, shared) == full

    nothing = {"totalCount": 0, "edges": []}
    no_journey = {"touchpointCount": 0, "touchpoints": [], "score": None}
    # A partner reads the shared customer without value, purchases or journey.
    assert await seen(partner, shared) == {
        "name": "Lin X.",
        "valueTier": None,
        "rfm": None,
        "churnRisk": None,
        "purchases": nothing,
        "touchpoints": nothing,
        "journey": no_journey,
    }
    # An analyst reads value, not the records it comes from.
    assert await seen(analyst, shared) == {
        **full,
        "name": "Lin X.",
        "purchases": nothing,
        "touchpoints": nothing,
        "journey": no_journey,
    }
    # A manager reads their book's customers in full, and nobody else's activity or value.
    mine = await seen(manager, booked)
    assert mine["touchpoints"]["edges"] == [
        {"node": {"id": notes[booked]["id"], "notes": "the CFO liked the new terms"}}
    ]
    assert (mine["valueTier"], mine["purchases"]["totalCount"], mine["journey"]["score"]) == ("VIP", 1, 5.0)
    not_mine = {
        "valueTier": None,
        "rfm": None,
        "churnRisk": None,
        "purchases": nothing,
        "touchpoints": nothing,
    }
    assert {k: (await seen(manager, shared))[k] for k in not_mine} == not_mine
    assert {k: (await seen(other_manager, booked))[k] for k in not_mine} == not_mine
    assert await ids_where(manager, valueTier="VIP") == {booked}
    # Filters on value find only customers whose value the caller may read: no guessing.
    for caller in (other_manager, partner):
        assert await ids_where(caller, valueTier="VIP") == set()
        assert await ids_where(caller, segment="NEW") == set()
        assert await ids_where(caller, churnRiskAbove=0) == set()
    assert await ids_where(analyst, churnRiskAbove=0) == {shared}

    # A touchpoint by id: in full where its customer's records are readable, else null, so
    # what the customer said never reaches whoever reads the customer masked.
    for caller, customer, shown in [
        (agent, shared, True),
        (manager, booked, True),
        (manager, shared, False),
        (other_manager, booked, False),
        (analyst, shared, False),
        (partner, shared, False),
    ]:
        node = (await caller.execute(TOUCHPOINT_NODE, {"id": notes[customer]["id"]}))["node"]
        expected = {key: notes[customer][key] for key in ("id", "notes", "satisfaction")}
        assert node == (expected if shown else None), (caller.user_id, customer)

    # Only ADMIN and CX_AGENT record; nothing is written by a refused request.
    for caller in (analyst, manager, partner):
        for document, input_ in [
            (RECORD_PURCHASE, purchase_input(booked, T0, f"refused-{caller.user_id}")),
            (RECORD_TOUCHPOINT, touchpoint_input(booked, T0)),
        ]:
            [error] = await caller.errors(document, {"input": input_})
            assert error["extensions"]["code"] == "FORBIDDEN"
    mine = await seen(agent, booked)
    assert (mine["purchases"]["totalCount"], mine["touchpoints"]["totalCount"]) == (1, 1)

    # Reports over the whole base: ADMIN, CX_AGENT and ANALYST; FORBIDDEN for the others.
    for document, field in REPORTS:
        for caller in (admin, agent, analyst):
            assert field in await caller.execute(document)
        for caller in (manager, partner):
            [error] = await caller.errors(document)
            assert error["extensions"]["code"] == "FORBIDDEN", (document, caller.user_id)

    # Erasing the customer erases what they said; the scores stay.
    erase = """mutation($input: EraseCustomerInput!) { eraseCustomer(input: $input) { errors { code } } }"""
    await admin.execute(erase, {"input": {"customerId": shared, "reason": "request #42"}})
    node = (await admin.execute(TOUCHPOINT_NODE, {"id": notes[shared]["id"]}))["node"]
    assert node == {"id": notes[shared]["id"], "notes": None, "satisfaction": 2}
