"""The access policy over HTTP (README, Security): every role by representative reads and
writes by records in and out of its scope, asserting what comes back: the record in full,
masked, hidden (exactly as an id that does not exist), or refused (FORBIDDEN, nothing
written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from bson import Decimal128, ObjectId

from schema.node import global_id
from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, payload
from tests.api.queries import CREATE_CUSTOMER
from tests.api.test_dossier_records import ADD_CONTACT, ADD_CONTRACT, LINK, LOG_VISIT
from tests.conftest import PARTNER_ID, T0

ROLES = ("admin", "agent", "analyst", "manager", "other_manager", "partner")
ACQUIRE = """mutation($input: LifecycleTransitionInput!) { acquireCustomer(input: $input) {
  customer { id version } errors { code } } }"""


@dataclass
class World:
    shared_person: str
    private_person: str
    organisation_a: str  # manager's key account's customer, shared with the partner
    organisation_b: str
    account_a: str
    account_b: str
    contact_a: str
    contact_b: str
    link_a: str  # between two of account A's contacts
    cross_link: str  # from A's contact to B's
    visit_a: str
    follow_up_a: str
    contract_a: str
    purchase_a: str
    complaint_a: str
    touchpoint_a: str


async def _customer(agent, **input_: Any) -> str:
    result = await payload(agent, CREATE_CUSTOMER, input_)
    assert result["errors"] == [], result["errors"]
    return result["customer"]["id"]


async def _contact(caller, account: str, **fields: Any) -> str:
    result = await payload(caller, ADD_CONTACT, {"keyAccountId": account, **fields})
    assert result["errors"] == [], result["errors"]
    return result["contact"]["id"]


async def _link(caller, source: str, target: str, note: str) -> str:
    input_ = {"fromContactId": source, "toContactId": target, "relationship": "REPORTS_TO", "note": note}
    result = await payload(caller, LINK, input_)
    assert result["errors"] == [], result["errors"]
    [link] = [r["link"]["id"] for r in result["contact"]["relationships"] if r["note"] == note]
    return link


def _local(global_id_: str) -> ObjectId:
    import base64

    return ObjectId(base64.b64decode(global_id_).decode().partition(":")[2])


@pytest.fixture
def callers(admin, agent, analyst, manager, other_manager, partner) -> dict[str, Any]:
    return {
        "admin": admin,
        "agent": agent,
        "analyst": analyst,
        "manager": manager,
        "other_manager": other_manager,
        "partner": partner,
    }


@pytest.fixture
async def world(admin, agent, manager, other_manager, db) -> World:
    shared_person = await _customer(
        agent,
        name="Lin Xiaoyu",
        email="lin.xiaoyu@example.com",
        phone="+86 138 1234 5678",
        birthday="1990-04-02",
        sharedWith=[PARTNER_ID],
    )
    acquired = await payload(
        agent, ACQUIRE, {"customerId": shared_person, "expectedVersion": 1, "reason": "met Lin at the fair"}
    )
    assert acquired["errors"] == []
    private_person = await _customer(agent, name="Guo Mei", email="guo.mei@example.com")
    organisation_a = await _customer(
        agent,
        name="Harbour Logistics Ltd",
        kind="ORGANIZATION",
        email="ops@harbour.example.com",
        sharedWith=[PARTNER_ID],
    )
    organisation_b = await _customer(agent, name="Lotus Hotels Ltd", kind="ORGANIZATION")
    account_a = (
        await create_key_account(
            manager, organisation_a, companyProfile={"legalRepresentative": "Qian Wei", "size": "500"}
        )
    )["id"]
    account_b = (await create_key_account(other_manager, organisation_b))["id"]
    contact_a = await _contact(
        manager,
        account_a,
        name="Chen Jie",
        email="chen.jie@harbour.example.com",
        hobbies=["golf"],
        family="two children",
    )
    boss_a = await _contact(manager, account_a, name="Liu Yang")
    contact_b = await _contact(other_manager, account_b, name="Sato Ken")
    link_a = await _link(manager, boss_a, contact_a, "old classmates")
    cross_link = await _link(admin, contact_a, contact_b, "supplier friend")
    visit = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_a,
            "purpose": "quarterly review",
            "visitedAt": (T0 - timedelta(days=1)).isoformat(),
            "contactIds": [contact_a],
            "followUps": [
                {
                    "action": "send prices",
                    "ownerId": manager.user_id,
                    "dueAt": (T0 + timedelta(days=3)).isoformat(),
                }
            ],
        },
    )
    assert visit["errors"] == [], visit["errors"]
    contract = await payload(
        manager,
        ADD_CONTRACT,
        {
            "keyAccountId": account_a,
            "content": "cold-chain freight",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "fees": {"amount": "1000", "currency": "CNY"},
        },
    )
    assert contract["errors"] == [], contract["errors"]
    customer_a = _local(organisation_a)
    purchase = await db["purchases"].insert_one(
        {
            "customerId": customer_a,
            "purchasedAt": T0,
            "units": 4,
            "amount": {"amount": Decimal128("120.50"), "currency": "CNY"},
        }
    )
    complaint = await file_complaint(manager, organisation_a, keyAccountId=account_a)
    touchpoint = await payload(
        agent,
        RECORD_TOUCHPOINT,
        {
            "customerId": organisation_a,
            "channel": "VISIT",
            "stage": "AFTER_SALE",
            "type": "VISIT",
            "occurredAt": T0.isoformat(),
            "satisfaction": 4,
            "notes": "asked for monthly invoices",
        },
    )
    assert touchpoint["errors"] == [], touchpoint["errors"]
    return World(
        shared_person=shared_person,
        private_person=private_person,
        organisation_a=organisation_a,
        organisation_b=organisation_b,
        account_a=account_a,
        account_b=account_b,
        contact_a=contact_a,
        contact_b=contact_b,
        link_a=link_a,
        cross_link=cross_link,
        visit_a=visit["visit"]["id"],
        follow_up_a=visit["visit"]["followUps"][0]["id"],
        contract_a=contract["contract"]["id"],
        purchase_a=global_id("Purchase", str(purchase.inserted_id)),
        complaint_a=complaint["id"],
        touchpoint_a=touchpoint["touchpoint"]["id"],
    )


NODE = """query($id: ID!) { node(id: $id) { __typename
  ... on Customer { name email phone birthday lifecycleHistory { reason } }
  ... on KeyAccount { grade companyProfile { legalRepresentative size } }
  ... on Contact { name email hobbies family title }
  ... on ContactRelationship { relationship note }
  ... on VisitLog { purpose }
  ... on FollowUp { action }
  ... on ServiceContract { content }
  ... on Purchase { units }
  ... on Touchpoint { satisfaction notes }
  ... on Complaint { summary } } }"""
RECORD_TOUCHPOINT = """mutation($input: RecordTouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { id } errors { code message field } } }"""

LIN = {
    "name": "Lin Xiaoyu",
    "email": "lin.xiaoyu@example.com",
    "phone": "+8613812345678",
    "birthday": "1990-04-02",
    "lifecycleHistory": [{"reason": "met Lin at the fair"}],
}
LIN_MASKED = {
    "name": "Lin X.",
    "email": None,
    "phone": None,
    "birthday": None,
    "lifecycleHistory": [{"reason": None}],
}
GUO = {
    "name": "Guo Mei",
    "email": "guo.mei@example.com",
    "phone": None,
    "birthday": None,
    "lifecycleHistory": [],
}
GUO_MASKED = {**GUO, "name": "Guo M.", "email": None}
HARBOUR = {
    "name": "Harbour Logistics Ltd",
    "email": "ops@harbour.example.com",
    "phone": None,
    "birthday": None,
    "lifecycleHistory": [],
}
HARBOUR_MASKED = {**HARBOUR, "email": None}  # an organisation's name is not personal data
ACCOUNT = {"grade": "B", "companyProfile": {"legalRepresentative": "Qian Wei", "size": "500"}}
ACCOUNT_MASKED = {"grade": "B", "companyProfile": {"legalRepresentative": None, "size": "500"}}
CHEN = {
    "name": "Chen Jie",
    "email": "chen.jie@harbour.example.com",
    "hobbies": ["golf"],
    "family": "two children",
    "title": None,
}
CHEN_MASKED = {"name": "Chen J.", "email": None, "hobbies": [], "family": None, "title": None}
LINK_A = {"relationship": "REPORTS_TO", "note": "old classmates"}
CROSS = {"relationship": "REPORTS_TO", "note": "supplier friend"}
HIDDEN = "hidden"
STAFF = ("admin", "agent")


def _row(record: str, typename: str, full: dict, masked: dict | str, **by_role: Any) -> list[tuple]:
    """Expected per role: staff see it in full; the rest as given (default: masked)."""
    rows = []
    for role in ROLES:
        expected = by_role.get(role, full if role in STAFF else masked)
        rows.append((record, typename, role, expected))
    return rows


READS = [
    *_row("shared_person", "Customer", LIN, LIN_MASKED),
    *_row("private_person", "Customer", GUO, GUO_MASKED, partner=HIDDEN),
    *_row("organisation_a", "Customer", HARBOUR, HARBOUR_MASKED, manager=HARBOUR),
    *_row(
        "account_a",
        "KeyAccount",
        ACCOUNT,
        ACCOUNT_MASKED,
        manager=ACCOUNT,
        other_manager=HIDDEN,
        partner=HIDDEN,
    ),
    *_row("contact_a", "Contact", CHEN, CHEN_MASKED, manager=CHEN, other_manager=HIDDEN, partner=HIDDEN),
    *_row(
        "link_a",
        "ContactRelationship",
        LINK_A,
        {**LINK_A, "note": None},
        manager=LINK_A,
        other_manager=HIDDEN,
        partner=HIDDEN,
    ),
    # A link into another manager's account is shown to neither manager (nor its note).
    *_row(
        "cross_link",
        "ContactRelationship",
        CROSS,
        {**CROSS, "note": None},
        manager=HIDDEN,
        other_manager=HIDDEN,
        partner=HIDDEN,
    ),
    *[
        row
        for record, typename, shown in [
            ("visit_a", "VisitLog", {"purpose": "quarterly review"}),
            ("follow_up_a", "FollowUp", {"action": "send prices"}),
            ("contract_a", "ServiceContract", {"content": "cold-chain freight"}),
            ("complaint_a", "Complaint", {"summary": "late delivery"}),
        ]
        for row in _row(record, typename, shown, shown, manager=shown, other_manager=HIDDEN, partner=HIDDEN)
    ],
    # Purchases and touchpoints are activity: analysts read only their aggregates (reports).
    *[
        row
        for record, typename, shown in [
            ("purchase_a", "Purchase", {"units": 4}),
            ("touchpoint_a", "Touchpoint", {"satisfaction": 4, "notes": "asked for monthly invoices"}),
        ]
        for row in _row(
            record,
            typename,
            shown,
            HIDDEN,
            manager=shown,
            other_manager=HIDDEN,
            partner=HIDDEN,
            analyst=HIDDEN,
        )
    ],
]


@pytest.mark.parametrize(
    ("record", "typename", "role", "expected"), READS, ids=lambda v: v if isinstance(v, str) else ""
)
async def test_each_role_reads_each_record_in_full_masked_or_not_at_all(
    callers, world, record, typename, role, expected
) -> None:
    caller = callers[role]
    record_id = getattr(world, record)
    response = await caller.post(NODE, {"id": record_id})
    if expected == HIDDEN:
        # Out of scope reads exactly like an id that names nothing: same status, same body
        # (but for the development-only count of database commands).
        unknown = await caller.post(NODE, {"id": global_id(typename, str(ObjectId()))})
        assert response.status_code == unknown.status_code == 200
        body, unknown_body = response.json(), unknown.json()
        body.pop("extensions", None), unknown_body.pop("extensions", None)
        assert body == unknown_body == {"data": {"node": None}}
        return
    node = response.json()["data"]["node"]
    assert node == {"__typename": typename, **expected}


CUSTOMER_LIST = """query($search: String) { customers(first: 100, filter: { search: $search }) {
  totalCount edges { node { id name email } } } }"""


async def test_lists_hold_and_count_only_what_the_viewer_may_read(
    world, admin, manager, other_manager, partner, analyst
) -> None:
    everyone = (await admin.execute(CUSTOMER_LIST))["customers"]
    assert everyone["totalCount"] == 4
    shared = (await partner.execute(CUSTOMER_LIST))["customers"]
    assert shared["totalCount"] == 2
    assert {e["node"]["id"] for e in shared["edges"]} == {world.shared_person, world.organisation_a}
    assert all(e["node"]["email"] is None for e in shared["edges"])
    # An account manager reads every customer, with personal data only for their book's.
    book = (await manager.execute(CUSTOMER_LIST))["customers"]
    assert book["totalCount"] == 4
    emails = {e["node"]["id"]: e["node"]["email"] for e in book["edges"]}
    assert emails[world.organisation_a] == "ops@harbour.example.com"
    assert emails[world.shared_person] is None
    accounts = "{ keyAccounts(first: 10) { totalCount edges { node { id } } } }"
    assert (await manager.execute(accounts))["keyAccounts"]["totalCount"] == 1
    assert (await other_manager.execute(accounts))["keyAccounts"]["totalCount"] == 1
    assert (await admin.execute(accounts))["keyAccounts"]["totalCount"] == 2
    [refused] = await partner.errors(accounts)
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert (await analyst.execute(CUSTOMER_LIST))["customers"]["totalCount"] == 4


async def test_searching_by_personal_data_matches_only_what_the_viewer_may_see(
    world, admin, partner, manager, analyst
) -> None:
    for caller, search, found in [
        (admin, "lin.xiaoyu", 1),
        (partner, "lin.xiaoyu", 0),  # shared, but its email is not the partner's to test
        (partner, "Xiaoyu", 0),
        (partner, "Harbour", 1),  # organisations' names are not personal data
        (manager, "Guo", 0),  # not in their book
        (manager, "ops@harbour", 1),
        (analyst, "Guo", 0),
    ]:
        result = (await caller.execute(CUSTOMER_LIST, {"search": search}))["customers"]
        assert result["totalCount"] == found, (caller.token, search)


async def test_who_a_customer_is_shared_with_is_for_admins_and_agents(
    world, admin, agent, manager, partner
) -> None:
    query = "query($id: ID!) { customer(id: $id) { sharedWith } }"
    for caller, expected in [(admin, [PARTNER_ID]), (agent, [PARTNER_ID]), (manager, None), (partner, None)]:
        assert (await caller.execute(query, {"id": world.organisation_a}))["customer"][
            "sharedWith"
        ] == expected


UPDATE_CUSTOMER = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  customer { id } errors { code message field } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { id } errors { code message field } } }"""
COMPLETE = """mutation($input: CompleteFollowUpInput!) { completeFollowUp(input: $input) {
  followUp { id } errors { code message field } } }"""
