"""What lives as long as the process: the database connection and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from server.clock import Clock
from server.database import Database
from server.settings import Settings


@dataclass(frozen=True)
class Runtime:
    database: Database
    clock: Clock
    settings: Settings

    @property
    def db(self) -> AsyncDatabase:
        return self.database.db
