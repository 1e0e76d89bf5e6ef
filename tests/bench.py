"""`make bench`: what the main operations cost: the service process's own CPU time per
request (read from the process with psutil, not wall time), latency, database commands.

The service runs as its own process (`main.py serve`, development mode so responses
carry `extensions.db.commands`) against a throwaway database on the embedded server (or
RAPPORT_MONGODB_URI); this process only sends requests. Prints numbers; asserts nothing.

The last section seeds the journeys demo at 10,000 customers (about 100,000 purchases and
100,000 touchpoints) and sets each report read from running totals beside the same figures
computed by raw pipelines over the events (`raw=True`, run in this process on the same
database: there is no way to ask the service for them), with whether the answers agree.
`python -m tests.bench journeys` runs that section alone (`dossiers`, `customers`,
`complaints`, `care` name the others; `care` alone runs on 10,000 customers of its own);
RAPPORT_BENCH_JOURNEY_CUSTOMERS sizes it.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
from bson import ObjectId
from pymongo import UpdateOne

from demo_data import seed_demo_complaints, seed_demo_data
from domain.care import CarePlanKind, CareTaskKind, TaskDraft, plan_key, start_of
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
from domain.records import Channel
from domain.users import Role, User
from migrations import migrate
from repositories.care import CareRepository, PlanRef, plan_document, task_document
from repositories.contacts import ContactRepository, new_contact_document, relationship_document
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository, new_customer_document
from repositories.key_accounts import KeyAccountRepository, new_key_account_document
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers import reports
from resolvers.context import Context
from resolvers.reports import ExperienceGrouping
from resolvers.tokens import issue_token
from schema.node import global_id
from server.clock import system_clock
from server.database import connect, counting_commands
from server.embedded_db import EmbeddedDatabase
from server.jobs import job_runner
from server.settings import Settings

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


@dataclass(frozen=True)
class Measured:
    p50_ms: float
    p95_ms: float
    service_cpu_ms: float | None  # the service process's CPU per request (None: in this process)
    database_cpu_ms: float | None  # the embedded server's (None: another database)
    commands: list[int]

    def line(self, name: str) -> str:
        def ms(value: float | None) -> str:
            return "     -" if value is None else f"{value:6.1f}"

        return (
            f"{name:<44} service CPU {ms(self.service_cpu_ms)} ms/request  p50 {self.p50_ms:7.1f} ms  "
            f"p95 {self.p95_ms:7.1f} ms  commands {self.commands}"
            + (f"  database CPU {ms(self.database_cpu_ms)} ms" if self.database_cpu_ms is not None else "")
        )


def _cpu_ms(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return (times.user + times.system) * 1000


def _summary(
    latencies: list[float],
    commands: set[int],
    rounds: int,
    service: tuple[psutil.Process | None, float],
    database: tuple[psutil.Process | None, float],
) -> Measured:
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 2 else latencies[0]
    service_process, service_cpu = service
    database_process, database_cpu = database
    return Measured(
        p50_ms=statistics.median(latencies),
        p95_ms=p95,
        service_cpu_ms=(_cpu_ms(service_process) - service_cpu) / rounds if service_process else None,
        database_cpu_ms=(_cpu_ms(database_process) - database_cpu) / rounds if database_process else None,
        commands=sorted(commands),
    )


async def _measure(
    http: httpx.AsyncClient,
    service: psutil.Process,
    token: str,
    name: str,
    body: dict,
    database: psutil.Process | None = None,
    rounds: int = ROUNDS,
) -> Measured:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(5):  # warm the caches
        await http.post("/graphql", json=body, headers=headers)
    latencies, commands = [], set()
    service_cpu, database_cpu = _cpu_ms(service), _cpu_ms(database)
    for _ in range(rounds):
        started = time.perf_counter()
        response = await http.post("/graphql", json=body, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        payload = response.json()
        assert "errors" not in payload, payload
        commands.add(payload["extensions"]["db"]["commands"])
    measured = _summary(latencies, commands, rounds, (service, service_cpu), (database, database_cpu))
    print(measured.line(name))
    return measured


async def _measure_in_process(
    run: Callable[[], Awaitable[Any]], database: psutil.Process | None, rounds: int
) -> tuple[Measured, Any]:
    """A use case called here, against the bench's own client (its commands counted as the
    service counts a request's)."""
    latencies, commands, result = [], set(), None
    database_cpu = _cpu_ms(database)
    for _ in range(rounds):
        with counting_commands() as count:
            started = time.perf_counter()
            result = await run()
            latencies.append((time.perf_counter() - started) * 1000)
        commands.add(count.commands)
    return _summary(latencies, commands, rounds, (None, 0.0), (database, database_cpu)), result


