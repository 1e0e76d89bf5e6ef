"""Key-account dossiers through the API: opening, grading, staffing, and need-to-know."""

from datetime import timedelta

from schema.node import global_id
from tests.api.dossier import (
    CREATE_KEY_ACCOUNT,
    DOSSIER,
    KEY_ACCOUNTS,
    create_key_account,
    organisation,
    payload,
)
from tests.api.queries import CREATE_CUSTOMER
from tests.conftest import T0, UNKNOWN

GRADE = """mutation($input: ChangeKeyAccountGradeInput!) { changeKeyAccountGrade(input: $input) {
  keyAccount { id grade version nextVisitDueAt gradeHistory { from to at actorName reason } }
  errors { code message field } } }"""
ASSIGN_MANAGER = """mutation($input: AssignKeyAccountManagerInput!) { assignKeyAccountManager(input: $input) {
  keyAccount { id version manager { id name } } errors { code message field } } }"""
ASSIGN_TEAM = """mutation($input: AssignKeyAccountTeamInput!) { assignKeyAccountTeam(input: $input) {
  keyAccount { id version team { name } } errors { code message field } } }"""
UPDATE = """mutation($input: UpdateKeyAccountInput!) { updateKeyAccount(input: $input) {
  keyAccount { id version industry category companyProfile { legalRepresentative mainProducts
    annualRevenue { amount currency } } } errors { code message field } } }"""


async def test_open_a_key_account_from_an_organisation(agent, manager, clock) -> None:
    customer_id = await organisation(agent, "Harbour Logistics Group")
    account = await create_key_account(
        manager,
        customer_id,
        grade="B",
        industry="Logistics",
        companyProfile={
            "legalRepresentative": "Chen Jie",
            "size": "1000-5000 employees",
            "mainProducts": ["freight", "warehousing"],
            "annualRevenue": {"amount": "125000000.50", "currency": "cny"},
        },
    )
    assert account["grade"] == "B" and account["category"] == "ECONOMIC"
    assert account["version"] == 1
    assert account["manager"] == {"id": manager.user_id, "name": "Wang Fang"}
    assert account["customer"]["name"] == "Harbour Logistics Group"
    assert account["companyProfile"]["annualRevenue"] == {"amount": "125000000.50", "currency": "CNY"}
    # grade B: a visit every 91 days from opening, by default
    assert account["nextVisitDueAt"] == (T0 + timedelta(days=91)).isoformat()
    assert account["visitOverdue"] is False
    assert account["contacts"] == {"totalCount": 0, "edges": []}
    assert account["complaints"] == {"totalCount": 0, "edges": []}


async def test_a_person_cannot_be_a_key_account(agent, manager) -> None:
    person = (await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Li Wei"}}))["createCustomer"][
        "customer"
    ]
    result = await payload(
        manager,
        CREATE_KEY_ACCOUNT,
        {"customerId": person["id"], "grade": "A", "category": "IMPORTANT", "managerId": manager.user_id},
    )
    assert result["errors"] == [
        {"code": "VALIDATION", "message": "a key account is an organisation customer", "field": "customerId"}
    ]


async def test_the_manager_must_have_a_manager_role(agent, manager) -> None:
    customer_id = await organisation(agent)
    result = await payload(
        manager,
        CREATE_KEY_ACCOUNT,
        {"customerId": customer_id, "grade": "A", "category": "IMPORTANT", "managerId": agent.user_id},
    )
    assert result["errors"][0]["field"] == "managerId"
    assert (await manager.execute(KEY_ACCOUNTS, {}))["keyAccounts"]["totalCount"] == 0


async def test_one_key_account_per_customer(agent, manager) -> None:
    customer_id = await organisation(agent)
    await create_key_account(manager, customer_id)
    again = await payload(
        manager,
        CREATE_KEY_ACCOUNT,
        {"customerId": customer_id, "grade": "A", "category": "IMPORTANT", "managerId": manager.user_id},
    )
    assert again["errors"][0]["code"] == "DUPLICATE"


async def test_bad_money_is_refused(agent, manager) -> None:
    customer_id = await organisation(agent)
    result = await payload(
        manager,
        CREATE_KEY_ACCOUNT,
        {
            "customerId": customer_id,
            "grade": "A",
            "category": "IMPORTANT",
            "managerId": manager.user_id,
            "companyProfile": {"annualRevenue": {"amount": "-5", "currency": "yuan"}},
        },
    )
    assert result["errors"] == [
        {
            "code": "VALIDATION",
            "field": "companyProfile.annualRevenue",
            "message": "currency must be a 3-letter ISO 4217 code, e.g. CNY",
        }
    ]


async def test_only_managers_and_admins_open_key_accounts(agent, analyst) -> None:
    customer_id = await organisation(agent)
    for caller in (agent, analyst):
        errors = await caller.errors(
            CREATE_KEY_ACCOUNT,
            {
                "input": {
                    "customerId": customer_id,
                    "grade": "A",
                    "category": "IMPORTANT",
                    "managerId": caller.user_id,
                }
            },
        )
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_grade_change_needs_a_reason_and_is_kept(agent, manager, clock) -> None:
    account = await create_key_account(manager, await organisation(agent), grade="C")
    no_reason = await payload(
        manager, GRADE, {"keyAccountId": account["id"], "expectedVersion": 1, "grade": "A", "reason": " "}
    )
    assert no_reason["errors"] == [
        {"code": "VALIDATION", "message": "reason must not be empty", "field": "reason"}
    ]

    clock.advance(timedelta(days=3))
    changed = await payload(
        manager,
        GRADE,
        {
            "keyAccountId": account["id"],
            "expectedVersion": 1,
            "grade": "A",
            "reason": "annual billing passed 10M",
        },
    )
    assert changed["errors"] == []
    upgraded = changed["keyAccount"]
    assert (upgraded["grade"], upgraded["version"]) == ("A", 2)
    assert upgraded["gradeHistory"] == [
        {
            "from": "C",
            "to": "A",
            "at": clock().isoformat(),
            "actorName": "Wang Fang",
            "reason": "annual billing passed 10M",
        }
    ]
    # grade A: monthly visits, counted from opening since no visit yet
    assert upgraded["nextVisitDueAt"] == (T0 + timedelta(days=30)).isoformat()

    stale = await payload(
        manager, GRADE, {"keyAccountId": account["id"], "expectedVersion": 1, "grade": "B", "reason": "x"}
    )
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    same = await payload(
        manager, GRADE, {"keyAccountId": account["id"], "expectedVersion": 2, "grade": "A", "reason": "x"}
    )
    assert same["errors"] == [
        {"code": "VALIDATION", "message": "the account is already grade A", "field": "grade"}
    ]


