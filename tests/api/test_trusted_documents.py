"""Trusted documents over HTTP: with RAPPORT_TRUSTED_DOCUMENTS_ONLY, a partner's token runs
only the registered documents (sent by hash or as their exact text) and anything else is
refused before it runs; other roles are not restricted; any client may name a registered
document by its hash (APQ-style `extensions.persistedQuery`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain.users import Role
from schema.trusted_documents import client_documents, sha256
from server.settings import Settings
from tests.api.queries import CREATE_CUSTOMER
from tests.api.serving import serving
from tests.conftest import PARTNER_ID

DOCUMENTS = {d.operation: d.text for d in client_documents()}
PARTNER_CUSTOMERS = DOCUMENTS["PartnerCustomers"]
UNREGISTERED = "{ customers(first: 5) { totalCount edges { node { id name } } } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def by_hash(text: str, **persisted: Any) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text), **persisted}}


@pytest.fixture
async def only_trusted(db, mongo_client, clock) -> AsyncIterator[httpx.AsyncClient]:
    """The service with RAPPORT_TRUSTED_DOCUMENTS_ONLY=true (partner tokens, by default)."""
    settings = Settings(_env_file=None, env="development", trusted_documents_only=True)
    async with serving(settings, db, mongo_client, clock) as http:
        yield http


async def send(
    http: httpx.AsyncClient, caller: Any, accept: str | None = None, **body: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {caller.token}"} if caller else {}
    return await http.post(
        "/graphql", json=body, headers={**headers, **({"Accept": accept} if accept else {})}
    )


@pytest.fixture
async def shared(agent) -> str:
    """A customer shared with the partner's portal."""
    data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Lin Xiaoyu", "sharedWith": [PARTNER_ID]}})
    return data["createCustomer"]["customer"]["id"]


async def test_a_partner_runs_its_registered_document_by_hash_or_as_its_text(
    only_trusted, partner, shared
) -> None:
    for body in (
        {"extensions": by_hash(PARTNER_CUSTOMERS), "variables": {"last": 5}},
        {"query": PARTNER_CUSTOMERS, "variables": {"last": 5}},
        {"query": PARTNER_CUSTOMERS, "extensions": by_hash(PARTNER_CUSTOMERS), "variables": {"last": 5}},
    ):
        answer = await send(only_trusted, partner, **body)
        assert answer.status_code == 200, answer.json()
        customers = answer.json()["data"]["customers"]
        assert (customers["totalCount"], [e["node"]["id"] for e in customers["edges"]]) == (1, [shared])


async def test_a_partner_is_refused_any_other_document_before_it_runs(only_trusted, partner, shared) -> None:
    # Another document, the registered one with a space more, or a web client document
    # edited on the way: each refused, named `query`, and nothing executed (no data).
    for text in (UNREGISTERED, PARTNER_CUSTOMERS + " ", PARTNER_CUSTOMERS.replace("lifecycleStage", "email")):
        answer = await send(only_trusted, partner, query=text, variables={"first": 5})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        assert answer.json()["data"] is None
        [refused] = answer.json()["errors"]
        assert refused["extensions"] == {"code": "DOCUMENT_NOT_TRUSTED", "field": "query"}
        assert refused["message"].startswith("this token may send only registered documents")
    # GraphQL over HTTP: a client accepting the GraphQL media type gets 400 and no data.
    answer = await send(only_trusted, partner, accept=GRAPHQL_RESPONSE, query=UNREGISTERED)
    assert answer.status_code == 400 and "data" not in answer.json()
    assert answer.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"


async def test_other_roles_send_what_they_like_and_the_setting_is_off_by_default(
    only_trusted, http, agent, partner, shared
) -> None:
    answer = await send(only_trusted, agent, query=UNREGISTERED)
    assert answer.json()["data"]["customers"]["totalCount"] == 1  # a CX agent is not restricted
    answer = await send(http, partner, query=UNREGISTERED)  # the default service: off
    assert answer.json()["data"]["customers"]["totalCount"] == 1


