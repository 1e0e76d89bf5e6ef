"""HTTP hardening, as a client (or an attacker) meets it: body limit, headers, CORS, the
rate limit, production mode, and what the access log keeps."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from repositories.customers import CustomerRepository
from server.settings import Settings
from tests.api.serving import serving
from tests.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1_048_576
INTROSPECTION = "{ __schema { queryType { name } } }"


def production(**overrides) -> Settings:
    return Settings(_env_file=None, env="production", **overrides)


def body_of(size: int) -> bytes:
    """A valid request of exactly `size` bytes (an unused variable pads it)."""
    empty = orjson.dumps({"query": "{ me { id } }", "variables": {"pad": ""}})
    return orjson.dumps({"query": "{ me { id } }", "variables": {"pad": "x" * (size - len(empty))}})


def bearer(caller: GraphQLClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"}


# Body size


async def test_a_body_up_to_the_limit_passes_and_one_byte_more_is_413(agent) -> None:
    fits = await agent.http.post("/graphql", content=body_of(LIMIT), headers=bearer(agent))
    assert fits.status_code == 200 and fits.json()["data"]["me"]["id"] == agent.user_id
    over = await agent.http.post("/graphql", content=body_of(LIMIT + 1), headers=bearer(agent))
    assert over.status_code == 413
    [error] = over.json()["errors"]
    assert error == {
        "message": f"the request body is larger than {LIMIT} bytes",
        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
    }


async def test_a_chunked_body_is_counted_as_it_arrives(agent) -> None:
    sent = 0

    async def chunks():
        nonlocal sent
        for _ in range(50):  # 50 MB offered, as in the trial
            sent += 1
            yield b" " * LIMIT

    response = await agent.http.post("/graphql", content=chunks(), headers=bearer(agent))
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert sent <= 2  # read no further than the limit


async def test_an_announced_length_over_the_limit_is_refused_before_reading_or_a_token(anonymous) -> None:
    response = await anonymous.http.post(
        "/graphql", content=body_of(LIMIT + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


# Headers


async def test_every_response_says_nosniff_and_no_store(agent, anonymous) -> None:
    responses = [
        await agent.post("{ me { id } }"),
        await agent.http.get("/graphql", params={"query": "{ me { id } }"}, headers=bearer(agent)),
        await anonymous.post("{ me { id } }"),  # 401
        await agent.post("{ me { "),  # a request error
        await agent.http.get("/healthz"),
        await agent.http.get("/readyz"),
        await agent.http.post("/graphql", content=body_of(LIMIT + 1), headers=bearer(agent)),  # 413
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response
        assert response.headers["cache-control"] == "no-store", response


# CORS


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_development_answers_a_local_frontends_preflight_without_a_token(http) -> None:
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000"):
        response = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin
        allowed = response.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
    refused = await http.options("/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_production_allows_the_configured_origins_only(db, mongo_client, clock, agent) -> None:
    settings = production(cors_allowed_origins=["https://app.rapport.example"])
    async with serving(settings, db, mongo_client, clock) as http:
        allowed = await http.options(
            "/graphql", headers={"Origin": "https://app.rapport.example", **PREFLIGHT}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.rapport.example"
        for origin in ("http://localhost:5173", "https://evil.example"):
            refused = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
            assert refused.status_code == 400
            assert "access-control-allow-origin" not in refused.headers
        # The answer itself is readable by the allowed origin, its request id included.
        answer = await http.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={**bearer(agent), "Origin": "https://app.rapport.example"},
        )
        assert answer.headers["access-control-allow-origin"] == "https://app.rapport.example"
        assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


async def test_production_allows_no_origin_by_default(db, mongo_client, clock) -> None:
    async with serving(production(), db, mongo_client, clock) as http:
        refused = await http.options("/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


# Rate limit


async def test_a_token_gets_its_requests_a_minute_then_429_until_the_minute_turns(
    db, mongo_client, clock, agent, admin
) -> None:
    settings = Settings(_env_file=None, rate_limit_per_minute=3)
    async with serving(settings, db, mongo_client, clock) as http:
        caller = GraphQLClient(http, agent.token)
        for _ in range(3):
            await caller.execute("{ me { id } }")
        refused = await caller.post("{ me { id } }")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"  # the clock stands at 09:00:00
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert agent.token not in refused.text
        # Another token is counted on its own.
        await GraphQLClient(http, admin.token).execute("{ me { id } }")

        clock.advance(timedelta(seconds=45))
        assert (await caller.post("{ me { id } }")).headers["retry-after"] == "15"
        clock.advance(timedelta(seconds=15))
        await caller.execute("{ me { id } }")


async def test_requests_without_a_valid_token_are_not_counted(db, mongo_client, clock, agent) -> None:
    settings = Settings(_env_file=None, rate_limit_per_minute=1)
    async with serving(settings, db, mongo_client, clock) as http:
        for _ in range(3):
            assert (await GraphQLClient(http, "rap_not_a_token").post("{ me { id } }")).status_code == 401
        await GraphQLClient(http, agent.token).execute("{ me { id } }")


# Production mode


async def test_production_refuses_introspection_and_suggests_no_names(db, mongo_client, clock, agent) -> None:
    async with serving(production(), db, mongo_client, clock) as http:
        caller = GraphQLClient(http, agent.token)
        errors = await caller.errors(INTROSPECTION)
        assert "introspection has been disabled" in errors[0]["message"]
        assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in errors)
        assert await caller.errors('{ __type(name: "Customer") { name } }')
        for misspelled, name in [
            ("{ me { nme } }", "name"),
            ("{ customers(frist: 3) { totalCount } }", "first"),
            ("{ customers(filter: { lifecycleStage: ACTIV }) { totalCount } }", "ACTIVE"),
            ("query($f: CustomerFiltr) { customers(filter: $f) { totalCount } }", "CustomerFilter"),
        ]:
            errors = await caller.errors(misspelled)
            assert all("Did you mean" not in e["message"] for e in errors), errors
            assert all(f"'{name}'" not in e["message"] for e in errors), errors
    # Development keeps both, for people writing queries.
    assert (await GraphQLClient(agent.http, agent.token).execute(INTROSPECTION))["__schema"]
    errors = await agent.errors("{ me { nme } }")
    assert "Did you mean 'name'?" in errors[0]["message"]


async def test_production_needs_a_token_everywhere_but_health(db, mongo_client, clock, agent) -> None:
    async with serving(production(), db, mongo_client, clock) as http:
        page = {"Accept": "text/html"}
        for response in [
            await http.get("/graphql", headers=page),  # no GraphiQL page
            await http.get("/graphql"),
            await http.get("/graphql", params={"query": "{ __typename }"}),
            await http.post("/graphql", json={"query": "{ __typename }"}),
        ]:
            assert response.status_code == 401, response
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "www-authenticate" in response.headers
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.get("/graphiql")).status_code == 404
        with_token = await http.get("/graphql", headers={**page, "Authorization": f"Bearer {agent.token}"})
        assert "<html" not in with_token.text.lower()


async def test_production_masks_unexpected_errors(db, mongo_client, clock, agent, monkeypatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("secret driver detail")

    monkeypatch.setattr(CustomerRepository, "page", broken)
    async with serving(production(), db, mongo_client, clock) as http:
        response = await GraphQLClient(http, agent.token).post("{ customers { totalCount } }")
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert "secret" not in response.text


# The access log


ACCESS_LOG = """
import asyncio
import logging
import httpx
import uvicorn
from server.logging import configure_logging

