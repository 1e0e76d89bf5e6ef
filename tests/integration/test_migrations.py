"""Migrations against the real server: idempotent, recorded, and enforced by the database."""

import pytest
from bson import ObjectId
from pymongo.errors import WriteError

from domain.lifecycle import LifecycleStage
from migrations import MIGRATIONS, applied_versions, migrate
from repositories.customers import CustomerFilter, CustomerOrderField, CustomerRepository


async def test_migrations_apply_once_and_are_recorded(bare_db, clock) -> None:
    assert await migrate(bare_db, clock()) == [m.VERSION for m in MIGRATIONS]
    assert await migrate(bare_db, clock()) == []
    assert await applied_versions(bare_db) == {m.VERSION for m in MIGRATIONS}


async def test_a_crashed_run_can_simply_run_again(bare_db, clock) -> None:
    await migrate(bare_db, clock())
    await bare_db["_migrations"].delete_many({})  # as if the records were never written
    assert await migrate(bare_db, clock()) == [m.VERSION for m in MIGRATIONS]


@pytest.mark.parametrize(
    "bad",
    [
        {"name": 42},  # wrong type
        {"lifecycleStage": "CHURNED"},  # not a stage
        {"version": 0},
        {"kind": "ROBOT"},
    ],
    ids=["name-type", "stage", "version", "kind"],
)
async def test_database_refuses_a_bad_customer_document(db, clock, bad) -> None:
    good = {
        "_id": ObjectId(),
        "kind": "PERSON",
        "name": "Mei",
        "nameSort": "mei",
        "searchTerms": ["mei"],
        "tags": [],
        "lifecycleStage": "PROSPECT",
        "lifecycleHistory": [],
        "version": 1,
        "createdAt": clock(),
        "updatedAt": clock(),
    }
    with pytest.raises(WriteError) as refused:
        await db["customers"].insert_one({**good, **bad})
    assert refused.value.code == 121  # DocumentValidationFailure
    assert await db["customers"].count_documents({}) == 0
    await db["customers"].insert_one(good)  # the baseline is accepted


async def test_list_queries_use_an_index(db) -> None:
    repo = CustomerRepository(db)
    for where, order in [
        (CustomerFilter(), CustomerOrderField.CREATED_AT),
        (CustomerFilter(), CustomerOrderField.NAME),
        (
            CustomerFilter(lifecycle_stage=LifecycleStage.ACTIVE),
            CustomerOrderField.CREATED_AT,
        ),
    ]:
        query = repo._query(where)
        plan = await db["customers"].find(query).sort([(order.value, 1), ("_id", 1)]).limit(21).explain()
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (where, order)