ADD = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id } errors { code message field } } }"""
CREATE_ACCOUNT = """mutation($input: CreateKeyAccountInput!) { createKeyAccount(input: $input) {
  keyAccount { id } errors { code message field } } }"""

COLLECTIONS = (
    "customers",
    "key_accounts",
    "contacts",
    "contact_relationships",
    "visit_logs",
    "service_contracts",
)


async def _snapshot(db) -> list[Any]:
    return [await db[name].find({}, {"_id": 0}).sort("createdAt", 1).to_list() for name in COLLECTIONS]


WRITES = [
    # (mutation, input builder, role, expected: "ok" | "FORBIDDEN" | a not-found payload)
    *[
        (CREATE_CUSTOMER, lambda w: {"name": "New Person"}, role, "ok" if role in STAFF else "FORBIDDEN")
        for role in ROLES
    ],
    *[
        (
            UPDATE_CUSTOMER,
            lambda w: {"id": w.private_person, "expectedVersion": 1, "source": "store"},
            role,
            "ok" if role in STAFF else "FORBIDDEN",
        )
        for role in ROLES
    ],
    *[
        (ADD, lambda w: {"keyAccountId": w.account_a, "name": "Wu Hao"}, role, expected)
        for role, expected in [
            ("admin", "ok"),
            ("manager", "ok"),
            ("other_manager", "keyAccountId"),
            ("agent", "FORBIDDEN"),
            ("analyst", "FORBIDDEN"),
            ("partner", "FORBIDDEN"),
        ]
    ],
    *[
        (UPDATE_CONTACT, lambda w: {"id": w.contact_a, "expectedVersion": 1, "title": "CEO"}, role, expected)
        for role, expected in [("manager", "ok"), ("other_manager", "id"), ("partner", "FORBIDDEN")]
    ],
    *[
        (COMPLETE, lambda w: {"followUpId": w.follow_up_a}, role, expected)
        for role, expected in [("manager", "ok"), ("other_manager", "followUpId")]
    ],
]


@pytest.mark.parametrize(
    ("mutation", "build", "role", "expected"),
    WRITES,
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "",
)
async def test_writes_are_allowed_refused_or_find_nothing_out_of_scope(
    callers, world, db, mutation, build, role, expected
) -> None:
    caller = callers[role]
    input_ = build(world)
    before = await _snapshot(db)
    response = (await caller.post(mutation, {"input": input_})).json()
    if expected == "ok":
        [result] = response["data"].values()
        assert result["errors"] == [], result["errors"]
        return
    assert await _snapshot(db) == before  # a refusal writes nothing
    if expected == "FORBIDDEN":
        assert [e["extensions"]["code"] for e in response["errors"]] == ["FORBIDDEN"]
        return
    # Out of scope: the same answer as for an id that names nothing, message included.
    [result] = response["data"].values()
    typename = _type_of(input_[expected])
    unknown_input = {**input_, expected: global_id(typename, str(ObjectId()))}
    [unknown] = (await caller.execute(mutation, {"input": unknown_input})).values()
    assert result["errors"] == unknown["errors"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", expected)]


def _type_of(global_id_: str) -> str:
    import base64

    return base64.b64decode(global_id_).decode().partition(":")[0]


async def test_linking_to_another_managers_contact_reads_as_no_such_contact(world, other_manager) -> None:
    mine = await _contact(other_manager, world.account_b, name="Tanaka Yui")
    results = []
    for target in (world.contact_a, global_id("Contact", str(ObjectId()))):
        results.append(
            (
                await payload(
                    other_manager,
                    LINK,
                    {"fromContactId": mine, "toContactId": target, "relationship": "REPORTS_TO"},
                )
            )["errors"]
        )
    assert (
        results[0]
        == results[1]
        == [{"code": "NOT_FOUND", "message": "no contact with this id", "field": "toContactId"}]
    )


async def test_opening_an_account_someone_else_keeps_does_not_say_it_exists(
    world, manager, other_manager
) -> None:
    input_ = {
        "customerId": world.organisation_a,
        "grade": "B",
        "category": "ECONOMIC",
        "managerId": other_manager.user_id,
    }
    [refused] = await other_manager.errors(CREATE_ACCOUNT, {"input": input_})
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert "exist" not in refused["message"] and "already" not in refused["message"]
    # Whoever may read the existing account is told it is a duplicate.
    mine = await manager.execute(CREATE_ACCOUNT, {"input": {**input_, "managerId": manager.user_id}})
    assert mine["createKeyAccount"]["errors"][0]["code"] == "DUPLICATE"


async def test_a_partner_token_has_no_dossiers_and_no_writes(world, partner) -> None:
    for document in (
        "query($id: ID!) { keyAccount(id: $id) { id } }",
        "{ keyAccounts { totalCount } }",
    ):
        response = (await partner.post(document, {"id": world.account_a})).json()
        if response.get("errors"):
            assert response["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        else:
            assert response["data"] == {"keyAccount": None}
