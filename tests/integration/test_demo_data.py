"""The demo data a new team member meets in `make run`: believable, and idempotent.

Seeding the demo writes some 7,000 documents (tens of seconds on the embedded server), so
the module seeds one database of its own once and its tests read it (the recorded purchase
at the end changes nothing the other test reads)."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pymongo
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from demo_data import seed_demo_data
from domain.key_accounts import VisitCadence
from domain.users import Role, User
from migrations import migrate
from resolvers import reports
from resolvers.context import Context
from resolvers.reports import ExperienceGrouping
from resolvers.rollups import rebuild
from schema.node import global_id
from server.app import create_app
from server.clock import FixedClock
from server.database import Database
from server.settings import Settings
from tests.api.dossier import KEY_ACCOUNTS
from tests.conftest import T0, GraphQLClient, _caller

# All 40 demo dossiers in one page of 50 (a page of 100 costs 5,001: over the query budget).
DOSSIERS = """{ keyAccounts(first: 50) { totalCount edges { node { grade visitOverdue
  contacts(first: 10) { edges { node { relationships { relationship } } } }
  visits(first: 1) { totalCount }
  purchases(first: 1) { totalCount }
  contracts { daysToExpiry } } } } }"""
COUNT = "query($filter: CustomerFilter) { customers(first: 1, filter: $filter) { totalCount } }"
RECORD = """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  customer { id } errors { code message } } }"""
SEGMENTS = ("HIGH_VALUE_LOYAL", "POTENTIAL", "NEW", "AT_RISK", "CANNOT_LOSE", "DORMANT")
RULES = Settings(_env_file=None).value_rules


@pytest.fixture(scope="module")
async def demo(mongo_client: AsyncMongoClient) -> AsyncIterator[AsyncDatabase]:
    """A database holding the default demo, seeded once for the module."""
    db = mongo_client[f"rapport_demo_{uuid.uuid4().hex[:12]}"]
    await migrate(db, T0)
    assert await seed_demo_data(db, T0, VisitCadence(), RULES) == 300
    yield db
    with pymongo.timeout(120):  # thousands of documents: longer than a request's deadline
        await mongo_client.drop_database(db.name)


@pytest.fixture
async def admin(demo, mongo_client, settings) -> AsyncIterator[GraphQLClient]:
    """An admin of the app over the demo database."""
    app = create_app(settings, database=Database(client=mongo_client, db=demo), clock=FixedClock(T0))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rapport.test"
    ) as http:
        yield await _caller(http, demo, Role.ADMIN, T0)


async def test_demo_data_has_customers_in_every_stage_and_living_dossiers(demo, admin) -> None:
    db = demo
    assert await seed_demo_data(db, T0, VisitCadence(), RULES) == 0  # idempotent
    stages = await db["customers"].distinct("lifecycleStage")
    assert len(stages) == 6

    accounts = [e["node"] for e in (await admin.execute(DOSSIERS))["keyAccounts"]["edges"]]
    assert len(accounts) == 40
    assert {a["grade"] for a in accounts} == {"A", "B", "C"}
    assert 0 < sum(a["visitOverdue"] for a in accounts) < 40
    assert sum(a["visits"]["totalCount"] for a in accounts) > 40
    assert all(a["purchases"]["totalCount"] > 0 for a in accounts)  # key accounts are buyers
    assert any(0 <= c["daysToExpiry"] <= 30 for a in accounts for c in a["contracts"])
    assert any(e["node"]["relationships"] for a in accounts for e in a["contacts"]["edges"])

    overdue = (await admin.execute(KEY_ACCOUNTS, {"filter": {"visitOverdue": True}}))["keyAccounts"]
    assert overdue["totalCount"] == sum(a["visitOverdue"] for a in accounts)


def _stage_fits(stage: str, purchases: list, now) -> bool:
    """What a stage says about the purchases (domain.md §2), as the demo makes them."""
    days = (now - max(purchases)).days if purchases else None
    return {
        "PROSPECT": not purchases,
        "ACQUIRED": len(purchases) == 1 and days is not None and days <= 180,
        "ACTIVE": len(purchases) >= 2 and days is not None and days <= 180,
        "RETAINED": len(purchases) >= 2 and days is not None and days <= 180,
        "AT_RISK": len(purchases) >= 2 and days is not None and 60 <= days <= 180,
        "LAPSED": days is not None and days > 180,
    }[stage]


async def test_demo_journeys_are_believable_and_their_totals_are_the_rebuilds(demo, admin) -> None:
    db, rules = demo, RULES
    purchases = await db["purchases"].count_documents({})
    touchpoints = await db["touchpoints"].count_documents({})
    assert 2_000 <= purchases <= 5_000 and 2_000 <= touchpoints <= 5_000  # about 10 each

    # Stages fit the purchases, and nothing happened after `now` or before the customer existed.
    bought: dict = {}
    async for p in db["purchases"].find({}, {"customerId": 1, "purchasedAt": 1, "lines": 1, "amount": 1}):
        bought.setdefault(p["customerId"], []).append(p["purchasedAt"])
        assert (
            sum(x["quantity"] * x["unitPrice"].to_decimal() for x in p["lines"])
            == p["amount"]["amount"].to_decimal()
        )
    async for c in db["customers"].find({}, {"lifecycleStage": 1, "createdAt": 1, "lifecycleHistory": 1}):
        mine = bought.get(c["_id"], [])
        assert _stage_fits(c["lifecycleStage"], mine, T0), (c["lifecycleStage"], mine)
        assert all(c["createdAt"] <= at <= T0 for at in mine)
        assert all(c["createdAt"] <= e["at"] <= T0 for e in c["lifecycleHistory"])
    assert await db["touchpoints"].count_documents({"occurredAt": {"$gt": T0}}) == 0
    assert await db["touchpoints"].count_documents({"impact": {"$gt": 0}}) > 0

    # Every value tier and the playbook's segments are there.
    for tier in ("NONE", "NEW", "QUALITY_NEW", "REGULAR", "VIP"):
        found = await admin.execute(COUNT, {"filter": {"valueTier": tier}})
        assert found["customers"]["totalCount"] > 0, tier
    counts = {}
    for segment in SEGMENTS:
        counts[segment] = (await admin.execute(COUNT, {"filter": {"segment": segment}}))["customers"][
            "totalCount"
        ]
    assert all(counts[s] > 0 for s in ("HIGH_VALUE_LOYAL", "POTENTIAL", "DORMANT")), counts
    assert await db["customers"].count_documents({"figures.churnRisk.score": {"$gt": 0.6}}) > 0

    # The totals are what a rebuild gives: rebuilding changes nothing.
    before = {
        c: [d async for d in db[c].find({})]
        for c in ("customers", "rfm_cells", "lifecycle_rollups", "experience_rollups")
    }
    await rebuild(db, rules, T0)
    for collection, docs in before.items():
        assert [d async for d in db[collection].find({})] == docs, collection

    # And the reports read from them answer what the raw events give.
    viewer = User(id=admin.local_user_id, name="admin-tester", role=Role.ADMIN)
    ctx = Context(viewer=viewer, request_id="test", clock=lambda: T0, db=db, value_rules=rules)
    first, last = T0.date() - timedelta(days=365), T0.date()
    assert await reports.segments(ctx, None) == await reports.segments(ctx, None, raw=True)
    assert await reports.key_figures(ctx, first, last) == await reports.key_figures(
        ctx, first, last, raw=True
    )
    for grouping in ExperienceGrouping:
        totals = await reports.experience(ctx, first, last, grouping)
        assert totals == await reports.experience(ctx, first, last, grouping, raw=True)
        # Bad moments concentrate where the demo puts them: the hotline after the sale, the app
        # while buying.
        top = {h.key for h in totals.hotspots[:2]}
        assert top == (
            {"AFTER_SALE", "IN_SALE"} if grouping is ExperienceGrouping.STAGE else {"PHONE", "APP"}
        )

    # A purchase recorded on top is counted where the demo's totals are kept.
    active = await db["customers"].find_one({"lifecycleStage": "ACTIVE"})
    recorded = await admin.execute(
        RECORD,
        {
            "input": {
                "customerId": global_id("Customer", str(active["_id"])),
                "purchasedAt": (T0 - timedelta(hours=2)).isoformat(),
                "channel": "APP",
                "lines": [{"sku": "LATTE-M", "quantity": 2, "unitPrice": "32.00", "pointsPerUnit": 3}],
                "idempotencyKey": "test-purchase-on-the-demo",
            }
        },
    )
    assert recorded["recordPurchase"]["errors"] == []
    kept = (await db["customers"].find_one({"_id": active["_id"]}))["figures"]
    assert kept["orders"] == active["figures"]["orders"] + 1
    assert await reports.segments(ctx, None) == await reports.segments(ctx, None, raw=True)
