"""Creating, updating and reading customers through the API."""

import asyncio
import base64
from datetime import timedelta

from tests.api.queries import CREATE_CUSTOMER, CUSTOMER, CUSTOMERS, UPDATE_CUSTOMER
from tests.conftest import T0

NODE = "query($id: ID!) { node(id: $id) { id ... on Customer { name } } }"


async def _create(caller, **fields) -> dict:
    payload = (await caller.execute(CREATE_CUSTOMER, {"input": fields}))["createCustomer"]
    assert payload["errors"] == []
    return payload["customer"]


async def test_new_customer_is_a_prospect_at_version_one(agent) -> None:
    customer = await _create(
        agent,
        name="Mei Chen",
        kind="PERSON",
        email="mei@example.com",
        phone="+86 138 0000 1111",
        birthday="1990-05-01",
        tags=["Latte", "weekend-mornings"],
        source="store",
    )
    assert customer["lifecycleStage"] == "PROSPECT"
    assert customer["version"] == 1
    assert customer["allowedActions"] == ["ACQUIRE"]
    assert customer["lifecycleHistory"] == []
    assert customer["tags"] == ["latte", "weekend-mornings"]
    assert customer["createdAt"] == customer["updatedAt"] == T0.isoformat()
    assert base64.b64decode(customer["id"]).decode().startswith("Customer:")

    stored = (await agent.execute(CUSTOMER, {"id": customer["id"]}))["customer"]
    assert stored["name"] == "Mei Chen"
    assert stored["birthday"] == "1990-05-01"
    assert stored["stageTimings"] == [
        {
            "stage": "PROSPECT",
            "enteredAt": T0.isoformat(),
            "exitedAt": None,
            "totalTime": "P0D",
            "totalSeconds": 0.0,
            "visits": 1,
            "current": True,
        }
    ]


