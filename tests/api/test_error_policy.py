"""What a client sees when things go wrong, and what the operators see."""

import httpx
from structlog.testing import capture_logs

from repositories.customers import CustomerRepository
from server.app import create_app
from server.database import Database
from server.settings import Settings
from tests.api.queries import CUSTOMERS
from tests.conftest import GraphQLClient


async def test_unexpected_failure_is_masked_and_logged_with_the_request_id(agent, monkeypatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("connection to 10.0.0.7 refused: secret driver detail")

    # Fault injection into the real repository: the database itself stays real.
    monkeypatch.setattr(CustomerRepository, "page", broken)
    with capture_logs() as logs:
        response = await agent.http.post(
            "/graphql",
            json={"query": CUSTOMERS},
            headers={
                "Authorization": f"Bearer {agent.token}",
                "X-Request-ID": "6a1c6d3e-3b8e-4b52-9d4e-2f0c1c6a9e11",
            },
        )
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "6a1c6d3e-3b8e-4b52-9d4e-2f0c1c6a9e11",
    }
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "6a1c6d3e-3b8e-4b52-9d4e-2f0c1c6a9e11"
    [logged] = [entry for entry in logs if entry["event"] == "unexpected error"]
    assert logged["request_id"] == "6a1c6d3e-3b8e-4b52-9d4e-2f0c1c6a9e11"
    assert logged["log_level"] == "error"


async def test_every_response_carries_a_request_id(agent) -> None:
    response = await agent.post("{ me { id } }")
    assert len(response.headers["x-request-id"]) >= 32


async def test_queries_deeper_than_the_configured_limit_are_refused(db, mongo_client, clock, agent) -> None:
    settings = Settings(_env_file=None, max_query_depth=4)
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        shallow = GraphQLClient(http, agent.token)
        assert "errors" not in (await shallow.post("{ customers { edges { node { name } } } }")).json()
        errors = await shallow.errors(
            "{ customers { edges { node { lifecycleHistory { actor { name } } } } } }"
        )
    assert errors[0]["message"] == "'anonymous' exceeds maximum operation depth of 4"
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_syntax_errors_are_bad_user_input(agent) -> None:
    errors = await agent.errors("{ customers { ")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_fields_are_bad_user_input(agent) -> None:
    errors = await agent.errors("{ customers { nope } }")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nope" in errors[0]["message"]


async def test_graphql_response_media_type_gets_400_for_request_errors(agent) -> None:
    headers = {"Authorization": f"Bearer {agent.token}", "Accept": "application/graphql-response+json"}
    broken = await agent.http.post("/graphql", json={"query": "{ customers { "}, headers=headers)
    assert broken.status_code == 400
    assert broken.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in broken.json()
    assert broken.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    fine = await agent.http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
    assert fine.status_code == 200
    assert fine.headers["content-type"].startswith("application/graphql-response+json")
    assert fine.json()["data"] == {"me": {"name": "cx_agent-tester"}}


async def test_plain_json_clients_keep_200_for_request_errors(agent) -> None:
    response = await agent.post("{ customers { ")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_a_body_that_is_not_a_json_object_is_a_bad_request(agent) -> None:
    for body in (b"null", b'"str"', b"123", b"true", b"[]", b"[{}]", b"{not json"):
        response = await agent.http.post(
            "/graphql",
            content=body,
            headers={"Authorization": f"Bearer {agent.token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, body
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
