"""`make bench`: what the main operations cost: the service process's own CPU time per
request (read from the process with psutil, not wall time), latency, database commands.

The service runs as its own process (`main.py serve`, development mode so responses
carry `extensions.db.commands`) against a throwaway database on the embedded server (or
RAPPORT_MONGODB_URI); this process only sends requests. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
from bson import ObjectId

from demo_data import seed_demo_complaints, seed_demo_data
from domain.customers import CustomerKind
from domain.key_accounts import (
    Category,
    CompanyProfile,
    DecisionRole,
    Grade,
    Relationship,
    ServiceContract,
    VisitCadence,
    VisitFindings,
    VisitLog,
)
from domain.lifecycle import LifecycleStage
from domain.money import Money
from domain.users import Role
from migrations import migrate
from repositories.contacts import ContactRepository, new_contact_document, relationship_document
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository, new_customer_document
from repositories.key_accounts import KeyAccountRepository, new_key_account_document
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers.tokens import issue_token
from schema.node import global_id
from server.clock import system_clock
from server.database import connect
from server.embedded_db import EmbeddedDatabase

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 40
BOOK = """query($m: ID!, $n: Int!) { keyAccounts(first: $n, filter: { managerId: $m }) { totalCount edges { node {
  id grade manager { id name } nextVisitDueAt visitOverdue customer { id name }
  contacts(first: 10) { edges { node { id name decisionRole relationships { relationship contact { id name } } } } }
  visits(first: 5) { edges { node { id visitedAt purpose } } } contracts { id endsOn } } } } }"""
CUSTOMERS = """{ customers(first: 50) { totalCount edges { cursor node { id name email lifecycleStage version
  allowedActions lifecycleHistory { action from to at reason actor { name } } stageTimings { stage totalTime current } } }
  pageInfo { hasNextPage endCursor } } }"""
SEARCH = (
    """query($s: String) { customers(first: 20, filter: { search: $s }) { edges { node { id name } } } }"""
)
SLA = "dueAt metAt breached remaining"
COMPLAINTS = f"""{{ complaints(first: 50) {{ edges {{ node {{ id summary status severity receivedAt
  owner {{ name }} department {{ name }} customer {{ name }}
  sla {{ policy firstResponse {{ {SLA} }} resolution {{ {SLA} }} followUp {{ {SLA} }} }} }} }} }} }}"""
BREACHED = (
    """{ complaints(first: 50, filter: { breached: true }) { totalCount edges { node { id status } } } }"""
)
STATS = """query($from: Date!, $to: Date!) { complaintStats(from: $from, to: $to) { filed
  byCategory { key count } firstResponses averageFirstResponseSeconds medianFirstResponseSeconds
  compliance { clock met onTime rate } complianceByOwner { id clocks { clock rate } } resolved reopened } }"""
STAGE = """{ customers(first: 20, filter: { lifecycleStage: ACTIVE }) { edges { node { id name } } } }"""
STAGE_COUNT = (
    """{ customers(first: 20, filter: { lifecycleStage: ACTIVE }) { totalCount edges { node { id } } } }"""
)


async def _book(db: Any, manager_id: str, accounts: int) -> None:
    """`accounts` key accounts for one manager: 4 contacts with 3 relationships, 8 visits
    and 1 contract each (the shape the issue measured)."""
    now = system_clock()
    organisations = [
        new_customer_document(
            {"name": f"Account {n}", "kind": CustomerKind.ORGANIZATION}, now - timedelta(days=400)
        )
        for n in range(accounts)
    ]
    await CustomerRepository(db).insert_many(organisations)
    docs, contacts, links, visits, contracts = [], [], [], [], []
    for org in organisations:
        account_id = ObjectId()
        docs.append(
            new_key_account_document(
                customer_id=str(org["_id"]),
                grade=Grade.B,
                category=Category.ECONOMIC,
                industry="Logistics",
                manager_id=manager_id,
                profile=CompanyProfile(),
                next_visit_due_at=now,
                now=now - timedelta(days=300),
                object_id=account_id,
            )
        )
        ids = [str(ObjectId()) for _ in range(4)]
        contacts += [
            new_contact_document(
                str(account_id), {"name": f"Contact {i}", "decision_role": DecisionRole.USER}, now
            )
            for i in range(4)
        ]
        for doc, contact_id in zip(contacts[-4:], ids, strict=True):
            doc["_id"] = ObjectId(contact_id)
        links += [
            relationship_document(ids[i], ids[0], Relationship.REPORTS_TO, None, now) for i in (1, 2, 3)
        ]
        visits += [
            VisitLog(
                id=str(ObjectId()),
                key_account_id=str(account_id),
                visited_at=now - timedelta(days=30 * v + 1),
                visitor_ids=[manager_id],
                contact_ids=ids[:1],
                purpose="review",
                findings=VisitFindings(),
                follow_ups=[],
                next_visit_at=None,
                logged_by=manager_id,
                created_at=now,
            )
            for v in range(8)
        ]
        contracts.append(
            ServiceContract(
                id=str(ObjectId()),
                key_account_id=str(account_id),
                content="freight",
                starts_on=now.date(),
                ends_on=now.date() + timedelta(days=200),
                fees=Money(Decimal("1000"), "CNY"),
                confidentiality=False,
                created_at=now,
            )
        )
    await KeyAccountRepository(db).insert_many(docs)
    await ContactRepository(db).insert_many(contacts, links)
    await VisitRepository(db).insert_many(visits)
    await ContractRepository(db).insert_many(contracts)


async def _many_customers(db: Any, count: int) -> None:
    now = system_clock()
    stages = list(LifecycleStage)
    docs = [
        new_customer_document(
            {"name": f"Customer{n} Zhang{n % 97}", "email": f"c{n}@example.com", "kind": CustomerKind.PERSON},
            now - timedelta(minutes=n),
            stage=stages[n % len(stages)],
        )
        for n in range(count)
    ]
    for start in range(0, count, 1000):
        await CustomerRepository(db).insert_many(docs[start : start + 1000])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _measure(
    http: httpx.AsyncClient, service: psutil.Process, token: str, name: str, body: dict
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(5):  # warm the caches
        await http.post("/graphql", json=body, headers=headers)
    latencies, commands = [], set()
    cpu_before = service.cpu_times()
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await http.post("/graphql", json=body, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        payload = response.json()
        assert "errors" not in payload, payload
        commands.add(payload["extensions"]["db"]["commands"])
    cpu_after = service.cpu_times()
    cpu_ms = ((cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)) * 1000 / ROUNDS
    p95 = statistics.quantiles(latencies, n=20)[18]
    print(
        f"{name:<44} service CPU {cpu_ms:6.1f} ms/request  p50 {statistics.median(latencies):6.1f} ms  "
        f"p95 {p95:6.1f} ms  commands {sorted(commands)}"
    )


async def main() -> None:
    uri = os.environ.get("RAPPORT_MONGODB_URI")
    server = None
    if not uri:
        server = EmbeddedDatabase.start(Path(tempfile.mkdtemp(prefix="rapport-bench-")) / "db")
        uri = server.uri
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    client, db = connect(uri, name, timeout_ms=60_000)
    service = None
    try:
        await migrate(db, system_clock())
        await seed_demo_data(db, system_clock(), VisitCadence())
        users, tokens = UserRepository(db), TokenRepository(db)
        token = await issue_token(users, tokens, "bench-admin", Role.ADMIN, None, system_clock())
        books = {}
        for size in (10, 25, 50):
            manager = await users.ensure_user(
                f"Bench manager {size}", Role.ACCOUNT_MANAGER, None, system_clock()
            )
            await _book(db, manager.id, size)
            books[size] = (
                await issue_token(users, tokens, manager.name, Role.ACCOUNT_MANAGER, None, system_clock()),
                manager,
            )
        await _many_customers(db, 10_000)
        await seed_demo_complaints(db, system_clock(), count=10_000, prefix="c1")  # 10,300 in all
        port = _free_port()
        env = {
            **os.environ,
            "RAPPORT_MONGODB_URI": uri,
            "RAPPORT_MONGODB_DB": name,
            "RAPPORT_PORT": str(port),
        }
        env.update(RAPPORT_ENV="development", RAPPORT_LOG_LEVEL="WARNING", RAPPORT_MONGODB_TIMEOUT_MS="60000")
        # The 50-account book (cost 7151) is over the default budget, and the rounds are
        # many requests a minute on one token: the bench measures cost, not the limits.
        env.update(RAPPORT_MAX_QUERY_COST="20000", RAPPORT_RATE_LIMIT_PER_MINUTE="1000000")
        service = subprocess.Popen(  # noqa: ASYNC220 - started once, before any timing
            [sys.executable, "main.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = psutil.Process(service.pid)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)  # waiting for the service to start
            for size, (manager_token, manager) in books.items():
                body = {"query": BOOK, "variables": {"m": global_id("User", manager.id), "n": size}}
                await _measure(http, process, manager_token, f"dossier book, {size} accounts (manager)", body)
            await _measure(
                http, process, token, "customers(first: 50) with history+timings", {"query": CUSTOMERS}
            )
            print("--- 10,000 more customers (10,300 in all)")
            await _measure(
                http,
                process,
                token,
                "search page (one word)",
                {"query": SEARCH, "variables": {"s": "zhang4"}},
            )
            await _measure(http, process, token, "stage-filtered page", {"query": STAGE})
            await _measure(
                http, process, token, "stage-filtered page with totalCount", {"query": STAGE_COUNT}
            )
            print("--- 10,300 complaints")
            await _measure(
                http, process, token, "complaints(first: 50) with SLA fields", {"query": COMPLAINTS}
            )
            await _measure(
                http, process, token, "complaints(first: 50, breached) + totalCount", {"query": BREACHED}
            )
            day = system_clock().date()
            year = {"from": (day - timedelta(days=365)).isoformat(), "to": day.isoformat()}
            await _measure(
                http, process, token, "complaintStats for a year", {"query": STATS, "variables": year}
            )
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        await client.drop_database(name)
        await client.close()
        if server:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
