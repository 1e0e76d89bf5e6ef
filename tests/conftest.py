"""Fixtures: one real database server per test session; each test starts from a freshly
migrated database (`db`: one migrated once, put back before each test, see
tests/template_db.py) or an empty one (`bare_db`).

The server is the embedded SecantusDB (a child process, over the wire protocol), or the
MongoDB at RAPPORT_TEST_MONGODB_URI when that is set. Nothing is mocked.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from domain.users import Role
from migrations import migrate
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.tokens import issue_token
from server.app import create_app
from server.clock import FixedClock
from server.database import Database, connect
from server.embedded_db import EmbeddedDatabase
from server.settings import Settings
from tests.template_db import ChangeWatch, TemplateDatabase

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
#: A well-formed local id that names nothing.
UNKNOWN = "5eed00000000000000000999"


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if uri := os.environ.get("RAPPORT_TEST_MONGODB_URI"):
        yield uri
        return
    server = EmbeddedDatabase.start(tmp_path_factory.mktemp("mongo") / "db")
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def watch() -> ChangeWatch:
    """Registered before any client is made, so every client of this process reports to it."""
    watch = ChangeWatch(f"rapport_test_{uuid.uuid4().hex[:12]}")
    monitoring.register(watch)
    return watch


@pytest.fixture(scope="session")
async def mongo_client(mongo_uri: str, watch: ChangeWatch) -> AsyncIterator[AsyncMongoClient]:
    client, _ = connect(mongo_uri, "unused")
    yield client
    await client.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bare_db(mongo_client: AsyncMongoClient) -> AsyncIterator[AsyncDatabase]:
    """A fresh, empty database (no migrations)."""
    name = f"rapport_test_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture(scope="session")
async def template(mongo_client: AsyncMongoClient, watch: ChangeWatch) -> AsyncIterator[TemplateDatabase]:
    db = mongo_client[watch.db_name]
    await migrate(db, T0)  # what the clock fixture says
    yield await TemplateDatabase.capture(db, watch)
    await mongo_client.drop_database(db.name)


@pytest.fixture
async def db(template: TemplateDatabase) -> AsyncDatabase:
    """A migrated database as no test has touched it."""
    await template.reset()
    return template.db


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, env="development", max_query_depth=10)


@pytest.fixture
async def http(
    db: AsyncDatabase, mongo_client: AsyncMongoClient, clock: FixedClock, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as client:
        yield client


class GraphQLClient:
    """A caller with a token, speaking GraphQL over HTTP to the app."""

    def __init__(self, http: httpx.AsyncClient, token: str | None) -> None:
        self.http = http
        self.token = token
        self.user_id = ""  # the caller's global id, from `me { id }`

    @property
    def local_user_id(self) -> str:
        return base64.b64decode(self.user_id).decode().partition(":")[2]

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response's data, asserting there were no top-level errors."""
        response = await self.post(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def errors(self, query: str, variables: dict[str, Any] | None = None) -> list[dict]:
        """The top-level errors of a request that must fail."""
        body = (await self.post(query, variables)).json()
        assert body.get("errors"), body
        return body["errors"]


async def _caller(
    http: httpx.AsyncClient,
    db: AsyncDatabase,
    role: Role,
    now: datetime,
    name: str | None = None,
    partner_id: str | None = None,
):
    name = name or f"{role.value.lower()}-tester"
    token = await issue_token(UserRepository(db), TokenRepository(db), name, role, partner_id, now)
    client = GraphQLClient(http, token)
    client.user_id = (await client.execute("{ me { id } }"))["me"]["id"]  # a global id, as clients see it
    return client


@pytest.fixture
async def admin(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.ADMIN, clock())


@pytest.fixture
async def agent(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.CX_AGENT, clock())


@pytest.fixture
async def analyst(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.ANALYST, clock())


@pytest.fixture
async def manager(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.ACCOUNT_MANAGER, clock(), "Wang Fang")


@pytest.fixture
async def other_manager(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.ACCOUNT_MANAGER, clock(), "Zhao Lei")


@pytest.fixture
async def partner(http, db, clock) -> GraphQLClient:
    return await _caller(http, db, Role.PARTNER, clock(), partner_id=PARTNER_ID)


#: The partner the `partner` fixture's portal belongs to.
PARTNER_ID = "partner-north"


@pytest.fixture
def anonymous(http) -> GraphQLClient:
    return GraphQLClient(http, None)
