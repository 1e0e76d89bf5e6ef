"""Every id a client sends is a global id naming its type. For every id input of every
mutation: a malformed id or one of another type is VALIDATION naming the field, a
well-formed id of the right type that names nothing is NOT_FOUND naming the field, and
nothing is written. Query arguments answer BAD_USER_INPUT naming the argument."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from bson import Decimal128

from schema.node import global_id
from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.test_dossier_records import ADD_CONTACT, LINK, LOG_VISIT
from tests.conftest import T0, UNKNOWN

COLLECTIONS = (
    "customers",
    "key_accounts",
    "contacts",
    "contact_relationships",
    "visit_logs",
    "service_contracts",
)


@dataclass
class World:
    """One small dossier with a record of every kind, as global ids."""

    customer: str
    spare_organisation: str
    account: str
    contact: str
    other_contact: str
    relationship: str
    visit: str
    follow_up: str
    manager: str


@pytest.fixture
async def world(agent, manager) -> World:
    customer = await organisation(agent, "Harbour Logistics Ltd")
    account = await create_key_account(manager, customer)
    contact = (await payload(manager, ADD_CONTACT, {"keyAccountId": account["id"], "name": "Chen Jie"}))[
        "contact"
    ]["id"]
    other = (await payload(manager, ADD_CONTACT, {"keyAccountId": account["id"], "name": "Liu Yang"}))[
        "contact"
    ]["id"]
    linked = await payload(
        manager, LINK, {"fromContactId": other, "toContactId": contact, "relationship": "REPORTS_TO"}
    )
    visit = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account["id"],
            "purpose": "review",
            "visitedAt": (T0 - timedelta(days=1)).isoformat(),
            "followUps": [{"action": "send prices", "ownerId": manager.user_id, "dueAt": T0.isoformat()}],
        },
    )
    return World(
        customer=customer,
        spare_organisation=await organisation(agent, "Orion Freight Co."),
        account=account["id"],
        contact=contact,
        other_contact=other,
        relationship=linked["contact"]["relationships"][0]["link"]["id"],
        visit=visit["visit"]["id"],
        follow_up=visit["visit"]["followUps"][0]["id"],
        manager=manager.user_id,
    )


@dataclass(frozen=True)
class IdInput:
    mutation: str
    input_type: str
    path: str  # the id field under test, as errors name it
    type_name: str  # the type it must name

    def valid_input(self, w: World) -> dict[str, Any]:
        return copy.deepcopy(VALID_INPUTS[self.mutation](w))


VALID_INPUTS = {
    "updateCustomer": lambda w: {"id": w.customer, "expectedVersion": 1, "name": "X"},
    "acquireCustomer": lambda w: {"customerId": w.customer, "expectedVersion": 1, "reason": "first order"},
    "createKeyAccount": lambda w: {
        "customerId": w.spare_organisation,
        "grade": "A",
        "category": "ECONOMIC",
        "managerId": w.manager,
    },
    "updateKeyAccount": lambda w: {"id": w.account, "expectedVersion": 1, "industry": "Freight"},
    "changeKeyAccountGrade": lambda w: {
        "keyAccountId": w.account,
        "expectedVersion": 1,
        "grade": "A",
        "reason": "volume",
    },
    "assignKeyAccountManager": lambda w: {
        "keyAccountId": w.account,
        "expectedVersion": 1,
        "managerId": w.manager,
    },
    "assignKeyAccountTeam": lambda w: {
        "keyAccountId": w.account,
        "expectedVersion": 1,
        "memberIds": [w.manager],
    },
    "addContact": lambda w: {"keyAccountId": w.account, "name": "Huang Min"},
    "updateContact": lambda w: {"id": w.contact, "expectedVersion": 1, "title": "CEO"},
    "removeContact": lambda w: {"id": w.contact},
    "linkContacts": lambda w: {
        "fromContactId": w.contact,
        "toContactId": w.other_contact,
        "relationship": "FRIEND",
    },
    "unlinkContacts": lambda w: {"relationshipId": w.relationship},
    "logVisit": lambda w: {
        "keyAccountId": w.account,
        "purpose": "check-in",
        "visitedAt": T0.isoformat(),
        "visitorIds": [w.manager],
        "contactIds": [w.contact],
        "followUps": [{"action": "call", "ownerId": w.manager, "dueAt": T0.isoformat()}],
    },
    "completeFollowUp": lambda w: {"followUpId": w.follow_up},
    "addServiceContract": lambda w: {
        "keyAccountId": w.account,
        "content": "freight",
        "startsOn": "2026-01-01",
        "endsOn": "2026-12-31",
        "fees": {"amount": "100", "currency": "CNY"},
    },
}

INPUT_TYPES = {
    "updateCustomer": "UpdateCustomerInput",
    "acquireCustomer": "LifecycleTransitionInput",
    "createKeyAccount": "CreateKeyAccountInput",
    "updateKeyAccount": "UpdateKeyAccountInput",
    "changeKeyAccountGrade": "ChangeKeyAccountGradeInput",
    "assignKeyAccountManager": "AssignKeyAccountManagerInput",
    "assignKeyAccountTeam": "AssignKeyAccountTeamInput",
    "addContact": "AddContactInput",
    "updateContact": "UpdateContactInput",
    "removeContact": "RemoveContactInput",
    "linkContacts": "LinkContactsInput",
    "unlinkContacts": "UnlinkContactsInput",
    "logVisit": "LogVisitInput",
    "completeFollowUp": "CompleteFollowUpInput",
    "addServiceContract": "AddServiceContractInput",
}

ID_INPUTS = [
    IdInput(mutation, INPUT_TYPES[mutation], path, type_name)
    for mutation, path, type_name in [
        ("updateCustomer", "id", "Customer"),
        ("acquireCustomer", "customerId", "Customer"),
        ("createKeyAccount", "customerId", "Customer"),
        ("createKeyAccount", "managerId", "User"),
        ("updateKeyAccount", "id", "KeyAccount"),
        ("changeKeyAccountGrade", "keyAccountId", "KeyAccount"),
        ("assignKeyAccountManager", "keyAccountId", "KeyAccount"),
        ("assignKeyAccountManager", "managerId", "User"),
        ("assignKeyAccountTeam", "keyAccountId", "KeyAccount"),
        ("assignKeyAccountTeam", "memberIds[0]", "User"),
        ("addContact", "keyAccountId", "KeyAccount"),
        ("updateContact", "id", "Contact"),
        ("removeContact", "id", "Contact"),
        ("linkContacts", "fromContactId", "Contact"),
        ("linkContacts", "toContactId", "Contact"),
        ("unlinkContacts", "relationshipId", "ContactRelationship"),
        ("logVisit", "keyAccountId", "KeyAccount"),
        ("logVisit", "visitorIds[0]", "User"),
        ("logVisit", "contactIds[0]", "Contact"),
        ("logVisit", "followUps[0].ownerId", "User"),
        ("completeFollowUp", "followUpId", "FollowUp"),
        ("addServiceContract", "keyAccountId", "KeyAccount"),
    ]
]


def _set(document: dict[str, Any], path: str, value: str) -> None:
    """Set `value` at an error path such as followUps[0].ownerId."""
    *parents, leaf = path.split(".")
    target: Any = document
    for part in [*parents, leaf]:
        name, _, index = part.partition("[")
        if part is leaf and not index:
            target[name] = value
        elif part is leaf:
            target[name][int(index[:-1])] = value
        else:
            target = target[name][int(index[:-1])] if index else target[name]


async def _snapshot(db) -> dict[str, int]:
    return {name: await db[name].count_documents({}) for name in COLLECTIONS}


@pytest.mark.parametrize("id_input", ID_INPUTS, ids=lambda i: f"{i.mutation}.{i.path}")
async def test_every_id_input_takes_global_ids_of_its_type_only(admin, manager, world, db, id_input) -> None:
    caller = manager if "Contact" in id_input.input_type or "Visit" in id_input.input_type else admin
    document = (
        f"mutation($input: {id_input.input_type}!) {{ {id_input.mutation}(input: $input) "
        "{ errors { code message field } } }"
    )
    other_type = "KeyAccount" if id_input.type_name != "KeyAccount" else "Customer"
    wrong_type = world.account if other_type == "KeyAccount" else world.customer
    before = await _snapshot(db)
    for sent, code, message in [
        ("not-an-id", "VALIDATION", f"{id_input.path} is not an id this API issued"),
        (
            wrong_type,
            "VALIDATION",
            f"{id_input.path} must be a {id_input.type_name} id, not a {other_type} id",
        ),
        (global_id(id_input.type_name, UNKNOWN), "NOT_FOUND", None),
    ]:
        input_ = id_input.valid_input(world)
        _set(input_, id_input.path, sent)
        result = (await caller.execute(document, {"input": input_}))[id_input.mutation]
        assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, id_input.path)], (sent, result)
        if message:
            assert result["errors"][0]["message"] == message
    assert await _snapshot(db) == before  # refused requests write nothing


async def test_query_arguments_refuse_ids_of_another_type_naming_the_argument(admin, world) -> None:
    for query, variables, field in [
        ("query($id: ID!) { customer(id: $id) { id } }", {"id": world.account}, "id"),
        ("query($id: ID!) { keyAccount(id: $id) { id } }", {"id": "bm9wZQ=="}, "id"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "not-an-id"}, "id"),
        (
            "query($m: ID!) { keyAccounts(filter: { managerId: $m }) { totalCount } }",
            {"m": world.customer},
            "filter.managerId",
        ),
    ]:
        [error] = await admin.errors(query, variables)
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", field), error


async def test_well_formed_unknown_ids_read_as_null(admin) -> None:
    data = await admin.execute(
        "query($c: ID!, $k: ID!) { customer(id: $c) { id } keyAccount(id: $k) { id } node(id: $k) { id } }",
        {"c": global_id("Customer", UNKNOWN), "k": global_id("KeyAccount", UNKNOWN)},
    )
    assert data == {"customer": None, "keyAccount": None, "node": None}


NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on User { name role }
  ... on FollowUp { action done visit { id } }
  ... on ContactRelationship { relationship from { name } to { name } }
  ... on Purchase { units amount { amount currency } }
  ... on Complaint { summary } } }"""


