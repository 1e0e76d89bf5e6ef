"""`make bench`: what the main operations cost, in database commands and latency.

Runs the real app (in-process ASGI) against the embedded server (or RAPPORT_MONGODB_URI)
on a throwaway database holding the demo data. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from demo_data import seed_demo_data
from domain.users import Role
from migrations import migrate
from repositories.users import UserRepository
from resolvers.users import issue_token
from server.app import create_app
from server.clock import system_clock
from server.database import Database, connect
from server.embedded_db import EmbeddedDatabase
from server.settings import Settings

ROUNDS = 100
PAGE = """query($after: String) { customers(first: 50, after: $after) { totalCount
  edges { cursor node { id name email lifecycleStage version allowedActions
    lifecycleHistory { action from to at reason actor { name } }
    stageTimings { stage totalTime current } } }
  pageInfo { hasNextPage endCursor } } }"""
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id version } errors { code } } }"""
PROSPECTS = "{ customers(first: 100, filter: {lifecycleStage: PROSPECT}) { edges { node { id } } } }"
DOSSIERS = """{ keyAccounts(first: 40) { totalCount edges { node { id grade visitOverdue nextVisitDueAt
  customer { name } manager { name } team { name }
  contacts(first: 10) { edges { node { name decisionRole relationships { relationship contact { name } } } } }
  visits(first: 5) { edges { node { visitedAt purpose followUps { action done owner { name } } } } }
  contracts { endsOn daysToExpiry fees { amount currency } } } } } }"""
ACQUIRE = """mutation($input: LifecycleTransitionInput!) { acquireCustomer(input: $input) {
  customer { version } errors { code } } }"""


async def _measure(http: httpx.AsyncClient, token: str, name: str, make_body) -> None:
    latencies, commands = [], set()
    for i in range(ROUNDS):
        started = time.perf_counter()
        response = await http.post(
            "/graphql", json=make_body(i), headers={"Authorization": f"Bearer {token}"}
        )
        latencies.append((time.perf_counter() - started) * 1000)
        body = response.json()
        assert "errors" not in body, body
        commands.add(body["extensions"]["db"]["commands"])
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(
        f"{name:<40} commands/request {sorted(commands)}  "
        f"p50 {statistics.median(latencies):6.1f} ms  p95 {p95:6.1f} ms  ({ROUNDS} requests)"
    )


async def main() -> None:
    uri = os.environ.get("RAPPORT_MONGODB_URI")
    server = None
    if not uri:
        server = EmbeddedDatabase.start(Path(tempfile.mkdtemp(prefix="rapport-bench-")) / "db")
        uri = server.uri
    client, db = connect(uri, f"rapport_bench_{uuid.uuid4().hex[:8]}")
    try:
        await migrate(db, system_clock())
        await seed_demo_data(db, system_clock())
        token = await issue_token(UserRepository(db), "bench", Role.ADMIN, None, system_clock())
        app = create_app(Settings(_env_file=None), database=Database(client=client, db=db))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            await _measure(
                http, token, "customers(first: 50) with history+timings", lambda i: {"query": PAGE}
            )
            await _measure(http, token, "keyAccounts(first: 40) full dossiers", lambda i: {"query": DOSSIERS})

            def create(i: int) -> dict:
                return {"query": CREATE, "variables": {"input": {"name": f"Bench {i}"}}}

            await _measure(http, token, "createCustomer", create)
            page = await http.post(
                "/graphql",
                json={"query": PROSPECTS},
                headers={"Authorization": f"Bearer {token}"},
            )
            ids = [e["node"]["id"] for e in page.json()["data"]["customers"]["edges"]]

            def acquire(i: int) -> dict:
                return {
                    "query": ACQUIRE,
                    "variables": {"input": {"customerId": ids[i], "expectedVersion": 1, "reason": "bench"}},
                }

            await _measure(http, token, "acquireCustomer", acquire)
    finally:
        await client.drop_database(db.name)
        await client.close()
        if server:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