async def test_invalid_input_is_refused_with_field_paths_and_nothing_is_stored(agent) -> None:
    payload = (
        await agent.execute(
            CREATE_CUSTOMER,
            {"input": {"name": "", "email": "mei@", "birthday": "2030-01-01", "source": "x" * 101}},
        )
    )["createCustomer"]
    assert payload["customer"] is None
    assert {(e["code"], e["field"]) for e in payload["errors"]} == {
        ("VALIDATION", "name"),
        ("VALIDATION", "email"),
        ("VALIDATION", "birthday"),
        ("VALIDATION", "source"),
    }
    assert (await agent.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 0


async def test_wrongly_typed_input_is_a_bad_user_input_error(agent) -> None:
    errors = await agent.errors(CREATE_CUSTOMER, {"input": {"name": "A", "birthday": "yesterday"}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_email_is_unique_across_customers(agent) -> None:
    await _create(agent, name="Mei Chen", email="mei@example.com")
    payload = (
        await agent.execute(CREATE_CUSTOMER, {"input": {"name": "M. Chen", "email": "MEI@example.com"}})
    )["createCustomer"]
    assert payload["errors"] == [
        {"code": "DUPLICATE", "message": "a customer with this email already exists", "field": "email"}
    ]
    assert (await agent.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 1


async def test_retried_create_with_the_same_key_creates_once(agent) -> None:
    variables = {"input": {"name": "Wei Zhang", "idempotencyKey": "form-7f3a"}}
    first, again = await asyncio.gather(
        agent.execute(CREATE_CUSTOMER, variables), agent.execute(CREATE_CUSTOMER, variables)
    )
    assert first["createCustomer"]["customer"]["id"] == again["createCustomer"]["customer"]["id"]
    assert (await agent.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 1


async def test_a_retry_with_an_email_returns_the_first_customer_not_a_duplicate(agent) -> None:
    variables = {"input": {"name": "Wei Zhang", "email": "wei@example.com", "idempotencyKey": "form-91"}}
    first = (await agent.execute(CREATE_CUSTOMER, variables))["createCustomer"]
    retry = (await agent.execute(CREATE_CUSTOMER, variables))["createCustomer"]
    assert retry == first and retry["errors"] == []
    other_key = {"input": {**variables["input"], "idempotencyKey": "form-92"}}
    duplicate = (await agent.execute(CREATE_CUSTOMER, other_key))["createCustomer"]
    assert [(e["code"], e["field"]) for e in duplicate["errors"]] == [("DUPLICATE", "email")]
    assert (await agent.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 1


async def test_fifty_concurrent_identical_creates_make_one_customer(agent, db) -> None:
    variables = {"input": {"name": "Wei Zhang", "email": "wei@example.com", "idempotencyKey": "form-50"}}
    answers = await asyncio.gather(*(agent.execute(CREATE_CUSTOMER, variables) for _ in range(50)))
    ids = {a["createCustomer"]["customer"]["id"] for a in answers}
    assert len(ids) == 1 and all(a["createCustomer"]["errors"] == [] for a in answers)
    assert await db["customers"].count_documents({}) == 1


async def test_the_same_key_with_a_different_request_is_refused(agent) -> None:
    await _create(agent, name="Wei Zhang", email="wei@example.com", idempotencyKey="form-3")
    same_again = (
        await agent.execute(
            CREATE_CUSTOMER,
            {"input": {"name": " Wei Zhang ", "email": "wei@EXAMPLE.com", "idempotencyKey": "form-3"}},
        )
    )["createCustomer"]
    assert same_again["errors"] == []  # the same request once normalised
    changed = (
        await agent.execute(
            CREATE_CUSTOMER,
            {"input": {"name": "Wei Zhang", "email": "w.zhang@example.com", "idempotencyKey": "form-3"}},
        )
    )["createCustomer"]
    assert changed == {
        "customer": None,
        "errors": [
            {
                "code": "IDEMPOTENCY_KEY_REUSED",
                "message": "this idempotencyKey was used for a different request; use a new key",
                "field": "idempotencyKey",
            }
        ],
    }
    assert (await agent.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 1


async def test_update_changes_only_the_fields_sent(agent, clock) -> None:
    customer = await _create(agent, name="Mei Chen", email="mei@example.com", phone="+86 138 0000 1111")

    clock.advance(timedelta(hours=2))
    payload = (
        await agent.execute(
            UPDATE_CUSTOMER,
            {"input": {"id": customer["id"], "expectedVersion": 1, "name": "Mei Chen-Li", "phone": None}},
        )
    )["updateCustomer"]
    assert payload["errors"] == []
    updated = payload["customer"]
    assert (updated["name"], updated["email"], updated["phone"]) == ("Mei Chen-Li", "mei@example.com", None)
    assert updated["version"] == 2
    assert updated["updatedAt"] == (T0 + timedelta(hours=2)).isoformat()
    found = await agent.execute(CUSTOMERS, {"filter": {"search": "chen-li"}})
    assert found["customers"]["totalCount"] == 1


async def test_stale_update_is_a_version_conflict_and_changes_nothing(agent) -> None:
    customer = await _create(agent, name="Mei Chen")
    await agent.execute(
        UPDATE_CUSTOMER, {"input": {"id": customer["id"], "expectedVersion": 1, "name": "Mei"}}
    )
    payload = (
        await agent.execute(
            UPDATE_CUSTOMER, {"input": {"id": customer["id"], "expectedVersion": 1, "name": "X"}}
        )
    )["updateCustomer"]
    assert payload["customer"] is None
    assert payload["errors"][0]["code"] == "VERSION_CONFLICT"
    assert payload["errors"][0]["field"] == "expectedVersion"
    stored = (await agent.execute(CUSTOMER, {"id": customer["id"]}))["customer"]
    assert (stored["name"], stored["version"]) == ("Mei", 2)


async def test_invalid_update_changes_nothing(agent) -> None:
    customer = await _create(agent, name="Mei Chen")
    payload = (
        await agent.execute(
            UPDATE_CUSTOMER, {"input": {"id": customer["id"], "expectedVersion": 1, "name": "  "}}
        )
    )["updateCustomer"]
    assert payload["errors"][0]["code"] == "VALIDATION"
    stored = (await agent.execute(CUSTOMER, {"id": customer["id"]}))["customer"]
    assert (stored["name"], stored["version"]) == ("Mei Chen", 1)


async def test_unknown_customer_is_not_found(agent) -> None:
    ghost = base64.b64encode(b"Customer:5eed00000000000000000999").decode()
    payload = (
        await agent.execute(UPDATE_CUSTOMER, {"input": {"id": ghost, "expectedVersion": 1, "name": "X"}})
    )["updateCustomer"]
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert (await agent.execute(CUSTOMER, {"id": ghost}))["customer"] is None


async def test_node_resolves_a_customer_by_global_id(agent) -> None:
    customer = await _create(agent, name="Mei Chen")
    assert (await agent.execute(NODE, {"id": customer["id"]}))["node"] == {
        "id": customer["id"],
        "name": "Mei Chen",
    }


async def test_malformed_global_id_is_bad_user_input(agent) -> None:
    errors = await agent.errors(CUSTOMER, {"id": "not-a-global-id"})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