# --- journeys: the reports at 10,000 customers ----------------------------------------------------

#: The issue's size; RAPPORT_BENCH_JOURNEY_CUSTOMERS sets another (seeding 10,000 takes the
#: embedded server minutes: about 1 ms of its CPU per event stored, 5 ms per customer).
JOURNEY_CUSTOMERS = int(os.environ.get("RAPPORT_BENCH_JOURNEY_CUSTOMERS", "10000"))
#: Raw pipelines over 100,000 events take the embedded server most of a minute each: one round.
RAW_ROUNDS = 1
SEGMENTS_OBJECT = "{ segments { asOf customers segments { segment count share totalSpend } } }"
SEGMENTS_LIST = "{ segments { segment count share totalSpend } }"
EXPERIENCE = """query($from: Date!, $to: Date!, $by: ExperienceGrouping!) {
  experience(from: $from, to: $to, groupBy: $by) { groupBy
    groups { key touchpoints averageSatisfaction satisfactionRate { value numerator denominator } nps npsAnswers negatives }
    overall { touchpoints averageSatisfaction satisfactionRate { value } nps npsAnswers negatives }
    hotspots { key negatives frequency impact concentration } } }"""
KPIS = """query($from: Date!, $to: Date!) { kpis(from: $from, to: $to) {
  satisfactionRate { value numerator denominator } nps npsAnswers repurchaseRate { value numerator denominator }
  churnRate { value numerator denominator } retentionRate { value numerator denominator }
  newCustomers wonBack orders revenue averageOrderValue } }"""


async def _segments_query(http: httpx.AsyncClient, token: str) -> str:
    """`segments` as this schema has it: a distribution object, or (later) the list of shares."""
    body = {"query": '{ __type(name: "SegmentDistribution") { name } }'}
    response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    return SEGMENTS_OBJECT if response.json()["data"]["__type"] else SEGMENTS_LIST


async def _journeys(
    db: Any,
    http: httpx.AsyncClient,
    service: psutil.Process,
    database: psutil.Process | None,
    token: str,
    viewer: User,
) -> None:
    settings = Settings(_env_file=None)  # the service's defaults: same tiers, RFM and churn rules
    started, database_cpu = time.perf_counter(), _cpu_ms(database)
    added = await seed_demo_data(
        db, system_clock(), VisitCadence(), settings.value_rules, customers=JOURNEY_CUSTOMERS
    )
    took = time.perf_counter() - started
    counts = {c: await db[c].estimated_document_count() for c in ("purchases", "touchpoints")}
    database_s = (_cpu_ms(database) - database_cpu) / 1000 if database else None
    print(
        f"--- journeys: {JOURNEY_CUSTOMERS:,} demo customers ({added:,} added), {counts['purchases']:,} "
        f"purchases, {counts['touchpoints']:,} touchpoints; seeded and rebuilt in {took:.0f} s"
        + (f" (database CPU {database_s:.0f} s)" if database_s is not None else "")
    )
    day = system_clock().date()
    first, last = day - timedelta(days=365), day
    period = {"from": first.isoformat(), "to": last.isoformat()}
    ctx = Context(
        viewer=viewer, request_id="bench", clock=system_clock, db=db, value_rules=settings.value_rules
    )
    segments_query = await _segments_query(http, token)
    reads: list[tuple[str, dict, Callable[[bool], Awaitable[Any]]]] = [
        ("segments", {"query": segments_query}, lambda raw: reports.segments(ctx, None, raw=raw)),
        (
            "kpis (a year)",
            {"query": KPIS, "variables": period},
            lambda raw: reports.key_figures(ctx, first, last, raw=raw),
        ),
    ]
    for grouping in ExperienceGrouping:
        reads.append(
            (
                f"experience by {grouping.value} (a year)",
                {"query": EXPERIENCE, "variables": {**period, "by": grouping.value}},
                lambda raw, g=grouping: reports.experience(ctx, first, last, g, raw=raw),
            )
        )
    rows = []
    for name, body, use_case in reads:
        totals = await _measure(http, service, token, f"{name}: running totals", body, database)
        raw, raw_answer = await _measure_in_process(lambda u=use_case: u(True), database, RAW_ROUNDS)
        print(raw.line(f"{name}: raw pipelines (in process, {RAW_ROUNDS} round)"))
        rollup_answer = await use_case(False)
        rows.append((name, totals, raw, rollup_answer == raw_answer))
    print(f"{'report':<32} {'totals p50':>11} {'raw p50':>11} {'speed-up':>9}  same answer")
    for name, totals, raw, same in rows:
        print(
            f"{name:<32} {totals.p50_ms:8.1f} ms {raw.p50_ms:8.1f} ms {raw.p50_ms / totals.p50_ms:8.1f}x  "
            f"{'yes' if same else 'NO'}"
        )