configure_logging("INFO", json=True)
logging.getLogger("httpx").setLevel(logging.WARNING)  # the test's own client, not the service

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})

async def main():
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient() as client:
        await client.get(
            f"http://127.0.0.1:{port}/graphql",
            params={"query": "query($e: String) { customers(filter: { search: $e }) { totalCount } }",
                    "variables": '{"e": "ada.lovelace@example.com"}'},
        )
    server.should_exit = True
    await serving

asyncio.run(main())
"""


def test_the_access_log_keeps_the_path_but_not_the_query_string(tmp_path) -> None:
    log = tmp_path / "log"
    with log.open("wb") as file:
        subprocess.run(
            [sys.executable, "-c", ACCESS_LOG], cwd=ROOT, stderr=file, stdout=file, check=True, timeout=60
        )
    text = log.read_text()
    assert 'GET /graphql HTTP/1.1\\" 200' in text
    assert "ada.lovelace" not in text and "variables" not in text and "customers" not in text


@pytest.mark.parametrize("env", ["development", "production"])
def test_settings_name_the_limits(env) -> None:
    settings = Settings(_env_file=None, env=env)
    assert (settings.max_query_aliases, settings.max_query_tokens, settings.max_query_cost) == (
        15,
        2000,
        5000,
    )
    assert settings.max_request_body_bytes == LIMIT and settings.rate_limit_per_minute == 600
    assert settings.cors_allowed_origins == []
