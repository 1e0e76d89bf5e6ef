"""When the database stops answering (killed, or frozen), clients get a fast, clear
answer: /readyz 503 within a second, GraphQL a JSON 503 SERVICE_UNAVAILABLE (token
checks included), and the service answers again once the database is back."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from domain.users import Role
from migrations import migrate
from server.app import create_app
from server.clock import FixedClock
from server.database import Database, close_client, connect
from server.embedded_db import EmbeddedDatabase
from server.settings import Settings
from tests.conftest import T0, GraphQLClient, _caller

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("RAPPORT_TEST_MONGODB_URI")), reason="kills and freezes the embedded server"
)
DEADLINE_MS = 500


class Outage:
    def __init__(self, server: EmbeddedDatabase, http: httpx.AsyncClient, caller: GraphQLClient) -> None:
        self.server, self.http, self.caller = server, http, caller

    @property
    def pid(self) -> int:
        assert self.server.process is not None
        return self.server.process.pid

    async def timed(self, request) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = await request
        return response, time.monotonic() - started

    async def assert_unavailable(self) -> None:
        ready, took = await self.timed(self.http.get("/readyz"))
        assert (ready.status_code, ready.json()) == (503, {"status": "database unavailable"})
        assert took < 1.5
        for query in ("{ me { id } }", "{ customers(first: 5) { edges { node { id } } } }"):
            response, took = await self.timed(self.caller.post(query))
            assert response.status_code == 503 and response.headers["retry-after"] == "5"
            assert response.headers["content-type"].startswith("application/json")
            [error] = response.json()["errors"]
            assert error["message"] == "the database is unavailable; try again shortly"
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE" and error["extensions"]["requestId"]
            assert took < 3 * DEADLINE_MS / 1000 + 1


@pytest.fixture
async def outage(tmp_path: Path) -> AsyncIterator[Outage]:
    server = EmbeddedDatabase.start(tmp_path / "db", stop_timeout_s=2)
    client, db = connect(server.uri, "rapport", timeout_ms=DEADLINE_MS)
    try:
        clock = FixedClock(T0)
        await migrate(db, clock())
        settings = Settings(_env_file=None, mongodb_timeout_ms=DEADLINE_MS)
        app = create_app(settings, database=Database(client=client, db=db), clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            caller = await _caller(http, db, Role.CX_AGENT, clock())
            yield Outage(server, http, caller)
    finally:
        await close_client(client, 1)
        server.stop()


async def test_a_frozen_database_answers_503_fast_and_the_service_recovers(outage: Outage) -> None:
    assert (await outage.http.get("/readyz")).status_code == 200
    os.kill(outage.pid, signal.SIGSTOP)
    try:
        await outage.assert_unavailable()
    finally:
        os.kill(outage.pid, signal.SIGCONT)
    assert (await outage.http.get("/readyz")).status_code == 200
    assert (await outage.caller.post("{ me { id } }")).status_code == 200


async def test_a_killed_database_answers_503_fast(outage: Outage) -> None:
    assert outage.server.process is not None
    outage.server.process.kill()
    outage.server.process.wait()
    await outage.assert_unavailable()
