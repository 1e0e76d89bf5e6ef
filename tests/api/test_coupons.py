"""Coupons over HTTP: issued to a customer or to a segment's or tier's customers in bulk
(once per key), redeemed once inside their window, refused with typed errors otherwise,
and read within the access policy."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from schema.node import global_id
from server.settings import Settings
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.loyalty import COUPONS, ISSUE_COUPON, REDEEM_COUPON, key, new_customer, purchase
from tests.api.serving import serving
from tests.conftest import T0, GraphQLClient

DAY = timedelta(days=1)
LATTE = [{"sku": "LATTE", "quantity": 1, "unitPrice": "28.00"}]


def _coupon_input(**fields) -> dict:
    return {
        "value": {"amount": "20.00", "currency": "CNY"},
        "validFrom": T0.isoformat(),
        "validTo": (T0 + 30 * DAY).isoformat(),
        **fields,
    }


async def issue(caller, **fields) -> dict:
    return await payload(caller, ISSUE_COUPON, _coupon_input(**fields))


async def redeem(caller, coupon: str, idempotency_key: str | None = None) -> dict:
    return await payload(
        caller, REDEEM_COUPON, {"couponId": coupon, "idempotencyKey": idempotency_key or key()}
    )


def codes(result: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


async def test_a_coupon_is_issued_to_a_customer_and_redeemed_once(agent, admin, db) -> None:
    customer = await new_customer(agent)
    issued = await issue(agent, customerId=customer)
    assert issued["errors"] == [] and issued["issuedCount"] == 1
    coupon = issued["coupon"]
    assert (coupon["status"], coupon["value"], coupon["customer"]) == (
        "ACTIVE",
        {"amount": "20.00", "currency": "CNY"},
        {"id": customer},
    )
    listed = (await agent.execute(COUPONS, {"id": customer}))["customer"]["coupons"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == coupon["id"]
    keyed = [await issue(agent, customerId=customer, idempotencyKey="welcome-1") for _ in range(2)]
    assert keyed[0]["coupon"]["id"] == keyed[1]["coupon"]["id"]  # a retry answers the first coupon
    assert (await agent.execute(COUPONS, {"id": customer}))["customer"]["coupons"]["totalCount"] == 2

    used = await redeem(agent, coupon["id"], "use-1")
    assert used["errors"] == []
    assert (used["coupon"]["status"], used["coupon"]["redeemedAt"]) == ("REDEEMED", T0.isoformat())
    assert used["coupon"]["redeemedBy"] == {"name": "cx_agent-tester"}
    retried = await redeem(admin, coupon["id"], "use-1")  # a retry answers the redemption
    assert retried["errors"] == [] and retried["coupon"] == used["coupon"]
    second = await redeem(agent, coupon["id"])
    assert second["coupon"] is None
    assert codes(second) == [("COUPON_USED", "couponId")]
    assert second["errors"][0]["message"] == f"the coupon was redeemed at {T0.isoformat(timespec='minutes')}"

    other = (await issue(agent, customerId=customer))["coupon"]
    assert codes(await redeem(agent, other["id"], "use-1")) == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]
    racing = await asyncio.gather(*[redeem(agent, other["id"]) for _ in range(10)])
    assert sorted(len(r["errors"]) for r in racing) == [0] + [1] * 9  # one applies
    assert {codes(r)[0] for r in racing if r["errors"]} == {("COUPON_USED", "couponId")}
    assert await db["coupons"].count_documents({"redeemedAt": {"$exists": True}}) == 2
    assert await db["coupons"].count_documents({}) == 3

    unknown = await redeem(agent, global_id("Coupon", "5eed00000000000000000999"))
    assert codes(unknown) == [("NOT_FOUND", "couponId")]
    wrong_type = await redeem(agent, customer)
    assert codes(wrong_type) == [("VALIDATION", "couponId")]


async def test_a_coupon_is_redeemable_only_inside_its_window(agent, clock) -> None:
    customer = await new_customer(agent)
    early = (await issue(agent, customerId=customer, validFrom=(T0 + 2 * DAY).isoformat()))["coupon"]
    assert early["status"] == "NOT_YET_VALID"
    refused = await redeem(agent, early["id"])
    assert codes(refused) == [("COUPON_NOT_YET_VALID", "couponId")]
    short = (await issue(agent, customerId=customer, validTo=(T0 + DAY).isoformat()))["coupon"]

    clock.advance(2 * DAY)
    assert (await redeem(agent, early["id"]))["coupon"]["status"] == "REDEEMED"  # its window opened
    expired = await redeem(agent, short["id"])
    assert codes(expired) == [("COUPON_EXPIRED", "couponId")]
    statuses = (await agent.execute(COUPONS, {"id": customer}))["customer"]["coupons"]["edges"]
    assert sorted(e["node"]["status"] for e in statuses) == ["EXPIRED", "REDEEMED"]

    bad = await issue(
        agent,
        customerId=customer,
        value={"amount": "-1", "currency": "EUR"},
        validFrom=(T0 + 10 * DAY).isoformat(),
        validTo=(T0 + 5 * DAY).isoformat(),
    )
    assert bad["coupon"] is None
    assert codes(bad) == [
        ("VALIDATION", "value.amount"),
        ("VALIDATION", "value.currency"),
        ("VALIDATION", "validTo"),
    ]
    neither = await issue(agent)
    assert codes(neither) == [("VALIDATION", "customerId")]


async def test_a_segment_or_tier_gets_one_coupon_per_customer_once_per_key(
    agent, db, mongo_client, clock, settings
) -> None:
    new = [await new_customer(agent, f"New {i}") for i in range(3)]
    regular = [await new_customer(agent, f"Regular {i}") for i in range(2)]
    await new_customer(agent, "Prospect")  # no purchase: in tier NONE
    for customer in new + regular:
        await purchase(agent, customer, T0 - 3 * DAY, LATTE)
    for customer in regular:
        await purchase(agent, customer, T0 - DAY, LATTE)

    without_key = await issue(agent, valueTier="REGULAR")
    assert codes(without_key) == [("VALIDATION", "idempotencyKey")]
    to_regulars = await issue(agent, valueTier="REGULAR", idempotencyKey="spring-regulars")
    assert (to_regulars["errors"], to_regulars["coupon"], to_regulars["issuedCount"]) == ([], None, 2)
    retries = await asyncio.gather(
        *[issue(agent, valueTier="REGULAR", idempotencyKey="spring-regulars") for _ in range(3)]
    )
    assert [r["issuedCount"] for r in retries] == [2, 2, 2]
    assert await db["coupons"].count_documents({}) == 2  # a retried bulk issue adds none
    for customer in regular:
        [coupon] = (await agent.execute(COUPONS, {"id": customer}))["customer"]["coupons"]["edges"]
        assert coupon["node"]["status"] == "ACTIVE"
    reused = await issue(agent, valueTier="NEW", idempotencyKey="spring-regulars")
    assert codes(reused) == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]

    to_new = await issue(
        agent, segment="NEW", idempotencyKey="welcome-back", value={"amount": "5", "currency": "CNY"}
    )
    assert to_new["issuedCount"] == 3  # one purchase, recent: the NEW segment
    nobody = await issue(agent, valueTier="VIP", idempotencyKey="vip-gala")
    assert (nobody["errors"], nobody["issuedCount"]) == ([], 0)
    assert await db["coupons"].count_documents({}) == 5

    small = Settings(_env_file=None, env="development", coupon_issue_max=2)
    async with serving(small, db, mongo_client, clock) as http:
        capped = await issue(GraphQLClient(http, agent.token), segment="NEW", idempotencyKey="too-many")
    assert codes(capped) == [("VALIDATION", "segment")]
    assert await db["coupons"].count_documents({}) == 5  # refused whole, nothing issued


async def test_coupons_are_read_by_staff_and_by_managers_for_their_book(
    agent, manager, other_manager, analyst, partner
) -> None:
    org = await organisation(agent, "Lotus Hotels Ltd")
    await create_key_account(manager, org)
    coupon = (await issue(agent, customerId=org))["coupon"]
    node = "query($id: ID!) { node(id: $id) { id ... on Coupon { status } } }"
    assert (await manager.execute(COUPONS, {"id": org}))["customer"]["coupons"]["totalCount"] == 1
    assert (await manager.execute(node, {"id": coupon["id"]}))["node"] == {
        "id": coupon["id"],
        "status": "ACTIVE",
    }
    for outsider in (other_manager, analyst, partner):
        found = (await outsider.execute(COUPONS, {"id": org}))["customer"]
        assert found is None or found["coupons"] == {"totalCount": 0, "edges": []}
        assert (await outsider.execute(node, {"id": coupon["id"]}))["node"] is None
    for caller in (manager, analyst, partner):
        [refused] = await caller.errors(
            REDEEM_COUPON, {"input": {"couponId": coupon["id"], "idempotencyKey": key()}}
        )
        assert refused["extensions"]["code"] == "FORBIDDEN"
        [refused] = await caller.errors(ISSUE_COUPON, {"input": _coupon_input(customerId=org)})
        assert refused["extensions"]["code"] == "FORBIDDEN"
    assert (await agent.execute(node, {"id": coupon["id"]}))["node"]["status"] == "ACTIVE"  # nothing redeemed
