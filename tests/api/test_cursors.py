"""Cursors are opaque and checked: one the service did not issue, or one whose content is
not a scalar sort key and an id, is VALIDATION on `after` and reaches no query."""

from __future__ import annotations

import base64

import orjson
import pytest

from repositories.pagination import CursorSeal
from repositories.service_keys import COLLECTION, CURSOR_KEY
from tests.api.queries import CREATE_CUSTOMER

PAGE = """query($after: String) { customers(first: 2, after: $after) {
  edges { cursor node { name } } pageInfo { endCursor hasNextPage } } }"""


@pytest.fixture
async def customers(agent) -> None:
    for name in ("Ai Lin", "Bo Chen", "Cai Wen", "Du Fei"):
        await agent.execute(CREATE_CUSTOMER, {"input": {"name": name}})


async def _seal(db, payload: object) -> str:
    """A cursor signed with the service's own key: what an attacker who knew it could send."""
    key = (await db[COLLECTION].find_one({"_id": CURSOR_KEY}))["key"]
    raw = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return CursorSeal(bytes(key)).seal(raw)


async def test_issued_cursors_page_on(customers, agent) -> None:
    first = (await agent.execute(PAGE))["customers"]
    second = (await agent.execute(PAGE, {"after": first["pageInfo"]["endCursor"]}))["customers"]
    assert [e["node"]["name"] for e in first["edges"] + second["edges"]] == [
        "Ai Lin",
        "Bo Chen",
        "Cai Wen",
        "Du Fei",
    ]


async def test_forged_and_tampered_cursors_are_refused(customers, agent) -> None:
    issued = (await agent.execute(PAGE))["customers"]["pageInfo"]["endCursor"]
    raw, _, mac = issued.rpartition(".")
    evil = base64.urlsafe_b64encode(orjson.dumps([{"$ne": None}, "0" * 24])).decode().rstrip("=")
    for forged in [
        "forged",
        "",
        raw,  # unsigned
        f"{raw}.{mac[:-1]}A" if not mac.endswith("A") else f"{raw}.{mac[:-1]}B",  # wrong signature
        f"{evil}.{mac}",  # another payload under a signature that is not its own
        f"{raw}.ñø",  # a non-ASCII signature
        "x" * 5000,
    ]:
        [error] = await agent.errors(PAGE, {"after": forged})
        assert error["extensions"] == {"code": "VALIDATION", "field": "after"}, forged
        assert error["message"] == "the cursor is not one this API returned"


@pytest.mark.parametrize(
    "payload",
    [
        [{"$ne": None}, "0" * 24],
        [{"$gt": ""}, "0" * 24],
        [{"$regex": ".*"}, "0" * 24],
        [{"$exists": True}, "0" * 24],
        [{"$in": list(range(10_000))}, "0" * 24],
        [{"$where": "sleep(1000)"}, "0" * 24],
        ["Ai Lin", {"$ne": None}],
        ["Ai Lin", "not-an-object-id"],
        ["Ai Lin"],
        {"d": "2026-01-01"},
        [{"d": "soon"}, "0" * 24],
    ],
)
async def test_a_signed_cursor_with_the_wrong_shape_is_refused(customers, agent, db, payload) -> None:
    # Even correctly signed, a cursor's content reaches a query only as typed values.
    [error] = await agent.errors(PAGE, {"after": await _seal(db, payload)})
    assert error["extensions"] == {"code": "VALIDATION", "field": "after"}
