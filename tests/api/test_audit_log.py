"""Every mutation, allowed or refused, leaves an audit entry: who, what, when, how it
ended. ADMIN reads the log; nobody edits or deletes it; it holds ids, never input values."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

from structlog.testing import capture_logs

from domain.audit import AuditFilter
from repositories.audit import query
from schema.node import global_id
from tests.api.queries import CREATE_CUSTOMER, UPDATE_CUSTOMER
from tests.conftest import T0, UNKNOWN

AUDIT_LOG = """
query($first: Int, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node {
      id at operation ids result errorCodes requestId tokenId tokenName
      actor { id name role }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""

NODE = "query($id: ID!) { node(id: $id) { id ... on AuditEntry { operation } } }"


async def _entries(admin, **filter_) -> list[dict]:
    data = await admin.execute(AUDIT_LOG, {"filter": filter_ or None})
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def _create(caller, **fields) -> dict:
    return (await caller.execute(CREATE_CUSTOMER, {"input": {"name": "Mei Chen", **fields}}))[
        "createCustomer"
    ]


async def _documents_outside_the_log(db) -> dict[str, int]:
    names = [n for n in await db.list_collection_names() if n != "audit_log"]
    return {name: await db[name].count_documents({}) for name in names}


async def test_a_mutation_is_recorded_with_who_what_when_and_ok(agent, admin) -> None:
    response = await agent.post(CREATE_CUSTOMER, {"input": {"name": "Mei Chen"}})
    customer = response.json()["data"]["createCustomer"]["customer"]

    [entry] = await _entries(admin)
    assert entry["operation"] == "createCustomer"
    assert entry["result"] == "OK" and entry["errorCodes"] == []
    assert entry["actor"] == {"id": agent.user_id, "name": "cx_agent-tester", "role": "CX_AGENT"}
    assert entry["ids"] == [customer["id"]]
    assert entry["at"] == T0.isoformat()
    assert entry["requestId"] == response.headers["x-request-id"]


async def test_ids_in_the_input_and_in_the_payload_are_recorded(agent, admin, clock) -> None:
    customer = (await _create(agent))["customer"]
    clock.advance(timedelta(minutes=1))
    await agent.execute(
        UPDATE_CUSTOMER, {"input": {"id": customer["id"], "expectedVersion": 1, "tags": ["x"]}}
    )

    [update, _create_entry] = await _entries(admin)  # newest first
    assert update["operation"] == "updateCustomer" and update["ids"] == [customer["id"]]


async def test_a_refused_mutation_is_recorded_and_writes_nothing_else(db, partner, analyst, admin) -> None:
    before = await _documents_outside_the_log(db)
    for caller in (partner, analyst):
        [error] = await caller.errors(CREATE_CUSTOMER, {"input": {"name": "Mei Chen"}})
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert await _documents_outside_the_log(db) == before

    entries = await _entries(admin)
    assert [(e["actor"]["role"], e["operation"], e["result"], e["errorCodes"]) for e in entries] == [
        ("ANALYST", "createCustomer", "REFUSED", ["FORBIDDEN"]),
        ("PARTNER", "createCustomer", "REFUSED", ["FORBIDDEN"]),
    ]


async def test_a_rejected_mutation_is_recorded_with_its_codes(agent, admin) -> None:
    assert (await _create(agent, name=""))["errors"][0]["code"] == "VALIDATION"
    missing = global_id("Customer", UNKNOWN)
    await agent.execute(UPDATE_CUSTOMER, {"input": {"id": missing, "expectedVersion": 1, "tags": ["x"]}})

    [not_found, invalid] = await _entries(admin)
    assert (invalid["operation"], invalid["result"], invalid["errorCodes"]) == (
        "createCustomer",
        "REJECTED",
        ["VALIDATION"],
    )
    assert (not_found["result"], not_found["errorCodes"], not_found["ids"]) == (
        "REJECTED",
        ["NOT_FOUND"],
        [missing],
    )


async def test_queries_are_not_recorded(agent, admin, db) -> None:
    await agent.execute("{ me { id } customers(first: 5) { edges { node { id } } } }")
    await admin.execute(AUDIT_LOG)
    assert await db["audit_log"].count_documents({}) == 0


async def test_the_log_holds_no_input_values(agent, db) -> None:
    email = "mei.chen.private@example.com"
    await _create(agent, email=email, phone="+86 138 0000 1111", tags=["secret-tag"], source="hotline")
    customer = await _create(agent, email=email)  # a duplicate: its message names the field only
    assert customer["errors"][0]["code"] == "DUPLICATE"

    raw = str(await db["audit_log"].find({}).to_list())
    assert await db["audit_log"].count_documents({}) == 2
    for value in (email, "mei.chen", "Mei Chen", "8613800001111", "1111", "secret-tag", "hotline"):
        assert value not in raw


async def test_filters_by_actor_operation_and_time(agent, manager, admin, clock) -> None:
    customer = (await _create(agent))["customer"]  # T0, agent
    clock.advance(timedelta(hours=1))
    await _create(agent, name="Li Wei")  # T0+1h, agent
    clock.advance(timedelta(hours=1))
    await manager.errors(CREATE_CUSTOMER, {"input": {"name": "Zhou Min"}})  # T0+2h, manager, refused
    clock.advance(timedelta(hours=1))
    await agent.execute(
        UPDATE_CUSTOMER, {"input": {"id": customer["id"], "expectedVersion": 1, "tags": ["x"]}}
    )

    def summary(entries: list[dict]) -> list[tuple[str, str, str]]:
        return [(e["actor"]["role"], e["operation"], e["at"]) for e in entries]

    at = [(T0 + timedelta(hours=h)).isoformat() for h in range(4)]
    assert summary(await _entries(admin, actorId=manager.user_id)) == [
        ("ACCOUNT_MANAGER", "createCustomer", at[2])
    ]
    assert summary(await _entries(admin, actorId=agent.user_id, operation="createCustomer")) == [
        ("CX_AGENT", "createCustomer", at[1]),
        ("CX_AGENT", "createCustomer", at[0]),
    ]
    assert summary(await _entries(admin, operation="updateCustomer")) == [
        ("CX_AGENT", "updateCustomer", at[3])
    ]
    # from and to are both inclusive.
    assert summary(await _entries(admin, **{"from": at[1], "to": at[2]})) == [
        ("ACCOUNT_MANAGER", "createCustomer", at[2]),
        ("CX_AGENT", "createCustomer", at[1]),
    ]
    assert len(await _entries(admin, **{"from": at[3]})) == 1
    assert len(await _entries(admin, to=at[0])) == 1
    assert await _entries(admin, actorId=admin.user_id) == []


async def test_pages_newest_first(agent, admin, clock) -> None:
    for name in ("A One", "B Two", "C Three"):
        await _create(agent, name=name)
        clock.advance(timedelta(seconds=1))
    first = (await admin.execute(AUDIT_LOG, {"first": 2}))["auditLog"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = (await admin.execute(AUDIT_LOG, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["auditLog"]
    assert not rest["pageInfo"]["hasNextPage"]
    times = [e["node"]["at"] for e in first["edges"] + rest["edges"]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 3


async def test_same_moment_entries_page_without_loss_or_repeat(agent, admin) -> None:
    for name in ("A One", "B Two", "C Three"):
        await _create(agent, name=name)  # the fixed clock: all at T0
    seen, after = [], None
    while True:
        page = (await admin.execute(AUDIT_LOG, {"first": 1, "after": after}))["auditLog"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 3


async def test_only_admin_reads_the_log(agent, manager, analyst, partner, admin) -> None:
    await _create(agent)
    [entry] = await _entries(admin)
    assert (await admin.execute(NODE, {"id": entry["id"]}))["node"] == {
        "id": entry["id"],
        "operation": "createCustomer",
    }
    for caller in (agent, manager, analyst, partner):
        [error] = await caller.errors(AUDIT_LOG)
        assert error["extensions"]["code"] == "FORBIDDEN"
        # An entry is to them what a missing id is: null.
        assert (await caller.execute(NODE, {"id": entry["id"]}))["node"] is None
        assert (await caller.execute(NODE, {"id": global_id("AuditEntry", UNKNOWN)}))["node"] is None


async def test_filter_inputs_are_checked(admin, agent) -> None:
    customer = (await _create(agent))["customer"]
    cases = [
        ({"actorId": customer["id"]}, "filter.actorId"),  # a Customer id, not a User id
        ({"actorId": "not-an-id"}, "filter.actorId"),
        ({"operation": "create\nCustomer"}, "filter.operation"),
        ({"operation": "x" * 101}, "filter.operation"),
        ({"from": (T0 + timedelta(days=1)).isoformat(), "to": T0.isoformat()}, "filter.from"),
    ]
    for filter_, field in cases:
        [error] = await admin.errors(AUDIT_LOG, {"filter": filter_})
        assert (error["extensions"]["code"], error["extensions"].get("field")) == ("BAD_USER_INPUT", field)
    [error] = await admin.errors(AUDIT_LOG, {"first": 101})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_no_mutation_changes_or_deletes_the_log(admin) -> None:
    data = await admin.execute("{ __schema { mutationType { fields { name } } } }")
    names = [f["name"] for f in data["__schema"]["mutationType"]["fields"]]
    assert names and not [n for n in names if "audit" in n.lower()]


async def test_an_entry_that_cannot_be_written_is_not_lost_silently(agent, admin, db) -> None:
    # The database refuses every audit entry (a validator nothing meets): the mutation's
    # caller is told, and the entry is in the error log with the request id.
    await db.command("collMod", "audit_log", validator={"$jsonSchema": {"required": ["never"]}})
    with capture_logs() as logs:
        response = await agent.post(CREATE_CUSTOMER, {"input": {"name": "Mei Chen"}})
    body = response.json()
    [error] = body["errors"]
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert body["data"] is None
    [logged] = [entry for entry in logs if entry["event"] == "audit entry not written"]
    assert logged["request_id"] == request_id
    assert (logged["operation"], logged["result"], logged["actor_id"]) == (
        "createCustomer",
        "OK",
        agent.local_user_id,
    )
    [created] = await db["customers"].find({}).to_list()
    assert logged["ids"] == [global_id("Customer", str(created["_id"]))]
    assert "Mei Chen" not in str(logged)


async def test_every_filter_combination_has_an_index(db) -> None:
    """Each list query's equalities lead an index, followed by the newest-first order, so
    MongoDB answers any page from an index (the embedded server plans more simply)."""
    indexes = [list(spec["key"]) for spec in (await db["audit_log"].index_information()).values()]
    for actor, operation, timed in product([None, UNKNOWN], [None, "createCustomer"], [False, True]):
        where = AuditFilter(actor_id=actor, operation=operation, since=T0 if timed else None)
        equalities = sorted(k for k, v in query(where).items() if k != "at")
        assert any(
            sorted(field for field, _ in key[: len(equalities)]) == equalities
            and key[len(equalities) :] == [("at", -1), ("_id", -1)]
            for key in indexes
        ), where