async def test_the_roles_are_a_setting_and_a_refused_mutation_writes_nothing(
    db, mongo_client, clock, agent, manager
) -> None:
    settings = Settings(
        _env_file=None,
        env="development",
        trusted_documents_only=True,
        trusted_documents_roles=[Role.CX_AGENT, Role.ACCOUNT_MANAGER],
    )
    async with serving(settings, db, mongo_client, clock) as http:
        create = {"query": CREATE_CUSTOMER, "variables": {"input": {"name": "Lin Xiaoyu"}}}
        [refused] = (await send(http, agent, **create)).json()["errors"]
        assert refused["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"
        assert await db["customers"].count_documents({}) == 0
        assert await db["audit_log"].count_documents({}) == 0  # nothing ran, nothing to audit
        # The web client's own documents still work for a manager, by hash.
        answer = await send(
            http, manager, extensions=by_hash(DOCUMENTS["MyAccounts"]), variables={"first": 25}
        )
        assert answer.json()["data"]["keyAccounts"] == {
            "totalCount": 0,
            "edges": [],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }


async def test_an_unknown_hash_is_not_found_and_a_hash_must_be_the_texts(http, agent) -> None:
    answer = await send(http, agent, extensions={"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}})
    [missing] = answer.json()["errors"]
    assert missing["extensions"] == {
        "code": "PERSISTED_QUERY_NOT_FOUND",
        "field": "extensions.persistedQuery.sha256Hash",
    }
    # Nothing is registered at run time: the text with its hash runs, the hash alone stays unknown.
    text = "{ me { id } }"
    assert (await send(http, agent, query=text, extensions=by_hash(text))).json()["data"]["me"]["id"]
    again = await send(http, agent, extensions=by_hash(text))
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    [mismatch] = (await send(http, agent, query=text, extensions=by_hash("{ me { name } }"))).json()["errors"]
    assert mismatch["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "extensions.persistedQuery.sha256Hash",
    }
    assert mismatch["message"] == "sha256Hash is not the SHA-256 of the query sent"


@pytest.mark.parametrize(
    ("persisted", "field"),
    [
        ("abc", "extensions.persistedQuery"),
        ({"version": 2, "sha256Hash": "0" * 64}, "extensions.persistedQuery.version"),
        ({"version": True, "sha256Hash": "0" * 64}, "extensions.persistedQuery.version"),
        ({"version": 1}, "extensions.persistedQuery.sha256Hash"),
        ({"version": 1, "sha256Hash": "0" * 63}, "extensions.persistedQuery.sha256Hash"),
        ({"version": 1, "sha256Hash": "A" * 64}, "extensions.persistedQuery.sha256Hash"),
        ({"version": 1, "sha256Hash": ["0" * 64]}, "extensions.persistedQuery.sha256Hash"),
    ],
)
async def test_a_malformed_persisted_query_is_refused_naming_the_field(http, agent, persisted, field) -> None:
    answer = await send(http, agent, accept=GRAPHQL_RESPONSE, extensions={"persistedQuery": persisted})
    assert answer.status_code == 400
    [refused] = answer.json()["errors"]
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_registered_document_by_hash_over_get_and_signing_in_by_hash(only_trusted, partner) -> None:
    answer = await only_trusted.get(
        "/graphql",
        params={"extensions": json.dumps(by_hash(PARTNER_CUSTOMERS))},
        headers={"Authorization": f"Bearer {partner.token}"},
    )
    assert answer.status_code == 200 and answer.json()["data"]["customers"]["totalCount"] == 0
    # Signing in needs no token, by hash too (the web client sends every document so).
    signed = await send(
        only_trusted,
        None,
        extensions=by_hash(DOCUMENTS["SignIn"]),
        variables={"input": {"name": "nobody", "password": "not a password at all"}},
    )
    assert signed.status_code == 200
    assert signed.json()["data"]["signIn"]["errors"][0]["code"] == "SIGN_IN_REFUSED"
