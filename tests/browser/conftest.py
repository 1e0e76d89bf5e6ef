"""Browser tests: Debian's Chromium (/usr/bin/chromium, never a downloaded browser)
driven by Playwright against the real service, started here with uvicorn on a free port
on the embedded database, seeded through the repositories (users, passwords) and the API
(everything else): two managers with their own accounts.

One service and one browser for all of them (one launch per test session); each test gets
a fresh browser context (its own sessionStorage), at a laptop's or a phone's size. Both
fixtures live as long as this package's tests, not the session: Playwright's sync API
runs an event loop on the main thread while it is open, and the tests after these
(pytest-asyncio, asyncio.run in the CLI tests) need the thread free of it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from domain.users import Role
from migrations import migrate
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.sign_in import set_password
from resolvers.tokens import issue_token
from server.app import create_app
from server.clock import system_clock
from server.database import Database, connect
from server.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: The managers and their password (set through the repositories, as set-password does).
WANG, ZHAO = "Wang Fang", "Zhao Lei"
PASSWORD = "lotus-and-peony-2026"

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass
class Service:
    url: str
    admin_token: str
    ids: dict[str, str] = field(default_factory=dict)
    settings: Settings | None = None

    def sign_in(self, name: str, password: str) -> dict:
        data = self.graphql(
            "mutation($i: SignInInput!) { signIn(input: $i) { session { token expiresAt user { id name role } } errors { code message } } }",
            {"i": {"name": name, "password": password}},
            token="",
        )
        return data["signIn"]["session"]

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.admin_token if token is None else token}"}
            if token != ""
            else {},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        payload = next(iter(body["data"].values()))
        if isinstance(payload, dict) and payload.get("errors"):
            raise AssertionError(payload["errors"])
        return body["data"]


def _listening_socket() -> socket.socket:
    """A socket bound to a free port and listening already: connections wait in its backlog
    until uvicorn accepts them, so nobody has to poll for the server to be up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class _ServiceThread(threading.Thread):
    """uvicorn serving the real app in its own event loop (and database client)."""

    def __init__(self, settings: Settings, uri: str, db_name: str, sock: socket.socket) -> None:
        super().__init__(daemon=True, name="rapport-browser-service")
        self.settings, self.uri, self.db_name, self.sock = settings, uri, db_name, sock
        self.ready = threading.Event()
        self.admin_token = ""
        self.error: BaseException | None = None
        self.server: uvicorn.Server | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the fixture
            self.error = error
            self.ready.set()

    async def _serve(self) -> None:
        client, db = connect(self.uri, self.db_name)
        try:
            now = system_clock()
            await migrate(db, now)
            users, tokens = UserRepository(db), TokenRepository(db)
            self.admin_token = await issue_token(users, tokens, "browser-admin", Role.ADMIN, None, now)
            for name in (WANG, ZHAO):
                user = await users.ensure_user(name, Role.ACCOUNT_MANAGER, None, now)
                await set_password(users, tokens, user.id, PASSWORD, now)
            app = create_app(self.settings, database=Database(client=client, db=db), clock=system_clock)
            self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
            serving = asyncio.create_task(self.server.serve(sockets=[self.sock]))
            self.ready.set()  # the socket listens already: requests wait for uvicorn
            await serving
        finally:
            await client.drop_database(self.db_name)
            await client.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.join(timeout=30)


@pytest.fixture(scope="package")
def service(mongo_uri: str) -> Iterator[Service]:
    sock = _listening_socket()
    port = sock.getsockname()[1]
    settings = Settings(_env_file=None, env="development", host="127.0.0.1", port=port)
    thread = _ServiceThread(settings, mongo_uri, f"rapport_browser_{uuid.uuid4().hex[:10]}", sock)
    thread.start()
    if not thread.ready.wait(timeout=120) or thread.error is not None:
        raise RuntimeError(f"the service did not start: {thread.error!r}")
    live = Service(url=f"http://127.0.0.1:{port}", admin_token=thread.admin_token, settings=settings)
    _seed(live)
    yield live
    thread.stop()
    sock.close()


def _user_id(service: Service, name: str) -> str:
    data = service.graphql(
        "query($s: String) { users(first: 5, filter: { search: $s }) { edges { node { id name } } } }",
        {"s": name},
    )
    return next(e["node"]["id"] for e in data["users"]["edges"] if e["node"]["name"] == name)


