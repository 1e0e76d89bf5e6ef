"""The demo care data: plans from the real rules with tasks in every state, an activity each
quarter with its figures, key-account letters with a satisfaction trend; idempotent."""

from datetime import timedelta

from demo_care import seed_demo_care
from demo_data import demo_documents, seed_demo_dossiers
from domain.care import quarter_of
from domain.key_accounts import VisitCadence
from repositories.customers import CustomerRepository
from server.database import connect
from tests.conftest import T0

QUARTER = """query($q: String) { careActivities(quarter: $q) { activityCount meetsTarget invited participated
  participationRate averageSatisfaction } }"""
TRENDS = """{ keyAccounts(first: 40) { edges { node { satisfaction(from: "2025-06-01", to: "2027-12-31") {
  slipping periods { letters answers } } } } } }"""


async def test_demo_care_has_plans_tasks_in_every_state_activities_and_letters(db, admin, mongo_uri) -> None:
    # The demo customers and dossiers care is planned for (seed_demo_data calls
    # seed_demo_care last); seeding writes thousands of documents: a patient client for it.
    client, patient = connect(mongo_uri, db.name, timeout_ms=120_000)
    try:
        await CustomerRepository(patient).insert_many(demo_documents(T0))
        await seed_demo_dossiers(patient, T0, VisitCadence())
        assert await seed_demo_care(patient, T0) > 500
        assert await seed_demo_care(patient, T0) == 0  # idempotent
    finally:
        await client.close()
    statuses = await db["care_tasks"].distinct("status")
    assert sorted(statuses) == ["DONE", "FAILED", "PENDING", "SKIPPED"]
    kinds = set(await db["care_plans"].distinct("kind"))
    assert {"NEW", "QUALITY_NEW", "REGULAR", "VIP", "ACTIVITY", "KEY_ACCOUNT_LETTERS"} <= kinds
    due = "query($f: CareTaskFilter) { careTasks(first: 5, filter: $f) { totalCount } }"
    day = {"dueFrom": (T0 - timedelta(days=7)).isoformat(), "dueTo": (T0 + timedelta(days=7)).isoformat()}
    assert (await admin.execute(due, {"f": day}))["careTasks"]["totalCount"] > 10

    for back in range(5):
        quarter = quarter_of(T0.date() - timedelta(days=91 * back))
        figures = (await admin.execute(QUARTER, {"q": quarter}))["careActivities"]
        assert figures["activityCount"] == 1 and figures["meetsTarget"], quarter
        assert figures["invited"] > 0
    past = (await admin.execute(QUARTER, {"q": quarter_of(T0.date() - timedelta(days=91))}))["careActivities"]
    assert 0 < past["participated"] <= past["invited"] and past["averageSatisfaction"] is not None

    trends = [e["node"]["satisfaction"] for e in (await admin.execute(TRENDS))["keyAccounts"]["edges"]]
    assert any(t["slipping"] for t in trends) and not all(t["slipping"] for t in trends)
    assert all(p["answers"] <= p["letters"] for t in trends for p in t["periods"])