async def test_every_record_is_a_node_for_those_who_may_see_it(
    admin, agent, manager, other_manager, partner, world, db
) -> None:
    customer_oid = (await db["customers"].find_one({"name": "Harbour Logistics Ltd"}))["_id"]
    purchase = await db["purchases"].insert_one(
        {
            "customerId": customer_oid,
            "purchasedAt": T0,
            "units": 4,
            "amount": {"amount": Decimal128("120.50"), "currency": "CNY"},
        }
    )
    complaint = await file_complaint(manager, global_id("Customer", str(customer_oid)))
    expected = {
        world.manager: {"__typename": "User", "name": "Wang Fang", "role": "ACCOUNT_MANAGER"},
        world.follow_up: {
            "__typename": "FollowUp",
            "action": "send prices",
            "done": False,
            "visit": {"id": world.visit},
        },
        world.relationship: {
            "__typename": "ContactRelationship",
            "relationship": "REPORTS_TO",
            "from": {"name": "Liu Yang"},
            "to": {"name": "Chen Jie"},
        },
        global_id("Purchase", str(purchase.inserted_id)): {
            "__typename": "Purchase",
            "units": 4,
            "amount": {"amount": "120.50", "currency": "CNY"},
        },
        complaint["id"]: {
            "__typename": "Complaint",
            "summary": "late delivery",
        },
    }
    for node_id, fields in expected.items():
        assert (await manager.execute(NODE, {"id": node_id}))["node"] == {"id": node_id, **fields}
    # Need-to-know: another manager sees none of this account's records; a partner sees no
    # records; a CX agent sees only themselves in the directory.
    for node_id in (world.follow_up, world.relationship):
        assert (await other_manager.execute(NODE, {"id": node_id}))["node"] is None
    for node_id in list(expected)[3:]:
        assert (await partner.execute(NODE, {"id": node_id}))["node"] is None
    assert (await agent.execute(NODE, {"id": world.manager}))["node"] is None
    me = (await agent.execute("{ me { id } }"))["me"]["id"]
    assert (await agent.execute(NODE, {"id": me}))["node"]["name"] == "cx_agent-tester"


async def test_nodes_fetches_many_ids_in_order(manager, world) -> None:
    ids = [world.contact, world.account, global_id("Contact", UNKNOWN), world.visit]
    data = await manager.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }", {"ids": ids})
    assert [n and n["__typename"] for n in data["nodes"]] == ["Contact", "KeyAccount", None, "VisitLog"]
    errors = await manager.errors(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [world.contact] * 101}
    )
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