def _seed(service: Service) -> None:
    """Wang Fang keeps Lotus Hotels (grade A, visit overdue, an overdue follow-up, a
    contract ending soon, a complaint, purchases), Peony Freight (grade B) and Camellia
    Retail (grade A, visit overdue); Zhao Lei keeps Orchid Foods, which Wang must never see."""
    now = datetime.now(UTC)
    ids = service.ids
    ids["wang"], ids["zhao"] = _user_id(service, WANG), _user_id(service, ZHAO)

    def organisation(name: str) -> str:
        data = service.graphql(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } errors { message } } }",
            {
                "i": {
                    "name": name,
                    "kind": "ORGANIZATION",
                    "email": f"office@{name.split()[0].lower()}.example",
                }
            },
        )
        return data["createCustomer"]["customer"]["id"]

    def key_account(customer_id: str, grade: str, manager: str, industry: str) -> str:
        data = service.graphql(
            """mutation($i: CreateKeyAccountInput!) { createKeyAccount(input: $i) {
                 keyAccount { id } errors { code message field } } }""",
            {
                "i": {
                    "customerId": customer_id,
                    "grade": grade,
                    "category": "ECONOMIC",
                    "managerId": manager,
                    "industry": industry,
                    "companyProfile": {
                        "size": "500-1000 employees",
                        "mainProducts": ["rooms", "events"],
                        "legalRepresentative": "Zhang Wei",
                        "annualRevenue": {"amount": "120000000", "currency": "CNY"},
                    },
                }
            },
        )
        return data["createKeyAccount"]["keyAccount"]["id"]

    def contact(account: str, name: str, title: str, role: str) -> str:
        data = service.graphql(
            """mutation($i: AddContactInput!) { addContact(input: $i) { contact { id } errors { message } } }""",
            {
                "i": {
                    "keyAccountId": account,
                    "name": name,
                    "title": title,
                    "decisionRole": role,
                    "email": f"{name.split()[0].lower()}@lotus.example",
                    "hobbies": ["tea", "golf"],
                }
            },
        )
        return data["addContact"]["contact"]["id"]

    ids["lotus_customer"] = organisation("Lotus Hotels Ltd")
    ids["lotus"] = key_account(ids["lotus_customer"], "A", ids["wang"], "Hospitality")
    ids["peony"] = key_account(organisation("Peony Freight Co"), "B", ids["wang"], "Logistics")
    ids["camellia"] = key_account(organisation("Camellia Retail"), "A", ids["wang"], "Retail")
    ids["orchid"] = key_account(organisation("Orchid Foods Group"), "A", ids["zhao"], "Food & beverage")
    ids["chen"] = contact(ids["lotus"], "Chen Jie", "CEO", "DECISION_MAKER")
    ids["liu"] = contact(ids["lotus"], "Liu Yang", "Procurement Director", "INFLUENCER")
    # A name written to break a page that parses data as HTML (it must show as text).
    contact(ids["lotus"], 'Ma <img src=x onerror="window.pwned=1">Chao', "Office Manager", "GATEKEEPER")
    contact(ids["orchid"], "Orchid Secret Contact", "CFO", "DECISION_MAKER")
    service.graphql(
        """mutation($i: LinkContactsInput!) { linkContacts(input: $i) { errors { message } } }""",
        {"i": {"fromContactId": ids["liu"], "toContactId": ids["chen"], "relationship": "REPORTS_TO"}},
    )
    service.graphql(
        """mutation($i: LogVisitInput!) { logVisit(input: $i) { visit { id } errors { code message field } } }""",
        {
            "i": {
                "keyAccountId": ids["lotus"],
                "visitedAt": (now - timedelta(days=40)).isoformat(),
                "purpose": "quarterly business review",
                "visitorIds": [ids["wang"]],
                "contactIds": [ids["chen"]],
                "findings": {"needs": ["faster check-in"], "satisfaction": 4, "issues": ["late invoices"]},
                "followUps": [
                    {
                        "action": "Send the revised offer",
                        "ownerId": ids["wang"],
                        "dueAt": (now - timedelta(days=2)).isoformat(),
                    }
                ],
            }
        },
    )
    # No test visits Camellia: its visit stays overdue for "This week".
    service.graphql(
        """mutation($i: LogVisitInput!) { logVisit(input: $i) { visit { id } errors { code message field } } }""",
        {
            "i": {
                "keyAccountId": ids["camellia"],
                "visitedAt": (now - timedelta(days=35)).isoformat(),
                "purpose": "store audit",
            }
        },
    )
    service.graphql(
        """mutation($i: AddServiceContractInput!) { addServiceContract(input: $i) { errors { message } } }""",
        {
            "i": {
                "keyAccountId": ids["lotus"],
                "content": "Corporate stays framework",
                "startsOn": (now - timedelta(days=345)).date().isoformat(),
                "endsOn": (now + timedelta(days=20)).date().isoformat(),
                "fees": {"amount": "480000", "currency": "CNY"},
                "confidentiality": True,
            }
        },
    )
    service.graphql(
        """mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { complaint { id } errors { message } } }""",
        {
            "i": {
                "customerId": ids["lotus_customer"],
                "keyAccountId": ids["lotus"],
                "channel": "EMAIL",
                "kind": "COMPLAINT",
                "category": "BILLING",
                "severity": "HIGH",
                "summary": "Invoices arrive late",
            }
        },
    )
    service.graphql(
        """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { purchase { id } errors { message } } }""",
        {
            "i": {
                "customerId": ids["lotus_customer"],
                "purchasedAt": (now - timedelta(days=10)).isoformat(),
                "channel": "WEBSITE",
                "idempotencyKey": "browser-seed-1",
                "lines": [{"sku": "ROOM-NIGHT", "quantity": 40, "unitPrice": "650"}],
            }
        },
    )


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Any, service: Service) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORTS[request.param], base_url=service.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = request.param
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors, but not the failed loads the tests cause (a 401, an aborted request).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
        ),
    )
    yield page
    context.close()
    # No script error and no Content-Security-Policy violation on any screen.
    assert errors == []
