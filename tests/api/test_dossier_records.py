"""What a manager keeps in a dossier: contacts and who knows whom, visits and their
follow-ups, service contracts; and the overdue/expiring lists (on a fixed clock)."""

import asyncio
from datetime import timedelta

from schema.node import global_id
from tests.api.dossier import DOSSIER, KEY_ACCOUNTS, create_key_account, organisation, payload
from tests.conftest import T0, UNKNOWN

ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id name title decisionRole email birthday hobbies family version } errors { code message field } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { id name title email version } errors { code message field } } }"""
REMOVE_CONTACT = """mutation($input: RemoveContactInput!) { removeContact(input: $input) {
  contact { id name } errors { code message field } } }"""
LINK = """mutation($input: LinkContactsInput!) { linkContacts(input: $input) {
  contact { id relationships { link { id } relationship direction note contact { name } } } errors { code message field } } }"""
UNLINK = """mutation($input: UnlinkContactsInput!) { unlinkContacts(input: $input) {
  contact { id relationships { link { id } } } errors { code message field } } }"""
LOG_VISIT = """mutation($input: LogVisitInput!) { logVisit(input: $input) {
  visit { id visitedAt purpose nextVisitAt visitors { name } contacts { name }
    findings { needs satisfaction issues } followUps { id action dueAt done owner { name } } }
  errors { code message field } } }"""
COMPLETE = """mutation($input: CompleteFollowUpInput!) { completeFollowUp(input: $input) {
  followUp { id done doneAt visit { id } } errors { code message field } } }"""
ADD_CONTRACT = """mutation($input: AddServiceContractInput!) { addServiceContract(input: $input) {
  contract { id content startsOn endsOn fees { amount currency } confidentiality daysToExpiry }
  errors { code message field } } }"""


async def _account(agent, manager, name="Lotus Hotels Ltd", grade="B") -> str:
    return (await create_key_account(manager, await organisation(agent, name), grade=grade))["id"]


async def _contact(manager, account_id, name, **fields) -> str:
    result = await payload(manager, ADD_CONTACT, {"keyAccountId": account_id, "name": name, **fields})
    assert result["errors"] == [], result["errors"]
    return result["contact"]["id"]


async def _dossier(caller, account_id) -> dict:
    return (await caller.execute(DOSSIER, {"id": account_id}))["keyAccount"]


# --- contacts ---------------------------------------------------------------------------


async def test_add_and_update_a_contact(agent, manager) -> None:
    account_id = await _account(agent, manager)
    added = await payload(
        manager,
        ADD_CONTACT,
        {
            "keyAccountId": account_id,
            "name": "Chen Jie",
            "title": "Procurement Director",
            "decisionRole": "DECISION_MAKER",
            "email": "chen.jie@lotus.example.com",
            "birthday": "1978-03-14",
            "hobbies": ["golf", " tea "],
            "family": "daughter at university",
        },
    )
    contact = added["contact"]
    assert (contact["decisionRole"], contact["hobbies"], contact["version"]) == (
        "DECISION_MAKER",
        ["golf", "tea"],
        1,
    )
    updated = await payload(
        manager,
        UPDATE_CONTACT,
        {"id": contact["id"], "expectedVersion": 1, "title": "VP Procurement", "email": None},
    )
    assert updated["contact"] == {
        "id": contact["id"],
        "name": "Chen Jie",
        "title": "VP Procurement",
        "email": None,
        "version": 2,
    }
    stale = await payload(manager, UPDATE_CONTACT, {"id": contact["id"], "expectedVersion": 1, "title": "x"})
    assert stale["errors"][0]["code"] == "VERSION_CONFLICT"
    dossier = await _dossier(manager, account_id)
    assert dossier["contacts"]["totalCount"] == 1
    assert dossier["contacts"]["edges"][0]["node"]["title"] == "VP Procurement"


async def test_invalid_contact_is_refused_and_nothing_written(agent, manager) -> None:
    account_id = await _account(agent, manager)
    result = await payload(
        manager,
        ADD_CONTACT,
        {"keyAccountId": account_id, "name": "", "email": "nope", "birthday": "2030-01-01"},
    )
    assert {e["field"] for e in result["errors"]} == {"name", "email", "birthday"}
    assert (await _dossier(manager, account_id))["contacts"]["totalCount"] == 0


async def test_network_is_visible_from_both_ends(agent, manager) -> None:
    account_id = await _account(agent, manager)
    boss = await _contact(manager, account_id, "Chen Jie")
    buyer = await _contact(manager, account_id, "Liu Yang")
    linked = await payload(
        manager,
        LINK,
        {"fromContactId": buyer, "toContactId": boss, "relationship": "REPORTS_TO", "note": "since 2024"},
    )
    assert linked["errors"] == []
    [link] = linked["contact"]["relationships"]
    assert (link["relationship"], link["direction"], link["contact"]["name"]) == (
        "REPORTS_TO",
        "OUTGOING",
        "Chen Jie",
    )

    contacts = {
        e["node"]["name"]: e["node"] for e in (await _dossier(manager, account_id))["contacts"]["edges"]
    }
    [seen_by_boss] = contacts["Chen Jie"]["relationships"]
    assert seen_by_boss == {
        "link": {"id": link["link"]["id"]},
        "relationship": "REPORTS_TO",
        "direction": "INCOMING",
        "note": "since 2024",
        "contact": {"id": buyer, "name": "Liu Yang"},
    }

    again = await payload(
        manager, LINK, {"fromContactId": buyer, "toContactId": boss, "relationship": "REPORTS_TO"}
    )
    assert again["errors"][0]["code"] == "DUPLICATE"
    unlinked = await payload(manager, UNLINK, {"relationshipId": link["link"]["id"]})
    assert unlinked["contact"]["relationships"] == []


async def test_a_contact_cannot_know_itself(agent, manager) -> None:
    contact = await _contact(manager, await _account(agent, manager), "Chen Jie")
    result = await payload(
        manager, LINK, {"fromContactId": contact, "toContactId": contact, "relationship": "FRIEND"}
    )
    assert result["errors"] == [
        {"code": "VALIDATION", "message": "a contact cannot be related to itself", "field": "toContactId"}
    ]


async def test_cannot_link_to_a_contact_in_an_account_you_cannot_see(
    agent, manager, other_manager, db
) -> None:
    mine = await _contact(manager, await _account(agent, manager, "A Co"), "Chen Jie")
    theirs = await _contact(other_manager, await _account(agent, other_manager, "B Co"), "Sato Ken")
    result = await payload(
        manager, LINK, {"fromContactId": mine, "toContactId": theirs, "relationship": "SUPPLIER"}
    )
    assert result["errors"] == [
        {
            "code": "NOT_FOUND",
            "field": "toContactId",
            "message": "no contact with this id",
        }
    ]


async def test_removing_a_contact_removes_its_relationships(agent, manager, db) -> None:
    account_id = await _account(agent, manager)
    boss, buyer, user = [await _contact(manager, account_id, n) for n in ("Chen Jie", "Liu Yang", "Ma Li")]
    await payload(manager, LINK, {"fromContactId": buyer, "toContactId": boss, "relationship": "REPORTS_TO"})
    await payload(manager, LINK, {"fromContactId": boss, "toContactId": user, "relationship": "COLLEAGUE"})
    await payload(manager, LINK, {"fromContactId": buyer, "toContactId": user, "relationship": "FRIEND"})
    removed = await payload(manager, REMOVE_CONTACT, {"id": boss})
    assert removed["contact"]["name"] == "Chen Jie"
    assert await db["contact_relationships"].count_documents({}) == 1
    contacts = {
        e["node"]["name"]: e["node"] for e in (await _dossier(manager, account_id))["contacts"]["edges"]
    }
    assert set(contacts) == {"Liu Yang", "Ma Li"}
    assert [r["relationship"] for r in contacts["Ma Li"]["relationships"]] == ["FRIEND"]


# --- visits -----------------------------------------------------------------------------


async def test_log_a_visit_with_findings_and_follow_ups(agent, manager, clock) -> None:
    account_id = await _account(agent, manager, grade="A")
    contact = await _contact(manager, account_id, "Chen Jie")
    visited = T0 - timedelta(days=2)
    result = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "visitedAt": visited.isoformat(),
            "purpose": "quarterly review",
            "contactIds": [contact],
            "findings": {"needs": ["cold-chain capacity"], "satisfaction": 4, "issues": ["late invoices"]},
            "followUps": [
                {
                    "action": "send revised invoice schedule",
                    "ownerId": agent.user_id,
                    "dueAt": (T0 + timedelta(days=5)).isoformat(),
                }
            ],
        },
    )
    assert result["errors"] == []
    visit = result["visit"]
    assert visit["visitors"] == [{"name": "Wang Fang"}]
    assert visit["contacts"] == [{"name": "Chen Jie"}]
    assert visit["findings"] == {
        "needs": ["cold-chain capacity"],
        "satisfaction": 4,
        "issues": ["late invoices"],
    }
    [follow_up] = visit["followUps"]
    assert (follow_up["done"], follow_up["owner"]) == (False, {"name": "cx_agent-tester"})

    dossier = await _dossier(manager, account_id)
    assert dossier["lastVisitAt"] == visited.isoformat()
    assert dossier["nextVisitDueAt"] == (visited + timedelta(days=30)).isoformat()  # grade A: monthly
    assert dossier["visits"]["totalCount"] == 1

    done = await payload(manager, COMPLETE, {"followUpId": follow_up["id"]})
    assert done["followUp"] == {
        "id": follow_up["id"],
        "done": True,
        "doneAt": T0.isoformat(),
        "visit": {"id": visit["id"]},
    }
    clock.advance(timedelta(hours=1))
    again = await payload(manager, COMPLETE, {"followUpId": follow_up["id"]})
    assert again["followUp"]["doneAt"] == T0.isoformat()  # a retry changes nothing


async def test_agreed_next_visit_date_sets_the_plan(agent, manager) -> None:
    account_id = await _account(agent, manager, grade="C")
    agreed = T0 + timedelta(days=10)
    await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "visitedAt": T0.isoformat(),
            "purpose": "intro",
            "nextVisitAt": agreed.isoformat(),
        },
    )
    assert (await _dossier(manager, account_id))["nextVisitDueAt"] == agreed.isoformat()


async def test_refused_visits_write_nothing(agent, manager, other_manager) -> None:
    account_id = await _account(agent, manager)
    stranger = await _contact(other_manager, await _account(agent, other_manager, "B Co"), "Sato Ken")
    future = await payload(
        manager,
        LOG_VISIT,
        {"keyAccountId": account_id, "purpose": "x", "visitedAt": (T0 + timedelta(days=2)).isoformat()},
    )
    assert future["errors"] == [
        {"code": "VALIDATION", "message": "a visit cannot be logged before it happens", "field": "visitedAt"}
    ]
    no_due = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "purpose": "x",
            "visitedAt": T0.isoformat(),
            "followUps": [{"action": "call back", "ownerId": manager.user_id}],
        },
    )
    assert no_due["errors"] == [
        {"code": "VALIDATION", "message": "a follow-up needs a due date", "field": "followUps[0].dueAt"}
    ]
    foreign = await payload(
        manager,
        LOG_VISIT,
        {"keyAccountId": account_id, "purpose": "x", "visitedAt": T0.isoformat(), "contactIds": [stranger]},
    )
    # Another manager's contact reads as one that does not exist (no existence leak).
    assert foreign["errors"] == [
        {"code": "NOT_FOUND", "message": "no contact with this id", "field": "contactIds[0]"}
    ]
    dossier = await _dossier(manager, account_id)
    assert (dossier["visits"]["totalCount"], dossier["lastVisitAt"]) == (0, None)


# --- contracts ------------------------------------------------------------------------------


async def test_add_a_service_contract(agent, manager) -> None:
    account_id = await _account(agent, manager)
    result = await payload(
        manager,
        ADD_CONTRACT,
        {
            "keyAccountId": account_id,
            "content": "cold-chain freight, Shanghai-Chengdu",
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "fees": {"amount": "480000.00", "currency": "CNY"},
            "confidentiality": True,
        },
    )
    assert result["errors"] == []
    assert result["contract"]["daysToExpiry"] == 39  # from 2026-11-22
    assert result["contract"]["fees"] == {"amount": "480000.00", "currency": "CNY"}
    assert (await _dossier(manager, account_id))["contracts"][0]["confidentiality"] is True


async def test_a_contract_cannot_end_before_it_starts(agent, manager) -> None:
    account_id = await _account(agent, manager)
    result = await payload(
        manager,
        ADD_CONTRACT,
        {
            "keyAccountId": account_id,
            "content": "x",
            "startsOn": "2026-06-01",
            "endsOn": "2026-05-31",
            "fees": {"amount": "1", "currency": "CNY"},
        },
    )
    assert result["errors"] == [
        {"code": "VALIDATION", "message": "a contract cannot end before it starts", "field": "endsOn"}
    ]
    assert (await _dossier(manager, account_id))["contracts"] == []


# --- lists on a fixed clock ---------------------------------------------------------------


async def _ids(caller, **filter_) -> list[str]:
    page = (await caller.execute(KEY_ACCOUNTS, {"filter": filter_}))["keyAccounts"]
    return [e["node"]["id"] for e in page["edges"]]


async def test_overdue_visits_follow_the_clock(agent, manager, clock) -> None:
    grade_a = await _account(agent, manager, "A Co", grade="A")  # due T0 + 30 days
    grade_c = await _account(agent, manager, "C Co", grade="C")  # due T0 + 182 days
    assert await _ids(manager, visitOverdue=True) == []
    clock.advance(timedelta(days=31))
    assert await _ids(manager, visitOverdue=True) == [grade_a]
    assert await _ids(manager, visitOverdue=False) == [grade_c]
    await payload(
        manager, LOG_VISIT, {"keyAccountId": grade_a, "visitedAt": clock().isoformat(), "purpose": "catch up"}
    )
    assert await _ids(manager, visitOverdue=True) == []


async def test_accounts_with_contracts_ending_soon(agent, manager) -> None:
    soon, later, ended = [await _account(agent, manager, n) for n in ("Soon Co", "Later Co", "Ended Co")]
    for account_id, ends in ((soon, "2026-12-15"), (later, "2027-06-30"), (ended, "2026-11-01")):
        result = await payload(
            manager,
            ADD_CONTRACT,
            {
                "keyAccountId": account_id,
                "content": "service",
                "startsOn": "2026-01-01",
                "endsOn": ends,
                "fees": {"amount": "100", "currency": "CNY"},
            },
        )
        assert result["errors"] == []
    assert await _ids(manager, contractEndsWithinDays=30) == [soon]
    assert await _ids(manager, contractEndsWithinDays=365) == [soon, later]
    assert await _ids(manager, contractEndsWithinDays=30, visitOverdue=False) == [soon]
    errors = await manager.errors(KEY_ACCOUNTS, {"filter": {"contractEndsWithinDays": -1}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_refusals_on_contacts_follow_ups_and_links_change_nothing(
    agent, manager, other_manager, db
) -> None:
    account_id = await _account(agent, manager)
    contact = await _contact(manager, account_id, "Chen Jie")
    other = await _contact(manager, account_id, "Liu Yang")
    await payload(manager, LINK, {"fromContactId": other, "toContactId": contact, "relationship": "FRIEND"})

    not_yours = await payload(other_manager, REMOVE_CONTACT, {"id": contact})
    assert not_yours["errors"][0]["code"] == "NOT_FOUND"
    no_link = await payload(manager, UNLINK, {"relationshipId": global_id("ContactRelationship", UNKNOWN)})
    assert no_link["errors"] == [
        {"code": "NOT_FOUND", "message": "no relationship with this id", "field": "relationshipId"}
    ]
    no_follow_up = await payload(manager, COMPLETE, {"followUpId": global_id("FollowUp", UNKNOWN)})
    assert no_follow_up["errors"][0]["code"] == "NOT_FOUND"
    assert await db["contacts"].count_documents({}) == 2
    assert await db["contact_relationships"].count_documents({}) == 1


async def test_a_follow_up_can_be_logged_as_already_done(agent, manager) -> None:
    account_id = await _account(agent, manager)
    result = await payload(
        manager,
        LOG_VISIT,
        {
            "keyAccountId": account_id,
            "purpose": "x",
            "visitedAt": T0.isoformat(),
            "followUps": [
                {
                    "action": "hand over samples",
                    "ownerId": manager.user_id,
                    "dueAt": T0.isoformat(),
                    "done": True,
                }
            ],
        },
    )
    assert result["visit"]["followUps"][0]["done"] is True


async def test_concurrent_visit_reports_all_land_and_the_plan_follows_the_latest(agent, manager, db) -> None:
    account_id = await _account(agent, manager, grade="A")
    days = [T0 - timedelta(days=d) for d in (9, 3, 7, 1, 5, 8, 2, 6, 4, 10)]
    results = await asyncio.gather(
        *(
            payload(
                manager,
                LOG_VISIT,
                {"keyAccountId": account_id, "purpose": f"visit {i}", "visitedAt": day.isoformat()},
            )
            for i, day in enumerate(days)
        )
    )
    assert all(r["errors"] == [] for r in results)
    dossier = await _dossier(manager, account_id)
    assert dossier["visits"]["totalCount"] == 10
    latest = max(days)
    assert dossier["lastVisitAt"] == latest.isoformat()
    assert dossier["nextVisitDueAt"] == (latest + timedelta(days=30)).isoformat()
