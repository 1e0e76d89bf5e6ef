"""Liveness and readiness, as an orchestrator probes them."""

import httpx

from server.app import create_app
from server.database import Database


async def test_liveness_needs_no_token(http) -> None:
    response = await http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_when_database_answers_and_migrations_are_applied(http) -> None:
    response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_not_ready_while_migrations_are_pending(bare_db, mongo_client, clock, settings) -> None:
    app = create_app(settings, database=Database(client=mongo_client, db=bare_db), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "migrations pending"})