async def test_reassigning_the_manager_moves_the_book(agent, admin, manager, other_manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    moved = await payload(
        admin,
        ASSIGN_MANAGER,
        {"keyAccountId": account["id"], "expectedVersion": 1, "managerId": other_manager.user_id},
    )
    assert moved["errors"] == []
    assert moved["keyAccount"]["manager"]["name"] == "Zhao Lei"
    assert (await other_manager.execute(KEY_ACCOUNTS, {}))["keyAccounts"]["totalCount"] == 1
    assert (await manager.execute(KEY_ACCOUNTS, {}))["keyAccounts"]["totalCount"] == 0
    not_a_manager = await payload(
        admin,
        ASSIGN_MANAGER,
        {"keyAccountId": account["id"], "expectedVersion": 2, "managerId": agent.user_id},
    )
    assert not_a_manager["errors"][0] == {
        "code": "VALIDATION",
        "message": "this user does not have a manager role",
        "field": "managerId",
    }


async def test_team_members_see_the_account(agent, manager, other_manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    assert (await other_manager.execute(DOSSIER, {"id": account["id"]}))["keyAccount"] is None
    staffed = await payload(
        manager,
        ASSIGN_TEAM,
        {
            "keyAccountId": account["id"],
            "expectedVersion": 1,
            "memberIds": [other_manager.user_id, agent.user_id],
        },
    )
    assert staffed["keyAccount"]["team"] == [{"name": "Zhao Lei"}, {"name": "cx_agent-tester"}]
    seen = (await other_manager.execute(DOSSIER, {"id": account["id"]}))["keyAccount"]
    assert seen["id"] == account["id"]


async def test_a_manager_cannot_change_another_managers_account(agent, manager, other_manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    result = await payload(
        other_manager,
        GRADE,
        {"keyAccountId": account["id"], "expectedVersion": 1, "grade": "A", "reason": "mine now"},
    )
    assert result["errors"][0]["code"] == "NOT_FOUND"  # need-to-know: not even its existence
    stored = (await manager.execute(DOSSIER, {"id": account["id"]}))["keyAccount"]
    assert (stored["grade"], stored["version"]) == ("B", 1)


async def test_readers_see_everything_and_partners_nothing(agent, manager, analyst, partner) -> None:
    account = await create_key_account(manager, await organisation(agent))
    assert (await analyst.execute(DOSSIER, {"id": account["id"]}))["keyAccount"]["id"] == account["id"]
    errors = await partner.errors(DOSSIER, {"id": account["id"]})
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await analyst.errors(
        GRADE, {"input": {"keyAccountId": account["id"], "expectedVersion": 1, "grade": "A", "reason": "x"}}
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_update_profile_replaces_it_and_keeps_the_rest(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent), industry="Retail")
    result = await payload(
        manager,
        UPDATE,
        {
            "id": account["id"],
            "expectedVersion": 1,
            "category": "POTENTIAL",
            "companyProfile": {"legalRepresentative": "Liu Yang", "mainProducts": ["tea"]},
        },
    )
    assert result["errors"] == []
    updated = result["keyAccount"]
    assert (updated["industry"], updated["category"], updated["version"]) == ("Retail", "POTENTIAL", 2)
    assert updated["companyProfile"] == {
        "legalRepresentative": "Liu Yang",
        "mainProducts": ["tea"],
        "annualRevenue": None,
    }


async def test_manager_filter_lists_a_book(agent, manager, other_manager, admin) -> None:
    mine = await create_key_account(manager, await organisation(agent, "A Co"))
    await create_key_account(other_manager, await organisation(agent, "B Co"))
    book = (await admin.execute(KEY_ACCOUNTS, {"filter": {"managerId": manager.user_id}}))["keyAccounts"]
    assert [e["node"]["id"] for e in book["edges"]] == [mine["id"]]


async def test_stale_profile_update_is_a_conflict(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent), industry="Retail")
    await payload(manager, UPDATE, {"id": account["id"], "expectedVersion": 1, "industry": "Hospitality"})
    stale = await payload(manager, UPDATE, {"id": account["id"], "expectedVersion": 1, "industry": "Mining"})
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    assert (await manager.execute(DOSSIER, {"id": account["id"]}))["keyAccount"]["industry"] == "Hospitality"


async def test_team_members_must_be_users(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    result = await payload(
        manager,
        ASSIGN_TEAM,
        {
            "keyAccountId": account["id"],
            "expectedVersion": 1,
            "memberIds": [agent.user_id, global_id("User", UNKNOWN)],
        },
    )
    assert result["errors"] == [
        {"code": "NOT_FOUND", "message": "no user with this id", "field": "memberIds[1]"}
    ]
    assert (await manager.execute(DOSSIER, {"id": account["id"]}))["keyAccount"]["team"] == []
