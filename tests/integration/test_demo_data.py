"""The demo data a new team member meets in `make run`: believable, and idempotent."""

from demo_data import seed_demo_data
from domain.key_accounts import VisitCadence
from tests.api.dossier import KEY_ACCOUNTS
from tests.conftest import T0

# All 40 demo dossiers in one page of 50 (a page of 100 costs 5,001: over the query budget).
DOSSIERS = """{ keyAccounts(first: 50) { totalCount edges { node { grade visitOverdue
  contacts(first: 10) { edges { node { relationships { relationship } } } }
  visits(first: 1) { totalCount }
  contracts { daysToExpiry } } } } }"""


async def test_demo_data_has_customers_in_every_stage_and_living_dossiers(db, admin) -> None:
    assert await seed_demo_data(db, T0, VisitCadence()) == 300
    assert await seed_demo_data(db, T0, VisitCadence()) == 0  # idempotent
    stages = await db["customers"].distinct("lifecycleStage")
    assert len(stages) == 6

    accounts = [e["node"] for e in (await admin.execute(DOSSIERS))["keyAccounts"]["edges"]]
    assert len(accounts) == 40
    assert {a["grade"] for a in accounts} == {"A", "B", "C"}
    assert 0 < sum(a["visitOverdue"] for a in accounts) < 40
    assert sum(a["visits"]["totalCount"] for a in accounts) > 40
    assert any(0 <= c["daysToExpiry"] <= 30 for a in accounts for c in a["contracts"])
    assert any(e["node"]["relationships"] for a in accounts for e in a["contacts"]["edges"])

    overdue = (await admin.execute(KEY_ACCOUNTS, {"filter": {"visitOverdue": True}}))["keyAccounts"]
    assert overdue["totalCount"] == sum(a["visitOverdue"] for a in accounts)
