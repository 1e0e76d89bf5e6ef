"""Hostile and absurd input gets a typed error naming the field, and nothing is written:
control characters, numbers and money beyond any meaning, dates far outside the
business's, searches of thousands of words, times without a time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.dossier import KEY_ACCOUNTS, create_key_account, organisation, payload
from tests.api.queries import CREATE_CUSTOMER, CUSTOMERS
from tests.api.test_dossier_records import ADD_CONTACT, ADD_CONTRACT, LOG_VISIT, UPDATE_CONTACT
from tests.conftest import T0


def _contract(account_id: str, amount: str) -> dict:
    return {
        "keyAccountId": account_id,
        "content": "freight",
        "startsOn": "2026-01-01",
        "endsOn": "2026-12-31",
        "fees": {"amount": amount, "currency": "CNY"},
    }


def _fields(result: dict) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in result["errors"]]


@pytest.mark.parametrize(
    "name", ["Mei\x00Chen", "Mei\u202eneHC", "Mei\nChen", "Mei\x1b[31mChen", "\u2066Mei\u2069"]
)
async def test_control_characters_are_refused_in_names(agent, db, name) -> None:
    result = (await agent.execute(CREATE_CUSTOMER, {"input": {"name": name}}))["createCustomer"]
    assert _fields(result) == [("VALIDATION", "name")]
    assert "control characters" in result["errors"][0]["message"]
    assert await db["customers"].count_documents({}) == 0


async def test_multi_line_text_keeps_its_line_breaks_but_not_other_controls(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    added = await payload(
        manager,
        ADD_CONTACT,
        {"keyAccountId": account["id"], "name": "Chen Jie", "family": "two children\nloves tea"},
    )
    assert added["errors"] == [] and added["contact"]["family"] == "two children\nloves tea"
    refused = await payload(
        manager,
        UPDATE_CONTACT,
        {"id": added["contact"]["id"], "expectedVersion": 1, "title": "CEO\r\nand more"},
    )
    assert _fields(refused) == [("VALIDATION", "title")]
    nul = await payload(
        manager, UPDATE_CONTACT, {"id": added["contact"]["id"], "expectedVersion": 1, "goals": "grow\x00"}
    )
    assert _fields(nul) == [("VALIDATION", "goals")]


@pytest.mark.parametrize("amount", ["1e999999", "1E+6145", "1" * 50, "1234567890123456", "0.00001", "-5"])
async def test_money_beyond_its_digits_is_refused(agent, manager, db, amount) -> None:
    account = await create_key_account(manager, await organisation(agent))
    result = await payload(manager, ADD_CONTRACT, _contract(account["id"], amount))
    assert _fields(result) == [("VALIDATION", "fees")]
    assert await db["service_contracts"].count_documents({}) == 0


async def test_the_largest_allowed_amount_is_stored_exactly(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    result = await payload(manager, ADD_CONTRACT, _contract(account["id"], "999999999999999.9999"))
    assert result["contract"]["fees"] == {"amount": "999999999999999.9999", "currency": "CNY"}


async def test_dates_outside_any_business_meaning_are_refused(agent, manager, db) -> None:
    account = await create_key_account(manager, await organisation(agent))
    visit = {"keyAccountId": account["id"], "purpose": "review", "visitedAt": T0.isoformat()}
    for change, field in [
        ({"nextVisitAt": "9999-12-31T00:00:00Z"}, "nextVisitAt"),
        ({"visitedAt": "0001-01-01T00:00:00Z"}, "visitedAt"),
        ({"visitedAt": (T0 - timedelta(days=11 * 366)).isoformat()}, "visitedAt"),
        (
            {"followUps": [{"action": "call", "ownerId": manager.user_id, "dueAt": "9999-12-31T00:00:00Z"}]},
            "followUps[0].dueAt",
        ),
    ]:
        assert _fields(await payload(manager, LOG_VISIT, {**visit, **change})) == [("VALIDATION", field)]
    contract = _contract(account["id"], "10")
    for days, field in [(("2026-01-01", "9999-12-31"), "endsOn"), (("0001-01-01", "2026-12-31"), "startsOn")]:
        result = await payload(manager, ADD_CONTRACT, {**contract, "startsOn": days[0], "endsOn": days[1]})
        assert _fields(result) == [("VALIDATION", field)]
    birthday = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "X", "birthday": "0001-01-01"}})
    assert _fields(birthday["createCustomer"]) == [("VALIDATION", "birthday")]
    assert await db["visit_logs"].count_documents({}) == 0
    assert await db["service_contracts"].count_documents({}) == 0
    # A visit logged "now" from a time zone ahead of ours is fine; an agreed next visit
    # within a few years too.
    ahead = {
        **visit,
        "visitedAt": (T0 + timedelta(hours=8)).isoformat(),
        "nextVisitAt": "2028-06-01T00:00:00Z",
    }
    assert (await payload(manager, LOG_VISIT, ahead))["errors"] == []


async def test_numbers_beyond_any_meaning_are_refused_naming_the_argument(admin) -> None:
    [error] = await admin.errors(KEY_ACCOUNTS, {"filter": {"contractEndsWithinDays": 3_000_000}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.contractEndsWithinDays"}


async def test_a_time_without_its_utc_offset_is_refused(agent, manager) -> None:
    account = await create_key_account(manager, await organisation(agent))
    response = await manager.post(
        LOG_VISIT.replace("$input: LogVisitInput!", "$input: LogVisitInput!"),
        {"input": {"keyAccountId": account["id"], "purpose": "x", "visitedAt": "2026-11-21T09:00:00"}},
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "UTC offset" in error["message"]


async def test_a_huge_search_is_refused_before_it_reaches_the_database(agent) -> None:
    for search, why in [
        (" ".join(["word"] * 10_000), "longer than"),
        (" ".join(f"w{i}" for i in range(9)), "words"),
    ]:
        [error] = await agent.errors(CUSTOMERS, {"filter": {"search": search}})
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.search"}
        assert why in error["message"]


async def test_every_search_word_must_start_one_name_word(agent) -> None:
    for name in ("Zhao Lei", "Wang Fang", "Lei Wang"):
        await agent.execute(CREATE_CUSTOMER, {"input": {"name": name}})
    data = await agent.execute(CUSTOMERS, {"filter": {"search": "wang lei"}, "orderBy": {"field": "NAME"}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["Lei Wang"]
    data = await agent.execute(CUSTOMERS, {"filter": {"search": "zhao wang"}})
    assert data["customers"]["edges"] == []


async def test_phone_numbers_are_normalised_to_e164(agent) -> None:
    for sent, stored in [("138 1234 5678", "+8613812345678"), ("+1 (415) 555-2671", "+14155552671")]:
        result = (await agent.execute(CREATE_CUSTOMER, {"input": {"name": "P", "phone": sent}}))[
            "createCustomer"
        ]
        assert result["customer"]["phone"] == stored
    refused = (await agent.execute(CREATE_CUSTOMER, {"input": {"name": "P", "phone": "+1 555"}}))[
        "createCustomer"
    ]
    assert _fields(refused) == [("VALIDATION", "phone")]


async def test_an_idempotency_key_is_bounded_text(agent) -> None:
    for key in ("k" * 201, "key\x00"):
        result = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "P", "idempotencyKey": key}})
        assert _fields(result["createCustomer"]) == [("VALIDATION", "idempotencyKey")]
