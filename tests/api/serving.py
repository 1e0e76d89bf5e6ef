"""A second app on the test database, with its own settings (limits, production mode)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from server.app import create_app
from server.database import Database
from server.settings import Settings


@asynccontextmanager
async def serving(settings: Settings, db, mongo_client, clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rapport.test"
    ) as http:
        yield http