CARE_DUE = """query($from: DateTime!, $to: DateTime!) { careTasks(first: 50, filter: { dueFrom: $from, dueTo: $to,
  status: PENDING }) { totalCount edges { node { id kind channel title dueAt status customer { id name } } } } }"""
CARE_CUSTOMERS = 10_000


async def _seed_care(db: Any) -> int:
    """The 10,000 bench customers become repeat customers with consent and birthdays, each
    with an open REGULAR or VIP plan (one in five VIP) started on a day of the last year, and
    two tasks in the next 30 days (a day's due list holds about 670)."""
    now = system_clock()
    ids = [
        d["_id"]
        for d in await db["customers"].find({"name": {"$regex": "^Customer[0-9]"}}, {"_id": 1}).to_list()
    ]
    ids = ids[:CARE_CUSTOMERS]
    for start in range(0, len(ids), 1000):
        await db["customers"].bulk_write(
            [
                UpdateOne(
                    {"_id": oid},
                    {
                        "$set": {
                            "consent": {"sms": True, "email": True, "phone": True},
                            "birthday": datetime(1970 + n % 40, n % 12 + 1, n % 28 + 1, tzinfo=UTC),
                        }
                    },
                )
                for n, oid in enumerate(ids[start : start + 1000], start)
            ],
            ordered=False,
        )
    plans, tasks = [], []
    today = now.date()
    for n, oid in enumerate(ids):
        kind = CarePlanKind.VIP if n % 5 == 0 else CarePlanKind.REGULAR
        started = now - timedelta(days=1 + n % 360)
        doc = plan_document(str(oid), kind, plan_key(str(oid), kind), started, "bench", now)
        plans.append(doc)
        ref = PlanRef(str(doc["_id"]), str(oid), kind)
        for k in range(2):
            due = start_of(today + timedelta(days=(n + 13 * k) % 30))
            draft = TaskDraft(
                "repeat-shipment-tracking",
                "Shipment tracking message",
                CareTaskKind.SMS,
                Channel.SMS,
                due,
                f"bench-{k}",
            )
            tasks.append(task_document(ref, draft, now))
    await CareRepository(db).insert_many(plans, tasks)
    return len(ids)


async def _care(db: Any, http: httpx.AsyncClient, service: psutil.Process, token: str) -> None:
    """careTasks for a day's due list over 10,000 customers, and the care-schedule job for
    one day (an ordinary day, the 1st of a month, a holiday), each run twice (the second
    finds nothing to do)."""
    started = time.perf_counter()
    customers = await _seed_care(db)
    print(f"--- care: {customers:,} customers with plans (seeded in {time.perf_counter() - started:.0f} s)")
    today = system_clock().date()
    day = {"from": start_of(today).isoformat(), "to": start_of(today + timedelta(days=1)).isoformat()}
    await _measure(
        http,
        service,
        token,
        "careTasks: a day's due list, first 50 + totalCount",
        {"query": CARE_DUE, "variables": day},
    )
    holidays = await CareRepository(db).holidays(today, today + timedelta(days=400))
    ordinary = today + timedelta(days=1)
    while ordinary.day in (1, 15) or ordinary in holidays:
        ordinary += timedelta(days=1)
    fifteenth = (
        today.replace(day=15)
        if today.day < 15
        else (today.replace(day=1) + timedelta(days=46)).replace(day=15)
    )
    days = [("an ordinary day", ordinary), ("the 15th (VIP tips)", fifteenth)]
    if holidays:
        days.append((f"a holiday ({holidays[min(holidays)]})", min(holidays)))
    runner = job_runner(db, system_clock, Settings(_env_file=None))
    for label, when in days:
        for attempt in ("", " again"):
            with counting_commands() as count:
                began = time.perf_counter()
                outcome = await runner.run("care-schedule", on=when)
                took = time.perf_counter() - began
            result = outcome.result
            print(
                f"{'care-schedule, ' + label + attempt:<44} {took * 1000:8.0f} ms  commands {count.commands}  "
                f"examined {result.examined if result else '-'}, changed {result.changed if result else '-'}"
            )


