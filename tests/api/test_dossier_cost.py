"""What a dossier query costs: one database round trip per relation level, whatever the
number of accounts (DataLoaders, created per request)."""

from datetime import timedelta

import pytest

from demo_data import dossier_documents, store_dossiers
from domain.customers import CustomerKind
from domain.key_accounts import VisitCadence
from repositories.customers import CustomerRepository, new_customer_document
from server.settings import Settings

BOOK = """query($first: Int!) {
  keyAccounts(first: $first) {
    totalCount
    edges { node {
      id grade visitOverdue nextVisitDueAt
      customer { id name }
      manager { id name }
      team { id name }
      contacts(first: 10) { totalCount edges { node { id name decisionRole
        relationships { relationship direction contact { id name } } } } }
      visits(first: 5) { edges { node { id visitedAt purpose
        visitors { name } followUps { action done owner { name } } } } }
      contracts { id endsOn daysToExpiry fees { amount currency } }
      purchases(first: 3) { totalCount edges { node { id units } } }
      complaints(first: 3) { totalCount edges { node { id } } }
    } }
  }
}"""


@pytest.fixture
def settings() -> Settings:
    # A book of 50 full dossiers costs 11,701, over the default query budget: this test
    # measures round trips, not the limit.
    return Settings(_env_file=None, env="development", max_query_cost=20_000)


@pytest.fixture
async def fifty_dossiers(db, clock, manager, other_manager) -> None:
    now = clock()
    organisations = [
        new_customer_document(
            {"name": f"Account {n}", "kind": CustomerKind.ORGANIZATION}, now - timedelta(days=400 - n)
        )
        for n in range(50)
    ]
    await CustomerRepository(db).insert_many(organisations)
    dossiers = dossier_documents(
        organisations, [manager.local_user_id, other_manager.local_user_id], now, VisitCadence()
    )
    assert await store_dossiers(db, dossiers) == 50


async def _cost(caller, first: int) -> tuple[int, dict]:
    response = await caller.post(BOOK, {"first": first})
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["extensions"]["db"]["commands"], body["data"]


async def test_a_book_of_50_costs_what_a_book_of_5_costs(admin, fifty_dossiers) -> None:
    five_cost, five = await _cost(admin, 5)
    fifty_cost, fifty = await _cost(admin, 50)
    assert len(five["keyAccounts"]["edges"]) == 5 and len(fifty["keyAccounts"]["edges"]) == 50
    accounts = [e["node"] for e in fifty["keyAccounts"]["edges"]]
    assert sum(len(a["contacts"]["edges"]) for a in accounts) > 100  # the levels really are populated
    assert sum(len(a["visits"]["edges"]) for a in accounts) > 50
    assert any(
        c["contact"] for a in accounts for e in a["contacts"]["edges"] for c in e["node"]["relationships"]
    )
    assert fifty_cost == five_cost, (five_cost, fifty_cost)
    # token; accounts page + count; one per relation: customers, users (manager and team;
    # visitors and owners are then cache hits), contacts + count, relationships (their
    # contacts are primed by the contacts page), visits, contracts, purchases + count,
    # complaints + count
    assert fifty_cost == 14


async def test_a_manager_sees_only_their_book_at_the_same_cost(manager, fifty_dossiers) -> None:
    cost, data = await _cost(manager, 50)
    assert data["keyAccounts"]["totalCount"] == 25
    assert {e["node"]["manager"]["name"] for e in data["keyAccounts"]["edges"]} == {"Wang Fang"}
    assert cost == 15  # the admin's 14, and one for the manager's book (their scope)
