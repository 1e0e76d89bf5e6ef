"""A customer's data on request: export everything held about them, erase their personal
data everywhere while counts and sums stay as they were."""

from __future__ import annotations

import orjson
from bson import ObjectId

from repositories.holdings import CUSTOMER_DATA, NOTHING_ABOUT_CUSTOMERS
from schema.node import global_id
from tests.api.complaints import file_complaint
from tests.api.dossier import payload
from tests.api.test_access_matrix import _local, world  # noqa: F401 (the fixture)

EXPORT = "query($id: ID!) { exportCustomerData(customerId: $id) }"
ERASE = """mutation($input: EraseCustomerInput!) { eraseCustomer(input: $input) {
  customer { id name email phone birthday erased lifecycleHistory { reason } }
  errors { code message field } } }"""
AUDIT = """{ auditLog(first: 5, filter: { operation: "eraseCustomer" }) {
  edges { node { result ids actor { role } } } } }"""


async def _everything(db) -> str:
    """Every document of every collection, as one string to search."""
    names = await db.list_collection_names()
    docs = {name: await db[name].find({}).to_list() for name in names}
    return orjson.dumps(docs, default=str).decode().lower()


async def _aggregates(db) -> dict[str, object]:
    counts = {
        name: await db[name].count_documents({})
        for name in ("customers", "purchases", "complaints", "visit_logs", "service_contracts", "contacts")
    }
    [sales] = await (
        await db["purchases"].aggregate(
            [{"$group": {"_id": None, "units": {"$sum": "$units"}, "amount": {"$sum": "$amount.amount"}}}]
        )
    ).to_list()
    stages = await db["customers"].distinct("lifecycleStage")
    return {**counts, "units": sales["units"], "amount": str(sales["amount"]), "stages": sorted(stages)}


async def test_export_holds_everything_about_the_customer(world, admin) -> None:  # noqa: F811
    exported = (await admin.execute(EXPORT, {"id": world.organisation_a}))["exportCustomerData"]
    held = exported["collections"]
    assert exported["customerId"] == _local(world.organisation_a).__str__()
    assert [c["email"] for c in held["customers"]] == ["ops@harbour.example.com"]
    assert [a["companyProfile"]["legalRepresentative"] for a in held["key_accounts"]] == ["Qian Wei"]
    assert sorted(c["name"] for c in held["contacts"]) == ["Chen Jie", "Liu Yang"]
    assert [c.get("email") for c in held["contacts"] if c["name"] == "Chen Jie"] == [
        "chen.jie@harbour.example.com"
    ]
    # Both relationships touching its contacts, the one into another account included.
    assert sorted(r["note"] for r in held["contact_relationships"]) == ["old classmates", "supplier friend"]
    assert [v["purpose"] for v in held["visit_logs"]] == ["quarterly review"]
    assert [c["content"] for c in held["service_contracts"]] == ["cold-chain freight"]
    assert [(p["units"], p["amount"]["amount"]) for p in held["purchases"]] == [(4, "120.50")]
    assert [c["summary"] for c in held["complaints"]] == ["late delivery"]
    # Nothing of anybody else.
    assert "lotus" not in orjson.dumps(held).decode().lower()
    assert "sato ken" not in orjson.dumps(held).decode().lower()


async def test_erasure_removes_every_personal_string_and_keeps_the_aggregates(world, admin, db) -> None:  # noqa: F811
    person_strings = [
        "lin xiaoyu",
        "xiaoyu",
        "lin.xiaoyu@example.com",
        "+8613812345678",
        "met lin at the fair",
    ]
    organisation_strings = [
        "harbour logistics",
        "ops@harbour.example.com",
        "qian wei",
        "chen jie",
        "chen.jie@harbour.example.com",
        "liu yang",
        "two children",
        "old classmates",
        "supplier friend",
        "late delivery",
    ]
    await file_complaint(admin, world.shared_person, description="Lin Xiaoyu says the parcel was lost")
    before = await _aggregates(db)
    everything = await _everything(db)
    assert all(s in everything for s in person_strings + organisation_strings)

    for customer in (world.shared_person, world.organisation_a):
        result = await payload(admin, ERASE, {"customerId": customer, "reason": "data subject request #42"})
        assert result["errors"] == [], result["errors"]
        assert result["customer"]["erased"] is True
        assert result["customer"]["email"] is None

    everything = await _everything(db)
    assert [s for s in person_strings + organisation_strings if s in everything] == []
    assert await _aggregates(db) == before  # nothing counted is gone
    shown = (
        await admin.execute(
            "query($id: ID!) { customer(id: $id) { name erased lifecycleHistory { reason } } }",
            {"id": world.shared_person},
        )
    )["customer"]
    assert shown == {"name": "Erased customer", "erased": True, "lifecycleHistory": [{"reason": "erased"}]}

    again = await payload(admin, ERASE, {"customerId": world.shared_person, "reason": "twice"})
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_TRANSITION", "customerId")]
    entries = (await admin.execute(AUDIT))["auditLog"]["edges"]
    assert [e["node"]["result"] for e in entries] == ["REJECTED", "OK", "OK"]
    assert world.shared_person in entries[-1]["node"]["ids"]


async def test_an_erased_profile_cannot_be_written_again(world, admin, agent) -> None:  # noqa: F811
    await payload(admin, ERASE, {"customerId": world.private_person, "reason": "request #7"})
    update = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) { errors { code field } } }"""
    result = await payload(
        agent, update, {"id": world.private_person, "expectedVersion": 2, "email": "x@example.com"}
    )
    assert result["errors"] == [{"code": "INVALID_TRANSITION", "field": "id"}]


async def test_only_an_admin_exports_or_erases(world, agent, manager, analyst, partner, db) -> None:  # noqa: F811
    before = await _everything(db)
    for caller in (agent, manager, analyst, partner):
        [refused] = await caller.errors(EXPORT, {"id": world.shared_person})
        assert refused["extensions"]["code"] == "FORBIDDEN"
        [refused] = await caller.errors(ERASE, {"input": {"customerId": world.shared_person, "reason": "x"}})
        assert refused["extensions"]["code"] == "FORBIDDEN"
    assert "lin.xiaoyu@example.com" in await _everything(db)
    assert len(await _everything(db)) >= len(before)  # only audit entries were added


async def test_unknown_customers_export_nothing(admin) -> None:
    assert (await admin.execute(EXPORT, {"id": global_id("Customer", str(ObjectId()))})) == {
        "exportCustomerData": None
    }


async def test_every_collection_declares_what_it_holds_about_customers(world, db) -> None:  # noqa: F811
    declared = {holding.collection for holding in CUSTOMER_DATA} | NOTHING_ABOUT_CUSTOMERS
    assert set(await db.list_collection_names()) <= declared