SECTIONS = ("dossiers", "customers", "complaints", "care", "journeys")


async def main(sections: tuple[str, ...] = SECTIONS) -> None:
    uri = os.environ.get("RAPPORT_MONGODB_URI")
    server = None
    if not uri:
        server = EmbeddedDatabase.start(Path(tempfile.mkdtemp(prefix="rapport-bench-")) / "db")
        uri = server.uri
    database = psutil.Process(server.process.pid) if server and server.process else None
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    client, db = connect(uri, name, timeout_ms=600_000)
    service = None
    try:
        await migrate(db, system_clock())
        await seed_demo_data(db, system_clock(), VisitCadence())
        users, tokens = UserRepository(db), TokenRepository(db)
        token = await issue_token(users, tokens, "bench-admin", Role.ADMIN, None, system_clock())
        admin = await users.ensure_user("bench-admin", Role.ADMIN, None, system_clock())
        books = {}
        if "dossiers" in sections:
            for size in (10, 25, 50):
                manager = await users.ensure_user(
                    f"Bench manager {size}", Role.ACCOUNT_MANAGER, None, system_clock()
                )
                await _book(db, manager.id, size)
                books[size] = (
                    await issue_token(
                        users, tokens, manager.name, Role.ACCOUNT_MANAGER, None, system_clock()
                    ),
                    manager,
                )
        if "customers" in sections or "care" in sections:
            await _many_customers(db, 10_000)
        if "complaints" in sections:
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
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
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
            if "dossiers" in sections:
                await _measure(
                    http, process, token, "customers(first: 50) with history+timings", {"query": CUSTOMERS}
                )
            if "customers" in sections:
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
            if "complaints" in sections:
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
            if "care" in sections:
                await _care(db, http, process, token)
            if "journeys" in sections:
                await _journeys(db, http, process, database, token, admin)
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        await client.drop_database(name)
        await client.close()
        if server:
            server.stop()


async def care_only() -> None:
    """`python -m tests.bench care`: only the care section, on 10,000 customers of its own."""
    server = EmbeddedDatabase.start(Path(tempfile.mkdtemp(prefix="rapport-bench-")) / "db")
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    client, db = connect(server.uri, name, timeout_ms=120_000)
    service = None
    try:
        await migrate(db, system_clock())
        users, tokens = UserRepository(db), TokenRepository(db)
        token = await issue_token(users, tokens, "bench-admin", Role.ADMIN, None, system_clock())
        await _many_customers(db, CARE_CUSTOMERS)
        port = _free_port()
        env = {
            **os.environ,
            "RAPPORT_MONGODB_URI": server.uri,
            "RAPPORT_MONGODB_DB": name,
            "RAPPORT_PORT": str(port),
        }
        env.update(RAPPORT_ENV="development", RAPPORT_LOG_LEVEL="WARNING", RAPPORT_MONGODB_TIMEOUT_MS="60000")
        env.update(RAPPORT_RATE_LIMIT_PER_MINUTE="1000000")
        service = subprocess.Popen(  # noqa: ASYNC220 - started once, before any timing
            [sys.executable, "main.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)  # waiting for the service to start
            await _care(db, http, psutil.Process(service.pid), token)
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=30)
        await client.drop_database(name)
        await client.close()
        server.stop()


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or SECTIONS
    if unknown := sorted(set(chosen) - set(SECTIONS)):
        sys.exit(f"unknown sections {unknown}; sections: {', '.join(SECTIONS)}")
    asyncio.run(care_only() if chosen == ("care",) else main(chosen))
