"""The demo's loyalty ledgers and coupons: consistent with the rules, in every state,
idempotent and quick."""

from demo_data import demo_documents
from demo_loyalty import seed_demo_loyalty
from repositories.loyalty import LoyaltyRepository
from server.database import counting_commands
from server.jobs import job_runner
from tests.conftest import T0

LEDGER = """query($first: Int) { customers(first: $first) { edges { node {
  loyalty { balance available ledger(first: 1) { totalCount edges { node { balanceAfter } } } }
  coupons(first: 5) { edges { node { status } } } } } } }"""


async def test_demo_ledgers_follow_the_rules_and_seed_once(db, admin, clock, settings) -> None:
    await db["customers"].insert_many(demo_documents(T0))  # the demo customers, as demo_data seeds them
    with counting_commands() as count:
        added = await seed_demo_loyalty(db, T0)
    assert added > 1000
    assert count.commands < 40  # bulk inserts (of 250), not one write per entry
    assert await seed_demo_loyalty(db, T0) == 0  # idempotent
    assert await LoyaltyRepository(db).inconsistencies() == []  # balances = ledgers = lots

    kinds = await db["loyalty_ledger"].distinct("kind")
    reasons = await db["loyalty_ledger"].distinct("awardReason")
    assert sorted(kinds) == ["EARN", "EXPIRE", "REDEEM"]
    assert {"PURCHASE", "ACTIVITY", "QUESTIONNAIRE", "PROFILE_COMPLETION"} <= set(reasons)

    customers = [e["node"] for e in (await admin.execute(LEDGER, {"first": 100}))["customers"]["edges"]]
    with_points = [c["loyalty"] for c in customers if c["loyalty"]["ledger"]["totalCount"]]
    assert len(with_points) > 30
    for account in with_points:  # the newest entry's balance is the balance
        assert (
            account["ledger"]["edges"][0]["node"]["balanceAfter"]
            == account["balance"]
            >= account["available"]
        )
    statuses = {e["node"]["status"] for c in customers for e in c["coupons"]["edges"]}
    assert statuses == {"ACTIVE", "REDEEMED", "EXPIRED", "NOT_YET_VALID"}

    expiry = await job_runner(db, clock, settings).run("points-expiry")
    assert expiry.result.changed == 0  # the demo is as the job leaves it
